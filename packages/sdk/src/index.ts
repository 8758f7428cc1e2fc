export { confidenceFromLogprobs, type LogprobConfidence } from './capture/confidence.js';
export {
  ALL_DETECTORS,
  createRedactor,
  type Detector,
  luhnValid,
  type RedactionOptions,
  type RedactionPattern,
  type Redactor,
} from './capture/redaction.js';
export {
  DEFAULT_ENDPOINT,
  type InitOptions,
  type Logger,
  type ResolvedConfig,
} from './config.js';
export { errorType } from './errors.js';
export { OtlpHttpJsonExporter, type OtlpHttpJsonExporterOptions } from './export/exporter.js';
export {
  type DeliveryStats,
  PilotlightSpanProcessor,
  type PilotlightSpanProcessorOptions,
} from './export/processor.js';
export {
  type Feedback,
  type FeedbackBody,
  type FeedbackResult,
  type FeedbackTarget,
  recordFeedback,
} from './feedback.js';
export {
  flush,
  getDeliveryStats,
  getDroppedSpanCount,
  init,
  shutdown,
} from './runtime.js';
export { type WrapAnthropicOptions, wrapAnthropic } from './wrap/anthropic.js';
export { type TraceCallOptions, type TraceKind, traceCall } from './wrap/function.js';
export { type WrapOpenAIOptions, wrapOpenAI } from './wrap/openai.js';
