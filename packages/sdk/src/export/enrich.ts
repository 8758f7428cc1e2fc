import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { PriceBook } from '@pilotlight/conventions';
import { Otel } from '@pilotlight/conventions';
import type { CaptureContext } from '../capture/deferred.js';
import { peekCapture, takeCapture } from '../capture/deferred.js';
import type { Redactor } from '../capture/redaction.js';
import { loadTokenCounter, type TokenCounter } from '../capture/tokens.js';

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

/**
 * Builds the batch-path step that turns ended spans into exported ones: runs each span's
 * deferred capture (content as semconv messages, usage, cost, confidence), estimates tokens
 * where the provider gave none, and redacts content and exception messages. Spans are
 * completed in place (they have ended; nothing else reads them after export).
 */
export function createEnricher(
  options: EnricherOptions,
): (spans: ReadableSpan[]) => Promise<ReadableSpan[]> {
  const redact = options.redactor;
  const max = options.maxContentChars;
  const text = (value: string): string => {
    const clean = redact === null ? value : redact(value);
    return clean.length > max ? clean.slice(0, max) + TRUNCATED : clean;
  };
  const json = (value: unknown): string => safeJson(value, text);
  return async (spans) => {
    let countTokens: TokenCounter | null = null;
    if (spans.some((s) => peekCapture(s)?.needsTokenizer() === true))
      countTokens = await loadTokenCounter();
    const ctx: CaptureContext = {
      captureContent: options.captureContent,
      text,
      json,
      prices: options.prices,
      countTokens,
    };
    return spans.map((span) => enrichOne(span, ctx, redact === null ? null : text));
  };
}

function enrichOne(
  span: ReadableSpan,
  ctx: CaptureContext,
  text: ((s: string) => string) | null,
): ReadableSpan {
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
  return span;
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
