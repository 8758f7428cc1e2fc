// OpenLLMetry / Traceloop (`@traceloop/*`, Python `opentelemetry-instrumentation-*`
// from traceloop/openllmetry): flattened messages `gen_ai.prompt.N.*` /
// `gen_ai.completion.N.*`, `llm.*` usage and request attributes, cache counts as
// `gen_ai.usage.cache_read_input_tokens` / `cache_creation_input_tokens`.
// Recent JS releases (0.2x) emit the current semconv names as well; the otel-genai
// table reads those, this one the Traceloop-specific rest.
import type { JsonValue } from '../json.js';
import type { SpanInput } from '../normalize.js';
import {
  type ChatMessage,
  type MessagePart,
  message,
  openAIContentParts,
  textPart,
  toolCallPart,
} from './messages.js';
import { canonicalFinishReason } from './providers.js';
import {
  groupByIndex,
  hasPrefix,
  indicesUnder,
  parseJson,
  prefixed,
  readString,
  type Warnings,
} from './read.js';
import { type Dialect, type FieldTable, readTable } from './types.js';

/** Traceloop's own attribute names (`@traceloop/ai-semantic-conventions`). */
export const Traceloop = {
  PROMPT_PREFIX: 'gen_ai.prompt',
  COMPLETION_PREFIX: 'gen_ai.completion',
  LLM_REQUEST_TYPE: 'llm.request.type',
  LLM_USAGE_TOTAL_TOKENS: 'llm.usage.total_tokens',
  GEN_AI_USAGE_TOTAL_TOKENS: 'gen_ai.usage.total_tokens',
  CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read_input_tokens',
  CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation_input_tokens',
  REASONING_TOKENS: 'gen_ai.usage.reasoning_tokens',
  SCOPE_PREFIX: '@traceloop/',
  /** Scope of the JS Anthropic instrumentation (`@traceloop/node-server-sdk`). */
  ANTHROPIC_JS_SCOPE: '@traceloop/instrumentation-anthropic',
} as const;

/**
 * The mapping table of OpenLLMetry.
 *
 * Cache counts: OpenLLMetry's Anthropic instrumentation has reported
 * `gen_ai.usage.input_tokens` both without cache tokens (older releases) and with
 * them (newer ones, which add cache reads and writes into the prompt count). So the
 * table uses `cacheCounting: 'infer'`: cache tokens are added to the input count when
 * `llm.usage.total_tokens = input + output + cache` or when they exceed the input
 * count, and are taken as already included otherwise (OpenAI, newer releases).
 * The JS Anthropic instrumentation (0.27) copies Anthropic's uncached `input_tokens`
 * into `gen_ai.usage.input_tokens` next to the semconv cache names, and its total is
 * input + output, so nothing in the span tells: its scope makes the counting `outside`.
 */
export const OPENLLMETRY_TABLE = {
  operation: [Traceloop.LLM_REQUEST_TYPE],
  provider: ['gen_ai.system'],
  model: ['gen_ai.request.model', 'llm.request.model'],
  responseModel: ['gen_ai.response.model', 'llm.response.model'],
  responseId: ['gen_ai.response.id'],
  finishReasons: ['gen_ai.response.finish_reasons'],
  inputTokens: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.usage.prompt_tokens',
  ],
  outputTokens: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.usage.completion_tokens',
  ],
  totalTokens: [Traceloop.LLM_USAGE_TOTAL_TOKENS, Traceloop.GEN_AI_USAGE_TOTAL_TOKENS],
  cacheReadInputTokens: [Traceloop.CACHE_READ_INPUT_TOKENS],
  cacheCreationInputTokens: [Traceloop.CACHE_CREATION_INPUT_TOKENS],
  reasoningOutputTokens: [Traceloop.REASONING_TOKENS],
} as const satisfies FieldTable;

/** `llm.request.type` values mapped to `gen_ai.operation.name`. */
export const LLM_REQUEST_TYPE_OPERATIONS: Readonly<Record<string, string>> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  embeddings: 'embeddings',
  rerank: 'rerank',
};

/** Message content: plain text, or a JSON list of OpenAI content parts. */
function contentParts(v: JsonValue | undefined): MessagePart[] {
  if (typeof v === 'string' && v.startsWith('[')) {
    const parsed = parseJson(v);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'object' && p !== null)) {
      return openAIContentParts(parsed);
    }
  }
  if (typeof v === 'string') return v === '' ? [] : [textPart(v)];
  return openAIContentParts(v);
}

function flatMessages(
  a: Record<string, JsonValue>,
  prefix: string,
  defaultRole: string,
  w: Warnings,
): { messages: ChatMessage[]; finishReasons: string[] } | null {
  const groups = groupByIndex(a, prefix);
  if (groups.size === 0) return null;
  const messages: ChatMessage[] = [];
  const finishReasons: string[] = [];
  for (const [i, m] of groups) {
    const mw = prefixed(w, `${prefix}.${i}`);
    const role = readString(m, 'role', mw) ?? defaultRole;
    const finish = readString(m, 'finish_reason', mw);
    if (finish !== null) finishReasons.push(canonicalFinishReason(finish));
    if (role === 'tool') {
      const id = readString(m, 'tool_call_id', mw);
      messages.push(
        message('tool', [{ type: 'tool_call_response', id, response: m.content ?? null }]),
      );
      continue;
    }
    const parts = contentParts(m.content);
    for (const [j, t] of groupByIndex(m, 'tool_calls')) {
      const tw = prefixed(mw, `tool_calls.${j}`);
      const name = readString(t, 'name', tw);
      if (name !== null) parts.push(toolCallPart(readString(t, 'id', tw), name, t.arguments));
    }
    const fnName = readString(m, 'function_call.name', mw);
    if (fnName !== null) parts.push(toolCallPart(null, fnName, m['function_call.arguments']));
    messages.push(message(role, parts, { finishReason: finish }));
  }
  return { messages, finishReasons };
}

export const openllmetry: Dialect = {
  name: 'openllmetry',
  table: OPENLLMETRY_TABLE,
  cacheCounting: 'infer',
  detect(span: SpanInput): boolean {
    const a = span.attributes;
    if (span.scopeName?.startsWith(Traceloop.SCOPE_PREFIX)) return true;
    if (
      a[Traceloop.LLM_REQUEST_TYPE] !== undefined ||
      a[Traceloop.LLM_USAGE_TOTAL_TOKENS] !== undefined ||
      a[Traceloop.CACHE_READ_INPUT_TOKENS] !== undefined ||
      a[Traceloop.CACHE_CREATION_INPUT_TOKENS] !== undefined
    ) {
      return true;
    }
    return (
      indicesUnder(a, Traceloop.PROMPT_PREFIX).length > 0 ||
      indicesUnder(a, Traceloop.COMPLETION_PREFIX).length > 0 ||
      hasPrefix(a, ['traceloop.'])
    );
  },
  extract(span: SpanInput, w: Warnings) {
    const a = span.attributes;
    const fields = readTable(OPENLLMETRY_TABLE, a, w);
    const requestType = fields.operation?.toLowerCase();
    fields.operation =
      requestType === undefined ? null : (LLM_REQUEST_TYPE_OPERATIONS[requestType] ?? requestType);
    const prompt = flatMessages(a, Traceloop.PROMPT_PREFIX, 'user', w);
    const completion = flatMessages(a, Traceloop.COMPLETION_PREFIX, 'assistant', w);
    if (fields.finishReasons === undefined && completion && completion.finishReasons.length > 0) {
      fields.finishReasons = completion.finishReasons;
    }
    return {
      ...fields,
      input: prompt?.messages ?? null,
      output: completion?.messages ?? null,
      ...(span.scopeName === Traceloop.ANTHROPIC_JS_SCOPE ? { cacheCounting: 'outside' } : {}),
    };
  },
};
