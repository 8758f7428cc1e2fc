import { type Attributes, type Span, SpanKind } from '@opentelemetry/api';
import { GenAI, Otel, Pilotlight } from '@pilotlight/conventions';
import { currentLightTracer, currentTracer } from '../runtime.js';

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
 * Attributes every span of one wrapped client shares (server, kind, streaming), built once at
 * wrap time and added in the batch path, so the caller's path sets only three attributes.
 */
export function baseAttributes(server: Attributes, kind: string, streaming: boolean): Attributes {
  const a: Attributes = { ...server, [Pilotlight.SPAN_KIND]: kind };
  if (streaming) a[Pilotlight.STREAMING] = true;
  return a;
}

/**
 * Starts a CLIENT span for a model call, named `{operation} {model}` as the GenAI conventions
 * say, with the attributes a sampler may look at. Its parent is the active span; the new span
 * is deliberately not made active around the provider call: nothing inside a client call
 * creates spans of ours, and propagating context through the client's internal promises is
 * the most expensive part of naive wrappers.
 */
export function startModelSpan(
  operation: string,
  provider: string,
  model: string | undefined,
): Span {
  const attributes: Attributes = {
    [GenAI.OPERATION_NAME]: operation,
    [GenAI.PROVIDER_NAME]: provider,
  };
  if (model !== undefined) attributes[GenAI.REQUEST_MODEL] = model;
  const name = model === undefined ? operation : `${operation} ${model}`;
  const light = currentLightTracer();
  if (light !== null) return light.startSpan(name, SpanKind.CLIENT, attributes);
  return currentTracer().startSpan(name, { kind: SpanKind.CLIENT, attributes });
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
