import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { PriceBook } from '@pilotlight/conventions';
import { Otel } from '@pilotlight/conventions';
import type { CaptureContext } from '../capture/deferred.js';
import { peekCapture, takeCapture } from '../capture/deferred.js';
import type { Redactor } from '../capture/redaction.js';
import { loadTokenCounter, type TokenCounter } from '../capture/tokens.js';
import { LightSpan } from './light-span.js';

/** Options of {@link createEnricher}. */
export interface EnricherOptions {
  captureContent: boolean;
  redactor: Redactor | null;
  maxContentChars: number;
  prices: PriceBook;
}

const TRUNCATED = '…[truncated]';

/** Serialises any value to JSON without throwing: bigint → string, cycles cut, typed arrays → arrays. */
export function safeJson(value: unknown, text: (s: string) => string): string {
  const seen = new WeakSet<object>();
  try {
    const out = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'string') return text(v);
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
        if (ArrayBuffer.isView(v) && !(v instanceof DataView))
          return Array.from(v as unknown as ArrayLike<number>);
        if (v instanceof Map) return Object.fromEntries(v);
        if (v instanceof Set) return Array.from(v);
        if (v instanceof Error) return { name: v.name, message: text(v.message) };
      }
      return v;
    });
    return out ?? 'null';
  } catch {
    return JSON.stringify(text(String(value)));
  }
}

/** The two enrichment steps {@link createEnricher} builds. */
export interface Enricher {
  /**
   * Completes spans right after they ended, off the caller's path (the processor runs it from
   * `setImmediate`), so the request and response objects a capture holds die young instead of
   * being promoted while the span waits for its batch. Leaves alone what needs the tokenizer.
   */
  prepare(spans: readonly ReadableSpan[]): void;
  /** Completes what `prepare` left (token estimates) and returns the spans to export. */
  enrich(spans: ReadableSpan[]): Promise<ReadableSpan[]>;
}

/**
 * Builds the step that turns ended spans into exported ones: runs each span's deferred
 * capture (content as semconv messages, usage, cost, confidence), estimates tokens where the
 * provider gave none, and redacts content and exception messages. Spans are completed in
 * place (they have ended; nothing else reads them after export), each once.
 */
export function createEnricher(options: EnricherOptions): Enricher {
  const redact = options.redactor;
  const max = options.maxContentChars;
  const text = (value: string): string => {
    const clean = redact === null ? value : redact(value);
    return clean.length > max ? clean.slice(0, max) + TRUNCATED : clean;
  };
  const json = (value: unknown): string => safeJson(value, text);
  const redactText = redact === null ? null : text;
  const withoutTokenizer: CaptureContext = {
    captureContent: options.captureContent,
    text,
    json,
    prices: options.prices,
    countTokens: null,
  };
  return {
    prepare(spans) {
      for (const span of spans) {
        if (!(span instanceof LightSpan) || span.prepared) continue;
        if (span.capture?.needsTokenizer() === true) continue;
        enrichOne(span, withoutTokenizer, redactText);
        span.prepared = true;
      }
    },
    async enrich(spans) {
      let countTokens: TokenCounter | null = null;
      if (spans.some((s) => peekCapture(s)?.needsTokenizer() === true))
        countTokens = await loadTokenCounter();
      const ctx: CaptureContext =
        countTokens === null ? withoutTokenizer : { ...withoutTokenizer, countTokens };
      for (const span of spans) {
        if (span instanceof LightSpan) {
          if (span.prepared) continue;
          span.prepared = true;
        }
        enrichOne(span, ctx, redactText);
      }
      return spans;
    },
  };
}

function enrichOne(
  span: ReadableSpan,
  ctx: CaptureContext,
  text: ((s: string) => string) | null,
): void {
  const capture = takeCapture(span);
  let extra: Attributes | undefined;
  if (capture !== undefined) {
    try {
      extra = capture.attributes(ctx);
    } catch {
      extra = undefined;
    }
  }
  // The span has ended and only this processor holds it for export: completing it in place
  // is cheaper than building a view, and nothing else reads it afterwards.
  const target = span as {
    attributes: ReadableSpan['attributes'];
    events: TimedEvent[];
    status: ReadableSpan['status'];
  };
  if (capture?.base !== undefined) Object.assign(target.attributes, capture.base);
  if (extra !== undefined) Object.assign(target.attributes, extra);
  if (text !== null) {
    target.events = redactEvents(span.events, text);
    const message = span.status.message;
    if (message !== undefined && message !== '')
      target.status = { ...span.status, message: text(message) };
  }
}

function redactEvents(events: TimedEvent[], text: (s: string) => string): TimedEvent[] {
  if (events.length === 0) return events;
  let changed = false;
  const out = events.map((event) => {
    const message = event.attributes?.[Otel.EXCEPTION_MESSAGE];
    if (typeof message !== 'string') return event;
    const clean = text(message);
    if (clean === message) return event;
    changed = true;
    return { ...event, attributes: { ...event.attributes, [Otel.EXCEPTION_MESSAGE]: clean } };
  });
  return changed ? out : events;
}
