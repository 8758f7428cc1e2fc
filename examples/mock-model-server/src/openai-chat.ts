import { type Exchange, SseWriter, STREAM_ERROR_MODEL, sendJson } from './exchange.js';
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
  type TokenLogprob,
  tokenize,
  tokenLogprobs,
  toolArguments,
  toolResultReply,
  truncateTokens,
} from './text.js';

/**
 * Dated snapshots the mock answers with, so that snapshot-to-base-model resolution gets
 * exercised the way the real API does it (`gpt-4o` is answered as `gpt-4o-2024-08-06`).
 */
export const OPENAI_SNAPSHOTS: Readonly<Record<string, string>> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
};

/** The model name the mock reports for a requested model. */
export function responseModel(model: string): string {
  return OPENAI_SNAPSHOTS[model] ?? model;
}

/** A tool call the mock decided to make. */
export interface PlannedToolCall {
  name: string;
  arguments: string;
}

/** What the mock will answer to a conversation: text, or a tool call. */
export type Plan =
  | { kind: 'text'; tokens: string[]; truncated: boolean }
  | { kind: 'tool'; call: PlannedToolCall };

/** Whether a request asked for a cache hit (`user` or `prompt_cache_key` equal to `cache-hit`). */
export function wantsCacheHit(body: JsonObject): boolean {
  return body.user === 'cache-hit' || body.prompt_cache_key === 'cache-hit';
}

interface ChatTool {
  name: string;
  parameters: unknown;
}

function chatTools(body: JsonObject): ChatTool[] {
  const tools: ChatTool[] = [];
  for (const tool of asArray(body.tools)) {
    if (!isObject(tool)) continue;
    // Chat Completions nests the function; the Responses API does not.
    const fn = isObject(tool.function) ? tool.function : tool;
    const name = asString(fn.name);
    if (name !== undefined) tools.push({ name, parameters: fn.parameters });
  }
  return tools;
}

/**
 * The tool to call, if any: a function forced by `tool_choice`, else (`required`, or the
 * last user message mentions "weather") the first tool. Never when `tool_choice` is `none`
 * or the conversation just returned a tool result (unless forced).
 */
export function chooseTool(
  body: JsonObject,
  lastText: string,
  afterToolResult: boolean,
): PlannedToolCall | undefined {
  const tools = chatTools(body);
  if (tools.length === 0 || body.tool_choice === 'none') return undefined;
  const choice = body.tool_choice;
  let forced: string | undefined;
  if (isObject(choice)) {
    forced = isObject(choice.function) ? asString(choice.function.name) : asString(choice.name);
  }
  const tool =
    forced !== undefined
      ? tools.find((t) => t.name === forced)
      : choice === 'required' || (!afterToolResult && mentionsWeather(lastText))
        ? tools[0]
        : undefined;
  return tool === undefined
    ? undefined
    : { name: tool.name, arguments: toolArguments(tool.parameters) };
}

interface ChatConversation {
  promptTokens: number;
  lastUserText: string;
  toolResult: string | undefined;
}

function readChatMessages(messages: unknown[]): ChatConversation {
  let promptTokens = 0;
  let lastUserText = '';
  let toolResult: string | undefined;
  for (const message of messages) {
    if (!isObject(message)) continue;
    const text = contentText(message.content);
    promptTokens += countWords(text);
    if (message.role === 'user') {
      lastUserText = text;
      toolResult = undefined;
    } else if (message.role === 'tool') {
      toolResult = text;
    } else {
      toolResult = undefined;
    }
  }
  return { promptTokens, lastUserText, toolResult };
}

function openaiError(res: Exchange['res'], message: string, param: string | null): void {
  sendJson(res, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
}

/** `POST /v1/chat/completions`, plain and streaming. */
export async function handleChatCompletions(ex: Exchange): Promise<void> {
  const { body } = ex;
  const model = asString(body.model);
  if (model === undefined)
    return openaiError(ex.res, 'you must provide a model parameter', 'model');
  if (!Array.isArray(body.messages)) {
    return openaiError(ex.res, "Missing required parameter: 'messages'.", 'messages');
  }
  if (model === STREAM_ERROR_MODEL && body.stream !== true) {
    ex.res.destroy();
    return;
  }
  const conversation = readChatMessages(body.messages);
  const n = Math.max(1, positiveInt(body.n) ?? 1);
  const maxTokens = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  const withLogprobs = body.logprobs === true;
  const topCount = Math.min(20, positiveInt(body.top_logprobs) ?? 0);

  const toolCall = chooseTool(
    body,
    conversation.lastUserText,
    conversation.toolResult !== undefined,
  );
  const plans: Plan[] = Array.from({ length: n }, (_, i) => {
    if (toolCall !== undefined) return { kind: 'tool', call: toolCall };
    const reply =
      conversation.toolResult !== undefined
        ? toolResultReply(conversation.toolResult)
        : echoReply(conversation.lastUserText, i);
    return { kind: 'text', ...truncateTokens(tokenize(reply), maxTokens) };
  });

  const seq = ex.nextSeq();
  const id = `chatcmpl-mock-${seq}`;
  const created = Math.floor(Date.now() / 1000);
  const completionTokens = plans.reduce(
    (sum, plan) =>
      sum +
      (plan.kind === 'text'
        ? plan.tokens.length
        : approxTokens(plan.call.name + plan.call.arguments)),
    0,
  );
  const usage = {
    prompt_tokens: conversation.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: conversation.promptTokens + completionTokens,
    prompt_tokens_details: {
      cached_tokens: wantsCacheHit(body) ? cachedTokens(conversation.promptTokens) : 0,
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const base = {
    id,
    created,
    model: responseModel(model),
    system_fingerprint: 'fp_mock',
    service_tier: 'default',
  };
  const toolCallId = (choice: number): string => `call_mock_${seq}_${choice}`;

  if (body.stream !== true) {
    sendJson(ex.res, 200, {
      ...base,
      object: 'chat.completion',
      choices: plans.map((plan, index) => {
        if (plan.kind === 'tool') {
          return {
            index,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              annotations: [],
              tool_calls: [
                {
                  id: toolCallId(index),
                  type: 'function',
                  function: { name: plan.call.name, arguments: plan.call.arguments },
                },
              ],
            },
            logprobs: null,
            finish_reason: 'tool_calls',
          };
        }
        return {
          index,
          message: {
            role: 'assistant',
            content: plan.tokens.join(''),
            refusal: null,
            annotations: [],
          },
          logprobs: withLogprobs
            ? { content: tokenLogprobs(plan.tokens, topCount), refusal: null }
            : null,
          finish_reason: plan.truncated ? 'length' : 'stop',
        };
      }),
      usage,
    });
    return;
  }

  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  const sse = new SseWriter(ex, model === STREAM_ERROR_MODEL);
  const chunk = (
    index: number,
    delta: JsonObject,
    finishReason: string | null,
    logprobs: TokenLogprob[] | null = null,
  ): JsonObject => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [
      {
        index,
        delta,
        logprobs: logprobs === null ? null : { content: logprobs, refusal: null },
        finish_reason: finishReason,
      },
    ],
    ...(includeUsage ? { usage: null } : {}),
  });

  for (const [index, plan] of plans.entries()) {
    if (plan.kind === 'tool') {
      if (!(await sse.send(chunk(index, { role: 'assistant', content: null }, null)))) return;
      const head = {
        tool_calls: [
          {
            index: 0,
            id: toolCallId(index),
            type: 'function',
            function: { name: plan.call.name, arguments: '' },
          },
        ],
      };
      if (!(await sse.send(chunk(index, head, null)))) return;
      for (const piece of chunkString(plan.call.arguments, ARGUMENT_CHUNK_CHARS)) {
        const delta = { tool_calls: [{ index: 0, function: { arguments: piece } }] };
        if (!(await sse.send(chunk(index, delta, null)))) return;
      }
      if (!(await sse.send(chunk(index, {}, 'tool_calls')))) return;
      continue;
    }
    if (!(await sse.send(chunk(index, { role: 'assistant', content: '', refusal: null }, null)))) {
      return;
    }
    for (const [position, token] of plan.tokens.entries()) {
      const logprobs = withLogprobs ? tokenLogprobs([token], topCount, position) : null;
      if (!(await sse.send(chunk(index, { content: token }, null, logprobs)))) return;
    }
    if (!(await sse.send(chunk(index, {}, plan.truncated ? 'length' : 'stop')))) return;
  }
  if (includeUsage) {
    const last = { ...base, object: 'chat.completion.chunk', choices: [], usage };
    if (!(await sse.send(last))) return;
  }
  if (await sse.send('[DONE]')) sse.end();
}
