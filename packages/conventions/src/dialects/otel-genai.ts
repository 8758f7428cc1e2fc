// OpenTelemetry GenAI semantic conventions >= 1.37: `gen_ai.provider.name`,
// `gen_ai.input.messages` / `gen_ai.output.messages` (JSON string or structured),
// `gen_ai.system_instructions`, cache and reasoning counts inside the input/output totals.
import { GenAI } from '../attributes.js';
import type { JsonValue } from '../json.js';
import type { SpanInput } from '../normalize.js';
import { type ChatMessage, fromSemconvMessages, systemMessage } from './messages.js';
import { readJson, type Warnings } from './read.js';
import { type Dialect, type FieldTable, readTable } from './types.js';

/**
 * The cache-write name `@anthropic-ai/sdk` (0.13x) uses in its own GenAI spans for what
 * the registry calls `gen_ai.usage.cache_creation.input_tokens`; counted inside the
 * input total there too.
 */
const CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
/** `@anthropic-ai/sdk` puts the stop reason here instead of `gen_ai.response.finish_reasons`. */
const ANTHROPIC_STOP_REASON = 'anthropic.message.stop_reason';

/** The mapping table of semconv >= 1.37. */
export const OTEL_GENAI_TABLE = {
  operation: [GenAI.OPERATION_NAME],
  provider: [GenAI.PROVIDER_NAME],
  model: [GenAI.REQUEST_MODEL],
  responseModel: [GenAI.RESPONSE_MODEL],
  responseId: [GenAI.RESPONSE_ID],
  finishReasons: [GenAI.RESPONSE_FINISH_REASONS, ANTHROPIC_STOP_REASON],
  inputTokens: [GenAI.USAGE_INPUT_TOKENS],
  outputTokens: [GenAI.USAGE_OUTPUT_TOKENS],
  cacheReadInputTokens: [GenAI.USAGE_CACHE_READ_INPUT_TOKENS],
  cacheCreationInputTokens: [GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS, CACHE_WRITE_INPUT_TOKENS],
  reasoningOutputTokens: [GenAI.USAGE_REASONING_OUTPUT_TOKENS],
  /** Seconds in the spec. */
  ttftMs: [{ key: GenAI.RESPONSE_TIME_TO_FIRST_CHUNK, toMs: 1000 }],
} as const satisfies FieldTable;

/** Attributes only semconv >= 1.37 defines: their presence identifies the dialect. */
const MARKERS: readonly string[] = [
  GenAI.PROVIDER_NAME,
  GenAI.INPUT_MESSAGES,
  GenAI.OUTPUT_MESSAGES,
  GenAI.SYSTEM_INSTRUCTIONS,
  GenAI.RESPONSE_TIME_TO_FIRST_CHUNK,
  GenAI.USAGE_CACHE_READ_INPUT_TOKENS,
  GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS,
  CACHE_WRITE_INPUT_TOKENS,
];

/** Input messages with `gen_ai.system_instructions` first, as a `system` message. */
export function semconvInput(attrs: Record<string, JsonValue>, w: Warnings): ChatMessage[] | null {
  const raw = readJson(attrs, GenAI.INPUT_MESSAGES, w);
  const messages = raw === null ? null : fromSemconvMessages(raw, GenAI.INPUT_MESSAGES, w);
  const sys = readJson(attrs, GenAI.SYSTEM_INSTRUCTIONS, w);
  const system = sys === null ? null : systemMessage(sys);
  if (system === null) return messages;
  const rest = messages ?? [];
  // Instructions also present as a system message are not repeated.
  if (rest[0]?.role === 'system' && JSON.stringify(rest[0].parts) === JSON.stringify(system.parts))
    return rest;
  return [system, ...rest];
}

export function semconvOutput(attrs: Record<string, JsonValue>, w: Warnings): ChatMessage[] | null {
  const raw = readJson(attrs, GenAI.OUTPUT_MESSAGES, w);
  return raw === null ? null : fromSemconvMessages(raw, GenAI.OUTPUT_MESSAGES, w);
}

export const otelGenAI: Dialect = {
  name: 'otel-genai',
  table: OTEL_GENAI_TABLE,
  cacheCounting: 'inside',
  detect(span: SpanInput): boolean {
    const a = span.attributes;
    if (MARKERS.some((k) => a[k] !== undefined)) return true;
    // Operation or model without the <= 1.36 `gen_ai.system`: the current conventions.
    return (
      (a[GenAI.OPERATION_NAME] !== undefined || a[GenAI.REQUEST_MODEL] !== undefined) &&
      a['gen_ai.system'] === undefined
    );
  },
  extract(span: SpanInput, w: Warnings) {
    return {
      ...readTable(OTEL_GENAI_TABLE, span.attributes, w),
      input: semconvInput(span.attributes, w),
      output: semconvOutput(span.attributes, w),
    };
  },
};
