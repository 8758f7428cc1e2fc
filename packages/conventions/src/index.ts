export { GenAI, OperationName, Otel, Pilotlight, ProviderName } from './attributes.js';
export { type JsonValue, jsonValueSchema } from './json.js';
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
  type NormalizedFields,
  normalizeSpan,
  type SpanEventInput,
  type SpanInput,
} from './normalize.js';
export {
  baseModelName,
  computeCostUsd,
  createPriceBook,
  DEFAULT_PRICES,
  MODEL_ALIASES,
  modelNameCandidates,
  type PriceBook,
  type PriceEntry,
  priceEntrySchema,
  type TokenUsage,
} from './prices.js';
export { type CallRecord, type CallStatus, callRecordSchema } from './record.js';
export type {
  Percentiles,
  SummaryGroup,
  SummaryGroupBy,
  SummaryPoint,
  SummaryResponse,
} from './summary.js';
