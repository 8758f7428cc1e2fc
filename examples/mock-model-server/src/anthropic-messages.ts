import { type Exchange, SseWriter, STREAM_ERROR_MODEL, sendJson } from './exchange.js';
import type { PlannedToolCall } from './openai-chat.js';
import {
  ARGUMENT_CHUNK_CHARS,
  approxTokens,
  asArray,
  asString,
  cachedTokens,
  chunkString,
  contentText,
  countWords,
  echoReply,
  isObject,
  type JsonObject,
  mentionsWeather,
  positiveInt,
  tokenize,
  toolArguments,
  toolResultReply,
  truncateTokens,
} from './text.js';

/** `metadata.user_id` values that make the mock report prompt caching. */
export const ANTHROPIC_CACHE_READ_USER = 'cache-hit';
export const ANTHROPIC_CACHE_WRITE_USER = 'cache-write';

interface AnthropicConversation {
  promptTokens: number;
  lastUserText: string;
  toolResult: string | undefined;
}

function readMessages(body: JsonObject, messages: unknown[]): AnthropicConversation {
  let promptTokens = countWords(contentText(body.system));
  let lastUserText = '';
  let toolResult: string | undefined;
  for (const message of messages) {
    if (!isObject(message)) continue;
    promptTokens += countWords(contentText(message.content));
    if (message.role !== 'user') continue;
    const blocks = asArray(message.content);
    const result = blocks.find((b) => isObject(b) && b.type === 'tool_result');
    if (isObject(result)) {
      toolResult = contentText(result.content);
    } else {
      toolResult = undefined;
      lastUserText = contentText(message.content);
    }
  }
  return { promptTokens, lastUserText, toolResult };
}

function chooseAnthropicTool(
  body: JsonObject,
  conversation: AnthropicConversation,
): PlannedToolCall | undefined {
  const tools = asArray(body.tools).filter(
    (t): t is JsonObject => isObject(t) && typeof t.name === 'string',
  );
  const choice = isObject(body.tool_choice) ? body.tool_choice : { type: 'auto' };
  if (tools.length === 0 || choice.type === 'none') return undefined;
  const tool =
    choice.type === 'tool'
      ? tools.find((t) => t.name === choice.name)
      : choice.type === 'any' ||
          (conversation.toolResult === undefined && mentionsWeather(conversation.lastUserText))
        ? tools[0]
        : undefined;
  return tool === undefined
    ? undefined
    : { name: String(tool.name), arguments: toolArguments(tool.input_schema) };
}

/** `POST /v1/messages` (Anthropic Messages API), plain and streaming. */
export async function handleMessages(ex: Exchange): Promise<void> {
  const { body } = ex;
  const model = asString(body.model);
  const maxTokens = positiveInt(body.max_tokens);
  if (model === undefined || maxTokens === undefined || !Array.isArray(body.messages)) {
    const field =
      model === undefined ? 'model' : maxTokens === undefined ? 'max_tokens' : 'messages';
    sendJson(ex.res, 400, {
      type: 'error',
      error: { type: 'invalid_request_error', message: `${field}: Field required` },
    });
    return;
  }
  if (model === STREAM_ERROR_MODEL && body.stream !== true) {
    ex.res.destroy();
    return;
  }
  const conversation = readMessages(body, body.messages);
  const toolCall = chooseAnthropicTool(body, conversation);
  const reply =
    conversation.toolResult !== undefined
      ? toolResultReply(conversation.toolResult)
      : echoReply(conversation.lastUserText);
  const { tokens, truncated } =
    toolCall === undefined
      ? truncateTokens(tokenize(reply), maxTokens)
      : { tokens: [], truncated: false };
  const text = tokens.join('');
  const outputTokens =
    toolCall === undefined ? tokens.length : approxTokens(toolCall.name + toolCall.arguments);
  const stopReason = toolCall !== undefined ? 'tool_use' : truncated ? 'max_tokens' : 'end_turn';

  // Anthropic counts cached prompt tokens apart from input_tokens (the uncached rest).
  const userId = isObject(body.metadata) ? body.metadata.user_id : undefined;
  const cacheRead =
    userId === ANTHROPIC_CACHE_READ_USER ? cachedTokens(conversation.promptTokens) : 0;
  const cacheWrite =
    userId === ANTHROPIC_CACHE_WRITE_USER ? cachedTokens(conversation.promptTokens) : 0;
  const usage = (output: number): JsonObject => ({
    input_tokens: conversation.promptTokens - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    cache_creation:
      cacheWrite > 0
        ? { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 }
        : null,
    output_tokens: output,
    server_tool_use: null,
    service_tier: 'standard',
  });

  const seq = ex.nextSeq();
  const toolUseId = `toolu_mock_${seq}`;
  const content: JsonObject[] =
    toolCall === undefined
      ? [{ type: 'text', text, citations: null }]
      : [
          {
            type: 'tool_use',
            id: toolUseId,
            name: toolCall.name,
            input: JSON.parse(toolCall.arguments) as unknown,
            caller: { type: 'direct' },
          },
        ];
  const message = (blocks: JsonObject[], stop: string | null, output: number): JsonObject => ({
    id: `msg_mock_${seq}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: stop,
    stop_sequence: null,
    stop_details: null,
    container: null,
    usage: usage(output),
  });

  if (body.stream !== true) {
    sendJson(ex.res, 200, message(content, stopReason, outputTokens));
    return;
  }

  const sse = new SseWriter(ex, model === STREAM_ERROR_MODEL);
  const emit = (type: string, fields: JsonObject): Promise<boolean> =>
    sse.send({ type, ...fields }, type);

  // Like the real API, message_start reports one output token so far.
  if (!(await emit('message_start', { message: message([], null, 1) }))) return;
  if (!(await emit('ping', {}))) return;
  if (toolCall !== undefined) {
    const start = { type: 'tool_use', id: toolUseId, name: toolCall.name, input: {} };
    if (!(await emit('content_block_start', { index: 0, content_block: start }))) return;
    for (const piece of chunkString(toolCall.arguments, ARGUMENT_CHUNK_CHARS)) {
      const delta = { type: 'input_json_delta', partial_json: piece };
      if (!(await emit('content_block_delta', { index: 0, delta }))) return;
    }
  } else {
    const start = { type: 'text', text: '', citations: null };
    if (!(await emit('content_block_start', { index: 0, content_block: start }))) return;
    for (const token of tokens) {
      const delta = { type: 'text_delta', text: token };
      if (!(await emit('content_block_delta', { index: 0, delta }))) return;
    }
  }
  if (!(await emit('content_block_stop', { index: 0 }))) return;
  const delta = { stop_reason: stopReason, stop_sequence: null, stop_details: null };
  const finalUsage = {
    output_tokens: outputTokens,
    input_tokens: conversation.promptTokens - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    server_tool_use: null,
  };
  if (!(await emit('message_delta', { delta, usage: finalUsage }))) return;
  if (await emit('message_stop', {})) sse.end();
}
