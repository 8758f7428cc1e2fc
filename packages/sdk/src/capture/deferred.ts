import type { Attributes } from '@opentelemetry/api';
import type { PriceBook } from '@pilotlight/conventions';
import { LightSpan } from '../export/light-span.js';
import type { TokenCounter } from './tokens.js';

/** What a deferred capture may use when it runs in the batch path. */
export interface CaptureContext {
  readonly captureContent: boolean;
  /** Redacts and truncates one captured string. */
  text(value: string): string;
  /** Serialises a captured value to JSON (redacting and truncating every string in it). */
  json(value: unknown): string;
  readonly prices: PriceBook;
  /** Present when some span of the batch asked for it (`needsTokenizer`) and it loaded. */
  readonly countTokens: TokenCounter | null;
}

/**
 * Work a wrapped call leaves for the batch path: it keeps references to the request and the
 * response, and turns them into attributes (content, usage, cost, confidence) only when the
 * span is exported — never on the caller's path.
 */
export interface DeferredCapture {
  /** Attributes shared by many spans (added as they are). */
  readonly base?: Attributes;
  /** True when the provider reported no usage and tokens must be estimated. */
  needsTokenizer(): boolean;
  attributes(ctx: CaptureContext): Attributes;
}

/** Deferred work of spans made by the OpenTelemetry SDK (pilotlight's own spans hold theirs). */
const pending = new WeakMap<object, DeferredCapture>();

/** Attaches deferred work to a span (kept on a {@link LightSpan}, else keyed by the span object). */
export function deferCapture(span: object, capture: DeferredCapture): void {
  if (span instanceof LightSpan) span.capture = capture;
  else pending.set(span, capture);
}

/** The deferred work of a span, removed so it runs once. */
export function takeCapture(span: object): DeferredCapture | undefined {
  if (span instanceof LightSpan) {
    const capture = span.capture;
    span.capture = undefined;
    return capture;
  }
  const capture = pending.get(span);
  if (capture !== undefined) pending.delete(span);
  return capture;
}

/** Peeks without removing (used to decide whether a batch needs the tokenizer). */
export function peekCapture(span: object): DeferredCapture | undefined {
  return span instanceof LightSpan ? span.capture : pending.get(span);
}
