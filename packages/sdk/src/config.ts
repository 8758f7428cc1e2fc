import type { Attributes } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { PriceEntry } from '@pilotlight/conventions';
import type { RedactionOptions } from './capture/redaction.js';

/** Where spans go when neither `endpoint` nor `PILOTLIGHT_ENDPOINT` is set. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
/** Spans held in memory while waiting for export; beyond this they are dropped and counted. */
export const DEFAULT_MAX_QUEUE_SIZE = 2048;
/** Spans sent in one OTLP request. */
export const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
/** How long a span may wait in the queue before a (partial) batch is sent. */
export const DEFAULT_SCHEDULED_DELAY_MS = 1000;
/** Time limit of one HTTP attempt. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;
/** How long one batch is retried (429/502/503/504, network errors) before it is dropped and counted. */
export const DEFAULT_RETRY_DEADLINE_MS = 60_000;
/** First retry delay; doubled per attempt, jittered, capped by `DEFAULT_MAX_BACKOFF_MS`. */
export const DEFAULT_INITIAL_BACKOFF_MS = 500;
export const DEFAULT_MAX_BACKOFF_MS = 5_000;
/** How long the flush on process exit may take. */
export const DEFAULT_EXIT_FLUSH_TIMEOUT_MS = 5_000;
/** Longest captured content string (characters) per attribute; longer text is truncated. */
export const DEFAULT_MAX_CONTENT_CHARS = 32_768;

/** Where the SDK writes its own warnings (never errors thrown into the app). */
export interface Logger {
  warn(message: string): void;
}

/** Options of {@link init}. Every field is optional. */
export interface InitOptions {
  /** Collector base URL; traces go to `${endpoint}/v1/traces`. Default `PILOTLIGHT_ENDPOINT` or `http://127.0.0.1:4318`. */
  endpoint?: string;
  /** `service.name` of the resource. Default `OTEL_SERVICE_NAME` or the OpenTelemetry default. */
  serviceName?: string;
  /** Extra resource attributes (`deployment.environment.name`, `service.version`, …). */
  resourceAttributes?: Attributes;
  /** Extra HTTP headers on every export (e.g. `Authorization`). `PILOTLIGHT_API_KEY` adds a bearer token. */
  headers?: Record<string, string>;
  /** Capture prompts and outputs (default true; `PILOTLIGHT_CAPTURE_CONTENT=false` turns it off). */
  captureContent?: boolean;
  /** Redaction of captured content; `false` turns it off. Default: every built-in detector. */
  redact?: RedactionOptions | false;
  /** Head-sampling ratio in [0, 1], decided per trace id (default 1: keep everything). */
  sampleRatio?: number;
  /** Keep every span that ended in error, whatever `sampleRatio` says (default true). */
  keepErrors?: boolean;
  /** Price entries added to, or overriding, the conventions price table. */
  prices?: readonly PriceEntry[];
  /** Longest captured content string per attribute (default 32 768 characters). */
  maxContentChars?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMs?: number;
  exportTimeoutMs?: number;
  retryDeadlineMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Flush on `beforeExit`, `SIGTERM` and `SIGINT` (default true). */
  flushOnExit?: boolean;
  exitFlushTimeoutMs?: number;
  /**
   * `auto` (default): set up tracing as `@opentelemetry/sdk-node` would (global tracer provider,
   * `AsyncLocalStorage` context, W3C propagation; without loading it) unless the app already
   * registered a tracer provider, in which case pilotlight keeps its own provider for its spans and uses the app's
   * context, so an app span (e.g. an HTTP server span) still becomes the parent.
   * `node-sdk` / `standalone` force one or the other.
   */
  setup?: 'auto' | 'node-sdk' | 'standalone';
  /** Replace the OTLP/HTTP exporter (tests, other backends). Redaction and enrichment still apply. */
  exporter?: SpanExporter;
  /** Where warnings go (default `console`). */
  logger?: Logger;
}

/** {@link InitOptions} with every default applied. */
export interface ResolvedConfig {
  endpoint: string;
  tracesUrl: string;
  serviceName: string | undefined;
  resourceAttributes: Attributes;
  headers: Record<string, string>;
  captureContent: boolean;
  redact: RedactionOptions | false;
  sampleRatio: number;
  keepErrors: boolean;
  prices: readonly PriceEntry[];
  maxContentChars: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  retryDeadlineMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  flushOnExit: boolean;
  exitFlushTimeoutMs: number;
  setup: 'auto' | 'node-sdk' | 'standalone';
  logger: Logger;
}

const positive = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;

const envFlag = (value: string | undefined): boolean | undefined => {
  if (value === undefined || value === '') return undefined;
  return !/^(?:0|false|no|off)$/i.test(value.trim());
};

/** Applies defaults and environment variables. Never throws: a bad value falls back to its default. */
export function resolveConfig(
  options: InitOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const endpoint = (options.endpoint ?? env.PILOTLIGHT_ENDPOINT ?? DEFAULT_ENDPOINT).replace(
    /\/+$/,
    '',
  );
  const headers: Record<string, string> = {};
  if (env.PILOTLIGHT_API_KEY) headers.authorization = `Bearer ${env.PILOTLIGHT_API_KEY}`;
  Object.assign(headers, options.headers);
  const ratio = options.sampleRatio;
  return {
    endpoint,
    tracesUrl: `${endpoint}/v1/traces`,
    serviceName: options.serviceName ?? env.OTEL_SERVICE_NAME ?? undefined,
    resourceAttributes: options.resourceAttributes ?? {},
    headers,
    captureContent: options.captureContent ?? envFlag(env.PILOTLIGHT_CAPTURE_CONTENT) ?? true,
    redact: options.redact ?? {},
    sampleRatio:
      ratio !== undefined && Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1,
    keepErrors: options.keepErrors ?? true,
    prices: options.prices ?? [],
    maxContentChars: positive(options.maxContentChars, DEFAULT_MAX_CONTENT_CHARS),
    maxQueueSize: positive(options.maxQueueSize, DEFAULT_MAX_QUEUE_SIZE),
    maxExportBatchSize: positive(options.maxExportBatchSize, DEFAULT_MAX_EXPORT_BATCH_SIZE),
    scheduledDelayMs: positive(options.scheduledDelayMs, DEFAULT_SCHEDULED_DELAY_MS),
    exportTimeoutMs: positive(options.exportTimeoutMs, DEFAULT_EXPORT_TIMEOUT_MS),
    retryDeadlineMs: positive(options.retryDeadlineMs, DEFAULT_RETRY_DEADLINE_MS),
    initialBackoffMs: positive(options.initialBackoffMs, DEFAULT_INITIAL_BACKOFF_MS),
    maxBackoffMs: positive(options.maxBackoffMs, DEFAULT_MAX_BACKOFF_MS),
    flushOnExit: options.flushOnExit ?? true,
    exitFlushTimeoutMs: positive(options.exitFlushTimeoutMs, DEFAULT_EXIT_FLUSH_TIMEOUT_MS),
    setup: options.setup ?? 'auto',
    logger: options.logger ?? console,
  };
}
