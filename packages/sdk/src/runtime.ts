import { type Attributes, context, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  getBooleanFromEnv,
  getStringListFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createPriceBook, DEFAULT_PRICES, Otel } from '@pilotlight/conventions';
import { isDuplicateProviderSpan } from './capture/duplicates.js';
import { createRedactor } from './capture/redaction.js';
import { type InitOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { createEnricher } from './export/enrich.js';
import { OtlpHttpJsonExporter } from './export/exporter.js';
import { LightSpan, LightTracer } from './export/light-span.js';
import { encodeSpanBytes } from './export/otlp-json.js';
import { type DeliveryStats, PilotlightSpanProcessor } from './export/processor.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

interface Runtime {
  config: ResolvedConfig;
  tracer: Tracer;
  /** Starts pilotlight's own spans cheaply; null when the SDK tracer must be used (see {@link lightTracerFor}). */
  light: LightTracer | null;
  processor: PilotlightSpanProcessor;
  otlp: OtlpHttpJsonExporter | null;
  shutdownProvider: () => Promise<void>;
  removeExitHooks: () => void;
}

let runtime: Runtime | null = null;

const EMPTY_STATS: DeliveryStats = {
  queued: 0,
  exported: 0,
  droppedQueueFull: 0,
  droppedExportFailed: 0,
  dropped: 0,
  sampledOut: 0,
};

/** The tracer wrapped calls use: pilotlight's after `init()`, else the global one. */
export function currentTracer(): Tracer {
  return runtime?.tracer ?? trace.getTracer(SCOPE_NAME, SCOPE_VERSION);
}

/** pilotlight's fast span factory after `init()`, or null (no `init()`, or a non-default sampler). */
export function currentLightTracer(): LightTracer | null {
  return runtime?.light ?? null;
}

/** Samplers under which every span without an unsampled parent is recorded, as {@link LightTracer} does. */
const DEFAULT_SAMPLERS = new Set(['', 'always_on', 'parentbased_always_on']);

/**
 * The fast span factory for spans that would go to `processor` through `tracer`, or null when
 * the OpenTelemetry SDK must make them: a sampler configured through `OTEL_TRACES_SAMPLER`
 * other than the default, or a tracer that does not record. The resource is the one the
 * provider gives its spans (read from one span that is started, never ended, never exported).
 */
function lightTracerFor(tracer: Tracer, processor: PilotlightSpanProcessor): LightTracer | null {
  const sampler = (process.env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase();
  if (!DEFAULT_SAMPLERS.has(sampler)) return null;
  const probe = tracer.startSpan('pilotlight.probe') as { resource?: Resource };
  if (probe.resource === undefined) return null;
  return new LightTracer({
    resource: probe.resource,
    scope: { name: SCOPE_NAME, version: SCOPE_VERSION },
    sink: processor,
  });
}

/** True when the app already registered a (non-no-op) global tracer provider. */
function hasGlobalProvider(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/**
 * Starts pilotlight: spans of wrapped clients and `traceCall` are batched, redacted and sent
 * over OTLP/HTTP to `${endpoint}/v1/traces`. Without a tracer provider in the app it starts
 * `@opentelemetry/sdk-node` (context propagation included); with one, pilotlight keeps its own
 * provider for its spans and uses the app's context, so app spans still become parents.
 * Calling it twice warns and keeps the first setup. Never throws.
 *
 * @example
 * import { init, wrapOpenAI } from '@pilotlight/sdk';
 * init({ serviceName: 'support-bot' });
 * const openai = wrapOpenAI(new OpenAI());
 */
export function init(options: InitOptions = {}): void {
  const config = resolveConfig(options);
  if (runtime !== null) {
    config.logger.warn('pilotlight: init() called twice; keeping the first configuration');
    return;
  }
  try {
    runtime = start(config, options);
  } catch (error) {
    config.logger.warn(`pilotlight: init failed, spans will not be exported: ${String(error)}`);
  }
}

function start(config: ResolvedConfig, options: InitOptions): Runtime {
  const useNodeSdk =
    config.setup === 'node-sdk' || (config.setup === 'auto' && !hasGlobalProvider());
  const otlp =
    options.exporter === undefined
      ? new OtlpHttpJsonExporter({
          url: config.tracesUrl,
          headers: config.headers,
          timeoutMs: config.exportTimeoutMs,
          retryDeadlineMs: config.retryDeadlineMs,
          initialBackoffMs: config.initialBackoffMs,
          maxBackoffMs: config.maxBackoffMs,
          // With our own NodeSDK (no instrumentations) nothing traces `http`; an app's provider may.
          suppressTracing: !useNodeSdk,
        })
      : null;
  const prices = createPriceBook([...DEFAULT_PRICES, ...config.prices]);
  const enricher = createEnricher({
    captureContent: config.captureContent,
    redactor: config.redact === false ? null : createRedactor(config.redact),
    maxContentChars: config.maxContentChars,
    prices,
  });
  const processor = new PilotlightSpanProcessor({
    exporter: options.exporter ?? (otlp as OtlpHttpJsonExporter),
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMs: config.scheduledDelayMs,
    sampleRatio: config.sampleRatio,
    keepErrors: config.keepErrors,
    logger: config.logger,
    filter: (span) => !isDuplicateProviderSpan(span),
    enrich: enricher.enrich,
    prepare:
      otlp === null
        ? enricher.prepare
        : (spans) => {
            enricher.prepare(spans);
            // Our exporter's bytes for each completed span, written while its objects are young.
            for (const span of spans)
              if (span instanceof LightSpan && span.prepared)
                span.setEncoded(encodeSpanBytes(span));
          },
  });
  const resourceAttributes = { ...config.resourceAttributes };
  let tracer: Tracer;
  let shutdownProvider: () => Promise<void>;
  if (useNodeSdk) {
    const setup = startNodeSetup(config, resourceAttributes, processor);
    tracer = setup.tracer;
    shutdownProvider = setup.shutdown;
  } else {
    if (config.serviceName !== undefined)
      resourceAttributes[Otel.SERVICE_NAME] = config.serviceName;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes(resourceAttributes),
      spanProcessors: [processor],
    });
    tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
    shutdownProvider = () => provider.shutdown();
  }
  const rt: Runtime = {
    config,
    tracer,
    light: lightTracerFor(tracer, processor),
    processor,
    otlp,
    shutdownProvider,
    removeExitHooks: () => undefined,
  };
  if (config.flushOnExit) rt.removeExitHooks = installExitHooks(rt);
  return rt;
}

/**
 * What `@opentelemetry/sdk-node`'s `NodeSDK` sets up for traces, without loading it (its
 * exporters, metrics and logs SDKs put ~18 MB on the heap and take over a second to import,
 * a cost every app would pay in startup and garbage collection): the resource (our attributes,
 * the env, process and host detectors as NodeSDK's default, or none with
 * `OTEL_NODE_RESOURCE_DETECTORS=none`, then `service.name`), an `AsyncLocalStorage` context
 * manager, W3C trace-context and baggage propagation, and a global tracer provider.
 * `OTEL_SDK_DISABLED=true` registers nothing, as NodeSDK does.
 */
function startNodeSetup(
  config: ResolvedConfig,
  resourceAttributes: Attributes,
  processor: PilotlightSpanProcessor,
): { tracer: Tracer; shutdown: () => Promise<void> } {
  if (getBooleanFromEnv('OTEL_SDK_DISABLED'))
    return { tracer: trace.getTracer(SCOPE_NAME, SCOPE_VERSION), shutdown: async () => undefined };
  const detectorNames = getStringListFromEnv('OTEL_NODE_RESOURCE_DETECTORS');
  const detectors = detectorNames?.includes('none')
    ? []
    : [envDetector, processDetector, hostDetector];
  let resource = resourceFromAttributes(resourceAttributes).merge(detectResources({ detectors }));
  if (config.serviceName !== undefined)
    resource = resource.merge(resourceFromAttributes({ [Otel.SERVICE_NAME]: config.serviceName }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer(SCOPE_NAME, SCOPE_VERSION),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function withTimeout(work: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

function installExitHooks(rt: Runtime): () => void {
  let exiting = false;
  const exitFlush = async (): Promise<void> => {
    const done = await withTimeout(
      holdOpen(rt, rt.processor.forceFlush()),
      rt.config.exitFlushTimeoutMs,
    );
    if (!done) {
      const lost = rt.processor.dropQueued();
      if (lost > 0)
        rt.config.logger.warn(`pilotlight: exit flush timed out; ${lost} spans dropped`);
    }
    const { dropped } = rt.processor.getStats();
    if (dropped > 0) rt.config.logger.warn(`pilotlight: ${dropped} spans were dropped in total`);
  };
  const onBeforeExit = (): void => {
    // `beforeExit` fires again after our flush empties the loop: flush only when there is work.
    if (exiting || rt.processor.getStats().queued === 0) return;
    exiting = true;
    void exitFlush().finally(() => {
      exiting = false;
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) return;
    exiting = true;
    void exitFlush().finally(() => {
      // Ours was the only listener: restore the default behaviour (terminate by the signal).
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    });
  };
  process.on('beforeExit', onBeforeExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
}

function holdOpen(rt: Runtime, work: Promise<void>): Promise<void> {
  return rt.otlp === null ? work : rt.otlp.holdOpen(work);
}

/**
 * Delivers every buffered span (for serverless handlers: call it before returning).
 * Resolves when the collector confirmed them or their retry deadline passed; never rejects.
 */
export async function flush(): Promise<void> {
  const rt = runtime;
  if (rt === null) return;
  try {
    await holdOpen(rt, rt.processor.forceFlush());
  } catch {
    // Failures are counted in the delivery stats.
  }
}

/** Flushes, stops exporting and releases the global OpenTelemetry registration. Idempotent; never rejects. */
export async function shutdown(): Promise<void> {
  const rt = runtime;
  if (rt === null) return;
  runtime = null;
  rt.removeExitHooks();
  try {
    await holdOpen(rt, rt.processor.forceFlush());
    await rt.shutdownProvider();
  } catch {
    // Nothing to report to the caller; counters keep the losses.
  }
}

/** Counters of the delivery pipeline (queued, exported, dropped, sampled out). */
export function getDeliveryStats(): DeliveryStats {
  return runtime?.processor.getStats() ?? { ...EMPTY_STATS };
}

/** Spans lost so far (queue full or undeliverable before the retry deadline). */
export function getDroppedSpanCount(): number {
  return runtime?.processor.getStats().dropped ?? 0;
}

/** The resolved configuration, or null before `init()`. */
export function currentConfig(): ResolvedConfig | null {
  return runtime?.config ?? null;
}
