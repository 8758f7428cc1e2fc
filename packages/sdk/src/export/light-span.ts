import { randomFillSync } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { type InstrumentationScope, isTracingSuppressed } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { Otel } from '@pilotlight/conventions';
import type { DeferredCapture } from '../capture/deferred.js';

/** Where an ended {@link LightSpan} goes: the pilotlight span processor's `onEnd`. */
export interface SpanSink {
  onEnd(span: ReadableSpan): void;
}

/** Random bytes drawn in one call and handed out as hex ids, so an id costs one substring. */
const ID_POOL_BYTES = 4096;
const poolBytes = Buffer.allocUnsafe(ID_POOL_BYTES);
let poolHex = '';
let poolOffset = ID_POOL_BYTES * 2;
const INVALID_SPAN_ID = '0000000000000000';
const INVALID_TRACE_ID = '00000000000000000000000000000000';

function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (poolOffset + chars > poolHex.length) {
    randomFillSync(poolBytes);
    poolHex = poolBytes.toString('hex');
    poolOffset = 0;
  }
  const id = poolHex.slice(poolOffset, poolOffset + chars);
  poolOffset += chars;
  return id;
}

/** A random, valid (non-zero) span id. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === INVALID_SPAN_ID) id = randomHex(8);
  return id;
}

/** A random, valid (non-zero) trace id. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === INVALID_TRACE_ID) id = randomHex(16);
  return id;
}

/** Semconv `exception.stacktrace` (not among the conventions package's names yet). */
const EXCEPTION_STACKTRACE = 'exception.stacktrace';
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];
/** What an encoded span's attributes are replaced with (its bytes hold them). */
const RELEASED_ATTRIBUTES: Attributes = Object.freeze({});
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET }) as SpanStatus;

/** Milliseconds as an `HrTime` (`[seconds, nanoseconds]`). */
function msToHr(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * A recording span for pilotlight's own model and function spans: it implements the
 * OpenTelemetry API `Span` (so it can be made active and parent other spans) and the SDK's
 * `ReadableSpan` (so any `SpanExporter` and the enrichment step read it like an SDK span),
 * with far less work than the SDK's span: ids from a random pool, the wall clock read once
 * at start and durations from the monotonic clock, no attribute sanitising for the few
 * attributes the wrappers set themselves, no links or events arrays unless used, and the
 * deferred capture held in a field instead of a side table. Its start time is `Date.now()`
 * (millisecond precision) plus the monotonic duration, as in the OpenTelemetry SDK.
 */
export class LightSpan implements Span, ReadableSpan {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  name: string;
  attributes: Attributes;
  status: SpanStatus = UNSET;
  events: TimedEvent[] = NO_EVENTS;
  links: Link[] = NO_LINKS;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  /** Work left for the batch path (see `capture/deferred.ts`). */
  capture: DeferredCapture | undefined = undefined;
  /** Set once the enrichment ran (content, usage, cost and redaction are in place). */
  prepared = false;
  /**
   * The span's OTLP JSON as UTF-8 bytes, written right after the enrichment when pilotlight's
   * own OTLP exporter sends it: the queued span then holds one buffer outside the V8 heap and
   * its attribute objects die young instead of being copied by every scavenge until the batch
   * leaves. Set only once the span can no longer change.
   */
  encoded: Buffer | undefined = undefined;
  /** Wall-clock start, epoch milliseconds (integer). */
  readonly startEpochMs: number;
  private readonly startPerf: number;
  /** Monotonic milliseconds from start to end; -1 while recording. */
  durationMs = -1;
  private readonly ctx: SpanContext;
  private readonly sink: SpanSink;

  constructor(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    spanContext: SpanContext,
    parent: SpanContext | undefined,
    resource: Resource,
    scope: InstrumentationScope,
    sink: SpanSink,
  ) {
    this.startEpochMs = Date.now();
    this.startPerf = performance.now();
    this.name = name;
    this.kind = kind;
    this.attributes = attributes;
    this.ctx = spanContext;
    this.parentSpanContext = parent;
    this.resource = resource;
    this.instrumentationScope = scope;
    this.sink = sink;
  }

  spanContext(): SpanContext {
    return this.ctx;
  }

  get ended(): boolean {
    return this.durationMs >= 0;
  }

  get startTime(): HrTime {
    return msToHr(this.startEpochMs);
  }

  /** The duration in whole nanoseconds (what every timestamp of this span is computed from). */
  get durationNs(): number {
    return Math.round(this.durationMs * 1e6);
  }

  get endTime(): HrTime {
    if (this.durationMs < 0) return [0, 0];
    const seconds = Math.floor(this.startEpochMs / 1000);
    const nanos = (this.startEpochMs - seconds * 1000) * 1e6 + this.durationNs;
    return [seconds + Math.floor(nanos / 1e9), nanos % 1e9];
  }

  get duration(): HrTime {
    if (this.durationMs < 0) return [-1, -1];
    const ns = this.durationNs;
    return [Math.floor(ns / 1e9), ns % 1e9];
  }

  /**
   * Keeps the span's OTLP bytes (see {@link encoded}) and lets go of what they were written
   * from — attributes (with the captured content), events, links — so that while the batch
   * fills, the queued span is a few fields and one buffer outside the heap: its attribute
   * objects and content strings die young instead of being promoted and marked. Only for
   * spans that pilotlight's own exporter sends from these bytes.
   */
  setEncoded(bytes: Buffer): void {
    this.encoded = bytes;
    this.attributes = RELEASED_ATTRIBUTES;
    this.events = NO_EVENTS;
    this.links = NO_LINKS;
  }

  /** Milliseconds since start (monotonic), for events and time to first token. */
  elapsedMs(): number {
    return performance.now() - this.startPerf;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.ended && value != null && key !== '') this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isAttributes =
      attributesOrTime !== undefined &&
      typeof attributesOrTime === 'object' &&
      !Array.isArray(attributesOrTime) &&
      !(attributesOrTime instanceof Date);
    const attributes: Attributes = {};
    if (isAttributes)
      for (const key in attributesOrTime) {
        const value = (attributesOrTime as SpanAttributes)[key];
        if (value != null) attributes[key] = value;
      }
    const at = isAttributes ? time : (attributesOrTime as TimeInput | undefined);
    if (this.events === NO_EVENTS) this.events = [];
    this.events.push({
      name,
      attributes,
      time: at === undefined ? msToHr(this.startEpochMs + this.elapsedMs()) : timeInputToHr(at),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links === NO_LINKS) this.links = [];
    this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** As the OpenTelemetry SDK records exceptions: an `exception` event with type, message, stack. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[Otel.EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      if (exception.code) attributes[Otel.EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[Otel.EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[Otel.EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[Otel.EXCEPTION_TYPE] || attributes[Otel.EXCEPTION_MESSAGE])
      this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    const duration =
      endTime === undefined ? this.elapsedMs() : timeInputToEpochMs(endTime) - this.startEpochMs;
    this.durationMs = Number.isFinite(duration) && duration > 0 ? duration : 0;
    this.sink.onEnd(this);
  }
}

function timeInputToEpochMs(time: TimeInput): number {
  if (typeof time === 'number')
    // A small number is a `performance.now()` reading, as in the OpenTelemetry SDK.
    return time <= performance.now() ? performance.timeOrigin + time : time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1000 + time[1] / 1e6;
}

function timeInputToHr(time: TimeInput): HrTime {
  if (Array.isArray(time)) return time as HrTime;
  return msToHr(timeInputToEpochMs(time));
}

/** Options of {@link LightTracer}. */
export interface LightTracerOptions {
  resource: Resource;
  scope: InstrumentationScope;
  sink: SpanSink;
}

/**
 * Starts {@link LightSpan}s with the OpenTelemetry SDK's default sampling (parent-based,
 * always on): the active span (an app's HTTP server span, a `traceCall` span) becomes the
 * parent; under a parent that was not sampled, or where tracing is suppressed, the span is
 * non-recording, exactly as the SDK's tracer would return it.
 */
export class LightTracer {
  constructor(private readonly options: LightTracerOptions) {}

  startSpan(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    ctx: Context = context.active(),
  ): Span {
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(ctx);
    const spanId = newSpanId();
    if (parent !== undefined && trace.isSpanContextValid(parent)) {
      if ((parent.traceFlags & TraceFlags.SAMPLED) === 0)
        return trace.wrapSpanContext({
          traceId: parent.traceId,
          spanId,
          traceFlags: TraceFlags.NONE,
          ...(parent.traceState === undefined ? {} : { traceState: parent.traceState }),
        });
      const spanContext: SpanContext = {
        traceId: parent.traceId,
        spanId,
        traceFlags: TraceFlags.SAMPLED,
      };
      if (parent.traceState !== undefined) spanContext.traceState = parent.traceState;
      return this.make(name, kind, attributes, spanContext, parent);
    }
    return this.make(
      name,
      kind,
      attributes,
      { traceId: newTraceId(), spanId, traceFlags: TraceFlags.SAMPLED },
      undefined,
    );
  }

  private make(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    spanContext: SpanContext,
    parent: SpanContext | undefined,
  ): LightSpan {
    const { resource, scope, sink } = this.options;
    return new LightSpan(name, kind, attributes, spanContext, parent, resource, scope, sink);
  }
}
