import { z } from 'zod';
import { jsonValueSchema } from './json.js';

/**
 * The canonical call record: what every span becomes in the collector, whatever
 * instrumentation sent it. Spans that are not GenAI calls are kept too (they are
 * the trace's tree) with their GenAI fields null.
 */
export const callRecordSchema = z.object({
  /** 32 lowercase hex characters. */
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  /** 16 lowercase hex characters. */
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .nullable(),
  projectId: z.string(),
  name: z.string(),
  /** `gen_ai.operation.name` (chat, embeddings, predict, …), null for non-GenAI spans. */
  operation: z.string().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  responseModel: z.string().nullable(),
  responseId: z.string().nullable(),
  finishReasons: z.array(z.string()).nullable(),
  serviceName: z.string().nullable(),
  /** ISO 8601 with millisecond precision. */
  startTime: z.string(),
  endTime: z.string(),
  /** Span start as Unix nanoseconds (decimal string: exact, unlike a JS number). */
  startTimeUnixNano: z.string().regex(/^\d+$/),
  durationMs: z.number().nonnegative(),
  /** Time to first token/chunk of a streamed response. */
  ttftMs: z.number().nonnegative().nullable(),
  /** Total input tokens, cache reads and writes included. */
  inputTokens: z.number().int().nonnegative().nullable(),
  outputTokens: z.number().int().nonnegative().nullable(),
  cacheReadInputTokens: z.number().int().nonnegative().nullable(),
  cacheCreationInputTokens: z.number().int().nonnegative().nullable(),
  reasoningOutputTokens: z.number().int().nonnegative().nullable(),
  tokensEstimated: z.boolean(),
  costUsd: z.number().nonnegative().nullable(),
  /** Who priced the call; null when nobody could (unknown model). */
  costSource: z.enum(['sdk', 'collector']).nullable(),
  confidence: z.number().min(0).max(1).nullable(),
  status: z.enum(['ok', 'error']),
  errorType: z.string().nullable(),
  /** Prompt: semconv input messages, or a traced function's input. */
  input: jsonValueSchema.nullable(),
  /** Output: semconv output messages, or a traced function's output. */
  output: jsonValueSchema.nullable(),
  /** Which instrumentation dialect the span was read as. */
  sourceDialect: z.string().nullable(),
  /** Problems found while normalising the span (kept, not rejected). */
  warnings: z.array(z.string()),
  /** Every span attribute (and resource attribute under `resource.`), as sent. */
  attributes: z.record(z.string(), jsonValueSchema),
});

export type CallRecord = z.infer<typeof callRecordSchema>;
export type CallStatus = CallRecord['status'];
