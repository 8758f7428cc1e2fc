import { type Attributes, type Span, SpanKind } from '@opentelemetry/api';
import { GenAI, Otel, Pilotlight } from '@pilotlight/conventions';
import { currentTracer } from '../runtime.js';

/** `server.address` / `server.port` of a client's base URL, computed once per wrapped client. */
export function serverAttributes(baseURL: unknown): Attributes {
  if (typeof baseURL !== 'string') return {};
  try {
    const url = new URL(baseURL);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return { [Otel.SERVER_ADDRESS]: url.hostname, [Otel.SERVER_PORT]: port };
  } catch {
    return {};
  }
}

/**
 * Starts a CLIENT span for a model call, named `{operation} {model}` as the GenAI conventions
 * say. Its parent is the active span; the new span is deliberately not made active around the
 * provider call: nothing inside a client call creates spans of ours, and propagating context
 * through the client's internal promises is the most expensive part of naive wrappers.
 */
export function startModelSpan(
  operation: string,
  provider: string,
  model: string | undefined,
  server: Attributes,
  streaming: boolean,
  kind: string,
): Span {
  const attributes: Attributes = {
    ...server,
    [GenAI.OPERATION_NAME]: operation,
    [GenAI.PROVIDER_NAME]: provider,
    [Pilotlight.SPAN_KIND]: kind,
  };
  if (model !== undefined) attributes[GenAI.REQUEST_MODEL] = model;
  if (streaming) attributes[Pilotlight.STREAMING] = true;
  return currentTracer().startSpan(model === undefined ? operation : `${operation} ${model}`, {
    kind: SpanKind.CLIENT,
    attributes,
  });
}

/** Sets `key` when `value` is a finite number. */
export function setNum(a: Attributes, key: string, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) a[key] = value;
}

/** Sets `key` when `value` is a non-empty string. */
export function setStr(a: Attributes, key: string, value: unknown): void {
  if (typeof value === 'string' && value !== '') a[key] = value;
}

/** Sets `key` to a string array from a string or an array of strings. */
export function setStrings(a: Attributes, key: string, value: unknown): void {
  if (typeof value === 'string') a[key] = [value];
  else if (Array.isArray(value)) {
    const strings = value.filter((v): v is string => typeof v === 'string');
    if (strings.length > 0) a[key] = strings;
  }
}
