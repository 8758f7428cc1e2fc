// Vercel AI SDK telemetry (`experimental_telemetry`): `ai.operationId`,
// `ai.model.id`, `ai.model.provider` (`openai.chat`), `ai.usage.*` (v4
// `promptTokens`/`completionTokens`, v5+ `inputTokens`/`outputTokens`,
// `cachedInputTokens`, v6 `inputTokenDetails.*`), `ai.response.msToFirstChunk`,
// `ai.prompt` / `ai.prompt.messages`, `ai.response.text` / `toolCalls` /
// `finishReason`. Its provider-call spans also carry <= 1.36 `gen_ai.*` attributes,
// which the otel-genai-legacy table reads.
import type { JsonValue } from '../json.js';
import type { SpanInput } from '../normalize.js';
import {
  type ChatMessage,
  fromVercelMessages,
  type MessagePart,
  message,
  textPart,
  toolCallPart,
} from './messages.js';
import {
  hasPrefix,
  isRecord,
  readCount,
  readJson,
  readNumber,
  readString,
  type Warnings,
} from './read.js';
import { type Dialect, type Extracted, type FieldTable, readTable } from './types.js';

/** Vercel AI SDK attribute names (ai-sdk.dev, "Telemetry: collected data"). */
export const VercelAI = {
  OPERATION_ID: 'ai.operationId',
  MODEL_ID: 'ai.model.id',
  MODEL_PROVIDER: 'ai.model.provider',
  RESPONSE_MODEL: 'ai.response.model',
  RESPONSE_ID: 'ai.response.id',
  RESPONSE_FINISH_REASON: 'ai.response.finishReason',
  RESPONSE_TEXT: 'ai.response.text',
  RESPONSE_OBJECT: 'ai.response.object',
  RESPONSE_TOOL_CALLS: 'ai.response.toolCalls',
  RESPONSE_MS_TO_FIRST_CHUNK: 'ai.response.msToFirstChunk',
  PROMPT: 'ai.prompt',
  PROMPT_MESSAGES: 'ai.prompt.messages',
  USAGE_PROMPT_TOKENS: 'ai.usage.promptTokens',
  USAGE_COMPLETION_TOKENS: 'ai.usage.completionTokens',
  USAGE_INPUT_TOKENS: 'ai.usage.inputTokens',
  USAGE_OUTPUT_TOKENS: 'ai.usage.outputTokens',
  USAGE_TOTAL_TOKENS: 'ai.usage.totalTokens',
  USAGE_CACHED_INPUT_TOKENS: 'ai.usage.cachedInputTokens',
  USAGE_REASONING_TOKENS: 'ai.usage.reasoningTokens',
  USAGE_INPUT_DETAILS_PREFIX: 'ai.usage.inputTokenDetails.',
  USAGE_NO_CACHE_TOKENS: 'ai.usage.inputTokenDetails.noCacheTokens',
  USAGE_CACHE_READ_TOKENS: 'ai.usage.inputTokenDetails.cacheReadTokens',
  USAGE_CACHE_WRITE_TOKENS: 'ai.usage.inputTokenDetails.cacheWriteTokens',
  USAGE_OUTPUT_REASONING_TOKENS: 'ai.usage.outputTokenDetails.reasoningTokens',
  TOOL_CALL_NAME: 'ai.toolCall.name',
  TOOL_CALL_ID: 'ai.toolCall.id',
  TOOL_CALL_ARGS: 'ai.toolCall.args',
  TOOL_CALL_INPUT: 'ai.toolCall.input',
  TOOL_CALL_RESULT: 'ai.toolCall.result',
  TOOL_CALL_OUTPUT: 'ai.toolCall.output',
  EMBED_VALUE: 'ai.value',
  EMBED_VALUES: 'ai.values',
  EVENT_FIRST_CHUNK: 'ai.stream.firstChunk',
} as const;

/**
 * The mapping table of the Vercel AI SDK.
 *
 * Cache counts: `ai.usage.inputTokens` includes cached tokens for OpenAI but, up to
 * AI SDK 5, not for Anthropic (`@ai-sdk/anthropic` 2.x reports Anthropic's uncached
 * `input_tokens` and `totalTokens = input + output`); so `cacheCounting: 'infer'`, and
 * `outside` for an Anthropic span without v6's token details (see `CacheCounting`).
 * With v6's `inputTokenDetails.noCacheTokens` the input total is exact:
 * no-cache + cache reads + cache writes.
 */
export const VERCEL_AI_TABLE = {
  provider: [VercelAI.MODEL_PROVIDER],
  model: [VercelAI.MODEL_ID],
  responseModel: [VercelAI.RESPONSE_MODEL],
  responseId: [VercelAI.RESPONSE_ID],
  finishReasons: [VercelAI.RESPONSE_FINISH_REASON],
  inputTokens: [VercelAI.USAGE_INPUT_TOKENS, VercelAI.USAGE_PROMPT_TOKENS],
  outputTokens: [VercelAI.USAGE_OUTPUT_TOKENS, VercelAI.USAGE_COMPLETION_TOKENS],
  totalTokens: [VercelAI.USAGE_TOTAL_TOKENS],
  cacheReadInputTokens: [VercelAI.USAGE_CACHE_READ_TOKENS, VercelAI.USAGE_CACHED_INPUT_TOKENS],
  cacheCreationInputTokens: [VercelAI.USAGE_CACHE_WRITE_TOKENS],
  reasoningOutputTokens: [VercelAI.USAGE_OUTPUT_REASONING_TOKENS, VercelAI.USAGE_REASONING_TOKENS],
  ttftMs: [{ key: VercelAI.RESPONSE_MS_TO_FIRST_CHUNK, toMs: 1 }],
} as const satisfies FieldTable;

/**
 * `ai.operationId` values mapped to `gen_ai.operation.name`. The top-level spans
 * (`ai.generateText`, `ai.streamText`, …) wrap one or more provider calls and repeat
 * their summed usage: they map to null and their token counts are not taken, so a
 * call is never counted (or priced) twice.
 */
export const OPERATION_IDS: Readonly<Record<string, string | null>> = {
  'ai.generateText.doGenerate': 'chat',
  'ai.streamText.doStream': 'chat',
  'ai.generateObject.doGenerate': 'chat',
  'ai.streamObject.doStream': 'chat',
  'ai.embed.doEmbed': 'embeddings',
  'ai.embedMany.doEmbed': 'embeddings',
  'ai.toolCall': 'execute_tool',
  'ai.generateText': null,
  'ai.streamText': null,
  'ai.generateObject': null,
  'ai.streamObject': null,
  'ai.embed': null,
  'ai.embedMany': null,
};

const USAGE_FIELDS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cacheReadInputTokens',
  'cacheCreationInputTokens',
  'reasoningOutputTokens',
] as const;

function responseMessage(
  a: Record<string, JsonValue>,
  finish: string | null,
  w: Warnings,
): ChatMessage[] | null {
  const parts: MessagePart[] = [];
  const text =
    readString(a, VercelAI.RESPONSE_TEXT, w) ?? readString(a, VercelAI.RESPONSE_OBJECT, w);
  if (text !== null) parts.push(textPart(text));
  const calls = readJson(a, VercelAI.RESPONSE_TOOL_CALLS, w);
  if (Array.isArray(calls)) {
    for (const c of calls) {
      if (!isRecord(c) || typeof c.toolName !== 'string') continue;
      parts.push(
        toolCallPart(
          typeof c.toolCallId === 'string' ? c.toolCallId : null,
          c.toolName,
          c.input ?? c.args,
        ),
      );
    }
  }
  if (parts.length === 0 && finish === null) return null;
  return [message('assistant', parts, { finishReason: finish })];
}

function promptMessages(a: Record<string, JsonValue>, w: Warnings): ChatMessage[] | null {
  const messages = readJson(a, VercelAI.PROMPT_MESSAGES, w);
  if (messages !== null) return fromVercelMessages(messages, VercelAI.PROMPT_MESSAGES, w);
  // Top-level spans: ai.prompt = { system?, prompt?, messages? }.
  const prompt = readJson(a, VercelAI.PROMPT, w);
  if (!isRecord(prompt))
    return typeof prompt === 'string' ? [message('user', [textPart(prompt)])] : null;
  const out: ChatMessage[] = [];
  if (typeof prompt.system === 'string') out.push(message('system', [textPart(prompt.system)]));
  if (typeof prompt.prompt === 'string') out.push(message('user', [textPart(prompt.prompt)]));
  else if (Array.isArray(prompt.prompt))
    out.push(...(fromVercelMessages(prompt.prompt, VercelAI.PROMPT, w) ?? []));
  if (Array.isArray(prompt.messages)) {
    out.push(...(fromVercelMessages(prompt.messages, VercelAI.PROMPT, w) ?? []));
  }
  return out.length > 0 ? out : null;
}

export const vercelAI: Dialect = {
  name: 'vercel-ai',
  table: VERCEL_AI_TABLE,
  cacheCounting: 'infer',
  detect(span: SpanInput): boolean {
    const a = span.attributes;
    return a[VercelAI.OPERATION_ID] !== undefined || a[VercelAI.MODEL_ID] !== undefined;
  },
  extract(span: SpanInput, w: Warnings): Partial<Extracted> {
    const a = span.attributes;
    const fields = readTable(VERCEL_AI_TABLE, a, w);
    const opId = readString(a, VercelAI.OPERATION_ID, w) ?? span.name;
    const operation = OPERATION_IDS[opId];
    fields.operation = operation ?? null;
    const isWrapper = operation === null;
    if (isWrapper) for (const f of USAGE_FIELDS) delete fields[f];

    // v6 breaks the input down exactly: the total is no-cache + reads + writes.
    const noCache = readCount(a, VercelAI.USAGE_NO_CACHE_TOKENS, w);
    let cacheCounting: Extracted['cacheCounting'] | undefined;
    if (!isWrapper && noCache !== null) {
      fields.inputTokens =
        noCache + (fields.cacheReadInputTokens ?? 0) + (fields.cacheCreationInputTokens ?? 0);
      cacheCounting = 'inside';
    } else if (
      !isWrapper &&
      fields.provider === 'anthropic' &&
      !hasPrefix(a, [VercelAI.USAGE_INPUT_DETAILS_PREFIX])
    ) {
      // AI SDK <= 5 on Anthropic: the input count is the uncached rest.
      cacheCounting = 'outside';
    }

    if (fields.ttftMs === undefined) {
      const first = span.events.find((e) => e.name === VercelAI.EVENT_FIRST_CHUNK);
      if (first !== undefined) {
        const ms = readNumber(first.attributes, VercelAI.RESPONSE_MS_TO_FIRST_CHUNK, w);
        fields.ttftMs = ms ?? Number(first.timeUnixNano - span.startTimeUnixNano) / 1e6;
      }
    }

    let input: JsonValue | null;
    let output: JsonValue | null;
    if (operation === 'execute_tool') {
      input = readJson(a, VercelAI.TOOL_CALL_INPUT, w) ?? readJson(a, VercelAI.TOOL_CALL_ARGS, w);
      output =
        readJson(a, VercelAI.TOOL_CALL_OUTPUT, w) ?? readJson(a, VercelAI.TOOL_CALL_RESULT, w);
    } else if (operation === 'embeddings' || opId === 'ai.embed' || opId === 'ai.embedMany') {
      input = readJson(a, VercelAI.EMBED_VALUE, w) ?? readJson(a, VercelAI.EMBED_VALUES, w);
      output = null;
    } else {
      input = promptMessages(a, w);
      output = responseMessage(a, fields.finishReasons?.[0] ?? null, w);
    }
    return {
      ...fields,
      input,
      output,
      wrapper: isWrapper,
      ...(cacheCounting ? { cacheCounting } : {}),
    };
  },
};
