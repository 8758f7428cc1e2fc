import type { CallRecord } from '@pilotlight/conventions';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { LabelLimiter } from './labels.js';

/**
 * Advised bucket boundaries of `gen_ai.client.operation.duration` and
 * `gen_ai.client.operation.time_to_first_chunk` (seconds), from the GenAI semantic
 * conventions.
 */
export const GEN_AI_DURATION_BUCKETS_SEC: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** Advised bucket boundaries of `gen_ai.client.token.usage` (tokens). */
export const GEN_AI_TOKEN_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Buckets of the collector's own ingest latency (seconds per OTLP request). */
export const INGEST_DURATION_BUCKETS_SEC: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Default distinct `gen_ai_request_model` values before folding into `other`. */
export const DEFAULT_MAX_MODELS = 100;
/** Default distinct values of every other open-ended label (projects, providers, operations, error types, routes, reasons). */
export const DEFAULT_MAX_LABEL_VALUES = 50;

/**
 * Prometheus names of the metrics, converted from the OTel names the usual way: dots to
 * underscores, the unit `s` as a `_seconds` suffix, curly-brace units such as `{token}`
 * dropped, `_total` on counters.
 */
export const METRIC_NAMES = {
  operationDuration: 'gen_ai_client_operation_duration_seconds',
  tokenUsage: 'gen_ai_client_token_usage',
  timeToFirstChunk: 'gen_ai_client_operation_time_to_first_chunk_seconds',
  costUsd: 'pilotlight_gen_ai_cost_usd_total',
  errors: 'pilotlight_gen_ai_errors_total',
  httpRequests: 'pilotlight_http_requests_total',
  spansAccepted: 'pilotlight_spans_accepted_total',
  spansRejected: 'pilotlight_spans_rejected_total',
  ingestDuration: 'pilotlight_ingest_duration_seconds',
  storeSize: 'pilotlight_store_size_bytes',
  queueDepth: 'pilotlight_ingest_queue_depth',
} as const;

/** The fields of a call record the GenAI metrics read. */
export type MetricsCallInput = Pick<
  CallRecord,
  | 'projectId'
  | 'provider'
  | 'model'
  | 'responseModel'
  | 'operation'
  | 'durationMs'
  | 'ttftMs'
  | 'inputTokens'
  | 'outputTokens'
  | 'costUsd'
  | 'status'
  | 'errorType'
>;

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Distinct model label values kept; later models are counted under `other`. */
  maxModels?: number;
  /** Distinct values kept for each other open-ended label. */
  maxLabelValues?: number;
  /** Also export Node's process metrics (`process_resident_memory_bytes`, …). Default true. */
  processMetrics?: boolean;
  /** Read at each scrape for the store-size gauge (bytes on disk). */
  storeSizeBytes?: () => number;
  /** Read at each scrape for the queue-depth gauge (spans waiting to be written). */
  queueDepth?: () => number;
}

/** The collector's metrics: a registry and the recorders that feed it. */
export interface CollectorMetrics {
  /** The registry holding every metric (a fresh one, not prom-client's global). */
  readonly registry: Registry;
  /** `Content-Type` of {@link CollectorMetrics.render}'s output. */
  readonly contentType: string;
  /** Hot path: one call's duration, TTFT, tokens, cost and error. Non-GenAI spans are ignored. */
  recordCall(record: MetricsCallInput): void;
  /** One HTTP request served; `route` is the route pattern (`/api/spans/:id`), never the raw path. */
  recordHttpRequest(route: string, method: string, status: number): void;
  recordSpansAccepted(count: number): void;
  /** Spans refused, by reason (`invalid`, `too_large`, `unauthorized`, `overloaded`, …). */
  recordSpansRejected(reason: string, count: number): void;
  /** Time to handle one ingest request, in seconds. */
  observeIngestDuration(seconds: number): void;
  setStoreSizeBytes(bytes: number): void;
  setQueueDepth(depth: number): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/** The per-series children of one (project, provider, model, operation), cached. */
interface CallSeries {
  duration: Histogram.Internal<string>;
  ttft: Histogram.Internal<string>;
  inputTokens: Histogram.Internal<string>;
  outputTokens: Histogram.Internal<string>;
  cost: Counter.Internal;
  labels: Record<string, string>;
}

/**
 * Creates the collector's Prometheus metrics. GenAI metrics are labelled `project`,
 * `gen_ai_provider_name`, `gen_ai_request_model`, `gen_ai_operation_name` (the semconv
 * attributes in Prometheus form); every open-ended label is bounded (see
 * {@link LabelLimiter}), so a flood of model names cannot blow up the series count.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ maxModels: 50, storeSizeBytes: () => store.sizeBytes() });
 * for (const record of batch) metrics.recordCall(record);
 * app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }));
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): CollectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const maxLabelValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
  const models = new LabelLimiter(options.maxModels ?? DEFAULT_MAX_MODELS);
  const projects = new LabelLimiter(maxLabelValues);
  const providers = new LabelLimiter(maxLabelValues);
  const operations = new LabelLimiter(maxLabelValues);
  const errorTypes = new LabelLimiter(maxLabelValues);
  const routes = new LabelLimiter(maxLabelValues);
  const reasons = new LabelLimiter(maxLabelValues);
  const methods = new LabelLimiter(16);

  const callLabels = [
    'project',
    'gen_ai_provider_name',
    'gen_ai_request_model',
    'gen_ai_operation_name',
  ] as const;
  const duration = new Histogram({
    name: METRIC_NAMES.operationDuration,
    help: 'GenAI operation duration (gen_ai.client.operation.duration).',
    labelNames: callLabels,
    buckets: [...GEN_AI_DURATION_BUCKETS_SEC],
    registers,
  });
  const tokens = new Histogram({
    name: METRIC_NAMES.tokenUsage,
    help: 'Number of input and output tokens used (gen_ai.client.token.usage).',
    labelNames: [...callLabels, 'gen_ai_token_type'],
    buckets: [...GEN_AI_TOKEN_BUCKETS],
    registers,
  });
  const ttft = new Histogram({
    name: METRIC_NAMES.timeToFirstChunk,
    help: 'Time to receive the first chunk of a streamed response (gen_ai.client.operation.time_to_first_chunk).',
    labelNames: callLabels,
    buckets: [...GEN_AI_DURATION_BUCKETS_SEC],
    registers,
  });
  const cost = new Counter({
    name: METRIC_NAMES.costUsd,
    help: 'Cost of GenAI calls in US dollars (calls without a known price add nothing).',
    labelNames: callLabels,
    registers,
  });
  const errors = new Counter({
    name: METRIC_NAMES.errors,
    help: 'GenAI calls that ended in an error, by error type.',
    labelNames: [...callLabels, 'error_type'],
    registers,
  });
  const httpRequests = new Counter({
    name: METRIC_NAMES.httpRequests,
    help: 'HTTP requests served by the collector, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const spansAccepted = new Counter({
    name: METRIC_NAMES.spansAccepted,
    help: 'Spans accepted by the ingest endpoint.',
    registers,
  });
  const spansRejected = new Counter({
    name: METRIC_NAMES.spansRejected,
    help: 'Spans refused by the ingest endpoint, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const ingestDuration = new Histogram({
    name: METRIC_NAMES.ingestDuration,
    help: 'Time to handle one OTLP ingest request, decode to commit.',
    buckets: [...INGEST_DURATION_BUCKETS_SEC],
    registers,
  });
  const storeSizeFn = options.storeSizeBytes;
  const storeSize: Gauge = new Gauge({
    name: METRIC_NAMES.storeSize,
    help: 'Size of the store on disk in bytes.',
    registers,
    ...(storeSizeFn ? { collect: (): void => storeSize.set(storeSizeFn()) } : {}),
  });
  const queueDepthFn = options.queueDepth;
  const queueDepth: Gauge = new Gauge({
    name: METRIC_NAMES.queueDepth,
    help: 'Spans accepted but not yet written to the store.',
    registers,
    ...(queueDepthFn ? { collect: (): void => queueDepth.set(queueDepthFn()) } : {}),
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Labels are bounded, so this cache is too: at most projects × providers × models × operations.
  const seriesCache = new Map<string, CallSeries>();
  function seriesFor(record: MetricsCallInput): CallSeries {
    const project = projects.value(record.projectId);
    const provider = providers.value(record.provider);
    const model = models.value(record.model ?? record.responseModel);
    const operation = operations.value(record.operation);
    const key = `${project.length}:${project}|${provider.length}:${provider}|${model.length}:${model}|${operation}`;
    let series = seriesCache.get(key);
    if (series === undefined) {
      const labels = {
        project,
        gen_ai_provider_name: provider,
        gen_ai_request_model: model,
        gen_ai_operation_name: operation,
      };
      series = {
        duration: duration.labels(labels),
        ttft: ttft.labels(labels),
        inputTokens: tokens.labels({ ...labels, gen_ai_token_type: 'input' }),
        outputTokens: tokens.labels({ ...labels, gen_ai_token_type: 'output' }),
        cost: cost.labels(labels),
        labels,
      };
      seriesCache.set(key, series);
    }
    return series;
  }

  return {
    registry,
    contentType: registry.contentType,
    recordCall(record) {
      if (record.operation === null && record.model === null && record.provider === null) return;
      const series = seriesFor(record);
      if (Number.isFinite(record.durationMs)) series.duration.observe(record.durationMs / 1000);
      if (record.ttftMs !== null && Number.isFinite(record.ttftMs)) {
        series.ttft.observe(record.ttftMs / 1000);
      }
      if (record.inputTokens !== null) series.inputTokens.observe(record.inputTokens);
      if (record.outputTokens !== null) series.outputTokens.observe(record.outputTokens);
      if (record.costUsd !== null && record.costUsd > 0 && Number.isFinite(record.costUsd)) {
        series.cost.inc(record.costUsd);
      }
      if (record.status === 'error') {
        // semconv's fallback value of error.type when the type is unknown.
        errors.inc({
          ...series.labels,
          error_type: errorTypes.value(record.errorType ?? '_OTHER'),
        });
      }
    },
    recordHttpRequest(route, method, status) {
      httpRequests.inc({
        route: routes.value(route),
        method: methods.value(method.toUpperCase()),
        status: String(status),
      });
    },
    recordSpansAccepted(count) {
      if (count > 0) spansAccepted.inc(count);
    },
    recordSpansRejected(reason, count) {
      if (count > 0) spansRejected.inc({ reason: reasons.value(reason) }, count);
    },
    observeIngestDuration(seconds) {
      ingestDuration.observe(seconds);
    },
    setStoreSizeBytes(bytes) {
      storeSize.set(bytes);
    },
    setQueueDepth(depth) {
      queueDepth.set(depth);
    },
    render() {
      return registry.metrics();
    },
  };
}
