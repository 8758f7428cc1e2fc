import { type Exchange, SseWriter, STREAM_ERROR_MODEL, sendJson } from './exchange.js';
import { chooseTool, type PlannedToolCall, responseModel, wantsCacheHit } from './openai-chat.js';
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
  positiveInt,
  tokenize,
  tokenLogprobs,
  toolResultReply,
} from './text.js';

interface ResponsesConversation {
  promptTokens: number;
  lastUserText: string;
  toolResult: string | undefined;
}

function readInput(body: JsonObject): ResponsesConversation {
  let promptTokens = countWords(asString(body.instructions) ?? '');
  if (typeof body.input === 'string') {
    return {
      promptTokens: promptTokens + countWords(body.input),
      lastUserText: body.input,
      toolResult: undefined,
    };
  }
  let lastUserText = '';
  let toolResult: string | undefined;
  for (const item of asArray(body.input)) {
    if (!isObject(item)) continue;
    if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? item.output : contentText(item.output);
      promptTokens += countWords(output);
      toolResult = output;
      continue;
    }
    if (item.type === 'function_call') {
      promptTokens += countWords(asString(item.arguments) ?? '');
      toolResult = undefined;
      continue;
    }
    const text = contentText(item.content);
    promptTokens += countWords(text);
    if (item.role === 'user') {
      lastUserText = text;
      toolResult = undefined;
    }
  }
  return { promptTokens, lastUserText, toolResult };
}

/** `POST /v1/responses` (OpenAI Responses API), plain and streaming. */
export async function handleResponses(ex: Exchange): Promise<void> {
  const { body } = ex;
  const model = asString(body.model);
  if (model === undefined || body.input === undefined) {
    sendJson(ex.res, 400, {
      error: {
        message: "Missing required parameter: 'model' and 'input'.",
        type: 'invalid_request_error',
        param: model === undefined ? 'model' : 'input',
        code: 'missing_required_parameter',
      },
    });
    return;
  }
  if (model === STREAM_ERROR_MODEL && body.stream !== true) {
    ex.res.destroy();
    return;
  }
  const conversation = readInput(body);
  const toolCall = chooseTool(
    body,
    conversation.lastUserText,
    conversation.toolResult !== undefined,
  );
  const tokens =
    toolCall === undefined
      ? tokenize(
          conversation.toolResult !== undefined
            ? toolResultReply(conversation.toolResult)
            : echoReply(conversation.lastUserText),
        )
      : [];
  const include = asArray(body.include);
  const withLogprobs = include.includes('message.output_text.logprobs');
  const topCount = Math.min(20, positiveInt(body.top_logprobs) ?? 0);

  const seq = ex.nextSeq();
  const responseId = `resp_mock_${seq}`;
  const itemId = toolCall === undefined ? `msg_mock_${seq}` : `fc_mock_${seq}`;
  const callId = `call_mock_${seq}`;
  const outputTokens =
    toolCall === undefined ? tokens.length : approxTokens(toolCall.name + toolCall.arguments);
  const usage = {
    input_tokens: conversation.promptTokens,
    input_tokens_details: {
      cached_tokens: wantsCacheHit(body) ? cachedTokens(conversation.promptTokens) : 0,
    },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: conversation.promptTokens + outputTokens,
  };
  const text = tokens.join('');
  const logprobs = withLogprobs ? tokenLogprobs(tokens, topCount) : [];
  const textPart = (value: string): JsonObject => ({
    type: 'output_text',
    text: value,
    annotations: [],
    logprobs: value === '' ? [] : logprobs,
  });
  const item = (status: 'in_progress' | 'completed'): JsonObject => {
    if (toolCall !== undefined) return functionCallItem(itemId, callId, toolCall, status);
    return {
      id: itemId,
      type: 'message',
      status,
      role: 'assistant',
      content: status === 'completed' ? [textPart(text)] : [],
    };
  };
  const response = (status: 'in_progress' | 'completed'): JsonObject => ({
    id: responseId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: isObject(body.metadata) ? body.metadata : {},
    model: responseModel(model),
    output: status === 'completed' ? [item('completed')] : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: status === 'completed' ? usage : null,
    user: body.user ?? null,
  });

  if (body.stream !== true) {
    sendJson(ex.res, 200, response('completed'));
    return;
  }

  const sse = new SseWriter(ex, model === STREAM_ERROR_MODEL);
  let sequence = 0;
  const emit = (type: string, fields: JsonObject): Promise<boolean> =>
    sse.send({ type, sequence_number: sequence++, ...fields }, type);
  const at = { output_index: 0, item_id: itemId };

  if (!(await emit('response.created', { response: response('in_progress') }))) return;
  if (!(await emit('response.in_progress', { response: response('in_progress') }))) return;
  if (!(await emit('response.output_item.added', { output_index: 0, item: item('in_progress') }))) {
    return;
  }
  if (toolCall !== undefined) {
    for (const piece of chunkString(toolCall.arguments, ARGUMENT_CHUNK_CHARS)) {
      if (!(await emit('response.function_call_arguments.delta', { ...at, delta: piece }))) return;
    }
    const done = { ...at, name: toolCall.name, arguments: toolCall.arguments };
    if (!(await emit('response.function_call_arguments.done', done))) return;
  } else {
    const part = { ...at, content_index: 0 };
    if (!(await emit('response.content_part.added', { ...part, part: textPart('') }))) return;
    for (const [position, token] of tokens.entries()) {
      const deltaLogprobs = withLogprobs ? tokenLogprobs([token], topCount, position) : [];
      const delta = { ...part, delta: token, logprobs: deltaLogprobs };
      if (!(await emit('response.output_text.delta', delta))) return;
    }
    if (!(await emit('response.output_text.done', { ...part, text, logprobs }))) return;
    if (!(await emit('response.content_part.done', { ...part, part: textPart(text) }))) return;
  }
  if (!(await emit('response.output_item.done', { output_index: 0, item: item('completed') }))) {
    return;
  }
  if (await emit('response.completed', { response: response('completed') })) sse.end();
}

function functionCallItem(
  id: string,
  callId: string,
  call: PlannedToolCall,
  status: 'in_progress' | 'completed',
): JsonObject {
  return {
    id,
    type: 'function_call',
    status,
    call_id: callId,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
  };
}
