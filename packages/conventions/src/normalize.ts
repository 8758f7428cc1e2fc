import type { JsonValue } from './json.js';
import type { CallRecord } from './record.js';

/**
 * One decoded OTLP span, as the collector hands it to the normaliser: ids in
 * lowercase hex, times as Unix nanoseconds (bigint), attribute values decoded to
 * JSON (AnyValue arrays → arrays, kvlists → objects, bytes → base64 strings).
 */
export interface SpanInput {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind number (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, JsonValue>;
  resourceAttributes: Record<string, JsonValue>;
  /** The instrumentation scope that produced the span (e.g. `@traceloop/instrumentation-openai`). */
  scopeName: string | null;
  events: SpanEventInput[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string | null;
}

export interface SpanEventInput {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, JsonValue>;
}

/**
 * What the normaliser derives from a span's attributes and events: the GenAI
 * fields of the canonical record. The collector adds ids, times, project and
 * price (when `costUsd` is null and the model is known).
 */
export type NormalizedFields = Pick<
  CallRecord,
  | 'operation'
  | 'provider'
  | 'model'
  | 'responseModel'
  | 'responseId'
  | 'finishReasons'
  | 'ttftMs'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadInputTokens'
  | 'cacheCreationInputTokens'
  | 'reasoningOutputTokens'
  | 'tokensEstimated'
  | 'costUsd'
  | 'confidence'
  | 'status'
  | 'errorType'
  | 'input'
  | 'output'
  | 'sourceDialect'
  | 'warnings'
>;

export {
  type CacheCounting,
  type ChatMessage,
  canonicalFinishReason,
  canonicalProvider,
  DIALECT_DETECTION_ORDER,
  type DialectName,
  detectDialects,
  FIELD_PRECEDENCE,
  type MessagePart,
  normalizeSpan,
} from './dialects/index.js';
