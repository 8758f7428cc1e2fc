export { httpMetricsMiddleware, metricsHandler, UNMATCHED_ROUTE } from './http.js';
export {
  LabelLimiter,
  MAX_LABEL_VALUE_LENGTH,
  OTHER_LABEL_VALUE,
  UNKNOWN_LABEL_VALUE,
} from './labels.js';
export {
  type CollectorMetrics,
  createMetrics,
  DEFAULT_MAX_LABEL_VALUES,
  DEFAULT_MAX_MODELS,
  GEN_AI_DURATION_BUCKETS_SEC,
  GEN_AI_TOKEN_BUCKETS,
  INGEST_DURATION_BUCKETS_SEC,
  METRIC_NAMES,
  type MetricsCallInput,
  type MetricsOptions,
} from './metrics.js';
