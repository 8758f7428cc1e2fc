import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { Otel } from '@pilotlight/conventions';

/**
 * The `error.type` of a failed call: the HTTP status code when the error carries one
 * (provider clients' API errors), else the error's class name, else `_OTHER` as the
 * semantic conventions prescribe.
 */
export function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && Number.isInteger(status) && status > 0) return String(status);
    const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
    const ownName = (error as { name?: unknown }).name;
    if (typeof ownName === 'string' && ownName !== '') return ownName;
  }
  return '_OTHER';
}

/** Records a user's error on a span: status ERROR, an exception event and `error.type`. Never throws. */
export function recordError(span: Span, error: unknown): void {
  try {
    const type = errorType(error);
    span.setAttribute(Otel.ERROR_TYPE, type);
    if (error instanceof Error) span.recordException(error);
    else span.recordException({ name: type, message: String(error) });
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  } catch {
    // A broken error object must not break the caller.
  }
}
