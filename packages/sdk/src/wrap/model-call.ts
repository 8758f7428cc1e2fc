import { context, type Span, trace } from '@opentelemetry/api';
import { type DeferredCapture, deferCapture } from '../capture/deferred.js';
import { SpanEnder } from './common.js';
import { observeResult, type SettleHandlers } from './proxy.js';
import { observeStream, type StreamObserver } from './stream.js';

/** The deferred capture of one model call, fed on the caller's path with cheap steps only. */
export interface CallCapture extends DeferredCapture {
  readonly streaming: boolean;
  /** Keeps a reference to a non-streamed response (read later, in the batch path). */
  setResponse(value: unknown): void;
  /** Accumulates one streamed chunk (string pushes and number reads, no serialisation). */
  onChunk(chunk: unknown): void;
}

/**
 * Runs one provider call inside a span: `begin` reads the request and starts the span (or
 * returns null to call through untraced); the result is observed without changing what the
 * caller receives; a user's error is recorded and re-thrown unchanged. Failures of our own
 * code fall back to the plain call.
 */
export function traceModelCall(
  original: (...args: unknown[]) => unknown,
  thisArg: unknown,
  args: unknown[],
  begin: (
    params: Record<string, unknown>,
    args: unknown[],
  ) => { span: Span; capture: CallCapture } | null,
  /** Run the (synchronous part of the) call with our span active, so a client's own span nests under it. */
  activate = false,
): unknown {
  const params = args[0];
  let started: { span: Span; capture: CallCapture } | null = null;
  if (params !== null && typeof params === 'object') {
    try {
      started = begin(params as Record<string, unknown>, args);
    } catch {
      started = null;
    }
  }
  if (started === null) return Reflect.apply(original, thisArg, args);
  const { span, capture } = started;
  deferCapture(span, capture);
  const ender = new SpanEnder(span);
  let result: unknown;
  try {
    result = activate
      ? context.with(trace.setSpan(context.active(), span), () =>
          Reflect.apply(original, thisArg, args),
        )
      : Reflect.apply(original, thisArg, args);
  } catch (error) {
    ender.fail(error);
    throw error;
  }
  return observeResult(result, new CallObserver(capture, ender));
}

/** What a model call does when it settles (a class: no closures allocated per call). */
class CallObserver implements SettleHandlers, StreamObserver {
  constructor(
    private readonly capture: CallCapture,
    private readonly ender: SpanEnder,
  ) {}

  onValue(value: unknown): unknown {
    if (
      this.capture.streaming &&
      value !== null &&
      typeof value === 'object' &&
      Symbol.asyncIterator in value
    ) {
      return observeStream(value, this);
    }
    this.capture.setResponse(value);
    this.ender.end();
    return value;
  }

  onError(error: unknown): void {
    this.ender.fail(error);
  }

  onRawResponse(): void {
    this.ender.end();
  }

  /** A streamed chunk (as the stream's observer). */
  onChunk(chunk: unknown): void {
    this.capture.onChunk(chunk);
  }

  /** The stream's end (as the stream's observer). */
  onEnd(outcome: 'done' | 'abandoned' | 'error', error?: unknown): void {
    if (outcome === 'error') this.ender.fail(error);
    else this.ender.end();
  }
}
