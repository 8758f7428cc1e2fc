import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { LightSpan } from './light-span.js';

/**
 * Writes an OTLP/HTTP JSON `ExportTraceServiceRequest` directly as a string (OTLP JSON mapping:
 * hex ids, int64 nanoseconds as decimal strings, enums as numbers), without the intermediate
 * objects of a generic transformer: serialising is the largest share of export time.
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): string {
  return requestPieces(spans).join('');
}

/**
 * One span's OTLP JSON as UTF-8 bytes, written soon after the span ended so that what waits
 * for the batch is one buffer outside the V8 heap rather than the span's attribute objects
 * (see {@link LightSpan.encoded}).
 */
export function encodeSpanBytes(span: ReadableSpan): Buffer {
  return Buffer.from(spanJson(span), 'utf8');
}

/**
 * The same request as {@link encodeTraceRequest}, as UTF-8 bytes: each span's bytes (the ones
 * written early, else written now) copied once into one buffer between the envelope's pieces.
 * The batch never exists as one large JS string (two flat copies of it on the V8 heap, each as
 * large as the body, were most of what encoding allocated), and the per-span loop is a copy.
 */
export function encodeTraceRequestBytes(spans: readonly ReadableSpan[]): Buffer {
  const pieces: Buffer[] = [];
  let size = 0;
  const push = (piece: Buffer): void => {
    pieces.push(piece);
    size += piece.byteLength;
  };
  forEachGroup(
    spans,
    (piece) => push(Buffer.from(piece, 'utf8')),
    (group) => {
      for (let i = 0; i < group.length; i++) {
        if (i > 0) push(COMMA);
        push(spanBytes(group[i] as ReadableSpan));
      }
    },
  );
  return Buffer.concat(pieces, size);
}

const COMMA = Buffer.from(',');

/** A span's bytes: written early (see {@link LightSpan.encoded}) or now. */
function spanBytes(span: ReadableSpan): Buffer {
  return (span instanceof LightSpan ? span.encoded : undefined) ?? encodeSpanBytes(span);
}

/** The request as pieces to concatenate: the envelope, each span, the separators. */
function requestPieces(spans: readonly ReadableSpan[]): string[] {
  const out: string[] = [];
  forEachGroup(
    spans,
    (piece) => out.push(piece),
    (group) => {
      for (let i = 0; i < group.length; i++) {
        if (i > 0) out.push(',');
        out.push(spanJson(group[i] as ReadableSpan));
      }
    },
  );
  return out;
}

/** Interned grouping keys of scopes, by scope object (the same few objects recur on every span). */
const scopeKeys = new WeakMap<object, string>();

function scopeKey(scope: ReadableSpan['instrumentationScope']): string {
  let key = scopeKeys.get(scope);
  if (key === undefined) {
    key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    scopeKeys.set(scope, key);
  }
  return key;
}

/**
 * Walks the request: spans grouped by resource, then by instrumentation scope; `envelope`
 * receives every JSON piece around the spans, `group` each scope's spans in order.
 */
function forEachGroup(
  spans: readonly ReadableSpan[],
  envelope: (piece: string) => void,
  group: (spans: readonly ReadableSpan[]) => void,
): void {
  const byResource = new Map<
    object,
    Map<string, { scope: string; schemaUrl: string; spans: ReadableSpan[] }>
  >();
  for (const span of spans) {
    const resource = span.resource as unknown as object;
    let scopes = byResource.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      byResource.set(resource, scopes);
    }
    const key = scopeKey(span.instrumentationScope);
    let entry = scopes.get(key);
    if (entry === undefined) {
      const { name, version, schemaUrl } = span.instrumentationScope;
      const scope = `{"name":${JSON.stringify(name)}${version === undefined ? '' : `,"version":${JSON.stringify(version)}`}}`;
      entry = {
        scope,
        schemaUrl: schemaUrl === undefined ? '' : `,"schemaUrl":${JSON.stringify(schemaUrl)}`,
        spans: [],
      };
      scopes.set(key, entry);
    }
    entry.spans.push(span);
  }
  envelope('{"resourceSpans":[');
  let firstResource = true;
  for (const scopes of byResource.values()) {
    let firstScope = true;
    for (const entry of scopes.values()) {
      if (firstScope) {
        const resource = (entry.spans[0] as ReadableSpan).resource;
        envelope(
          `${firstResource ? '' : ','}{"resource":{"attributes":${attributesJson(resource.attributes)},"droppedAttributesCount":0},"scopeSpans":[`,
        );
      }
      envelope(`${firstScope ? '' : ','}{"scope":${entry.scope},"spans":[`);
      group(entry.spans);
      envelope(`]${entry.schemaUrl}}`);
      firstScope = false;
    }
    envelope(']}');
    firstResource = false;
  }
  envelope(']}');
}

/** Nanoseconds since the epoch as a decimal string (exact, unlike a JS number). */
export function hrTimeToNanos([seconds, nanos]: HrTime): string {
  if (seconds === 0) return String(nanos);
  return `${seconds}${String(nanos).padStart(9, '0')}`;
}

function spanJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  let s = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined && parent !== '') s += `,"parentSpanId":"${parent}"`;
  const state = ctx.traceState?.serialize();
  if (state !== undefined && state !== '') s += `,"traceState":${JSON.stringify(state)}`;
  // Bits 0–7: W3C trace flags; bit 8: whether the parent's remoteness is known; bit 9: it is remote.
  s += `,"flags":${0x100 | (ctx.traceFlags & 0xff) | (span.parentSpanContext?.isRemote === true ? 0x200 : 0)}`;
  s += `,"name":${JSON.stringify(span.name)},"kind":${span.kind + 1}`;
  if (span instanceof LightSpan) {
    // Integer epoch milliseconds plus a monotonic duration: exact decimal nanoseconds, no HrTime arrays.
    const durationNs = span.durationNs;
    const endMs = span.startEpochMs + Math.floor(durationNs / 1e6);
    s += `,"startTimeUnixNano":"${span.startEpochMs}000000","endTimeUnixNano":"${endMs}${String(durationNs % 1e6).padStart(6, '0')}"`;
  } else
    s += `,"startTimeUnixNano":"${hrTimeToNanos(span.startTime)}","endTimeUnixNano":"${hrTimeToNanos(span.endTime)}"`;
  s += `,"attributes":${attributesJson(span.attributes)},"droppedAttributesCount":${span.droppedAttributesCount}`;
  if (span.events.length > 0) {
    const events = span.events.map(
      (e) =>
        `{"timeUnixNano":"${hrTimeToNanos(e.time)}","name":${JSON.stringify(e.name)},"attributes":${attributesJson(e.attributes ?? {})},"droppedAttributesCount":${e.droppedAttributesCount ?? 0}}`,
    );
    s += `,"events":[${events.join(',')}]`;
  }
  s += `,"droppedEventsCount":${span.droppedEventsCount}`;
  if (span.links.length > 0) {
    const links = span.links.map(
      (l) =>
        `{"traceId":"${l.context.traceId}","spanId":"${l.context.spanId}","attributes":${attributesJson(l.attributes ?? {})},"droppedAttributesCount":${l.droppedAttributesCount ?? 0}}`,
    );
    s += `,"links":[${links.join(',')}]`;
  }
  s += `,"droppedLinksCount":${span.droppedLinksCount}`;
  const { code, message } = span.status;
  s += `,"status":{"code":${code}${message !== undefined && message !== '' ? `,"message":${JSON.stringify(message)}` : ''}}}`;
  return s;
}

/** `{"key":…,"value":` per attribute key: the same few keys recur on every span. */
const keyPrefixes = new Map<string, string>();
const MAX_KEY_PREFIXES = 1024;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${JSON.stringify(key)},"value":`;
    if (keyPrefixes.size < MAX_KEY_PREFIXES) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

function attributesJson(attributes: Attributes): string {
  let s = '[';
  let first = true;
  for (const key in attributes) {
    const value = anyValue(attributes[key]);
    if (value === null) continue;
    s += first ? `${keyPrefix(key)}${value}}` : `,${keyPrefix(key)}${value}}`;
    first = false;
  }
  return `${s}]`;
}

function anyValue(value: AttributeValue | undefined | null): string | null {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
    case 'number':
      if (Number.isSafeInteger(value)) return `{"intValue":${value}}`;
      return Number.isFinite(value)
        ? `{"doubleValue":${value}}`
        : `{"doubleValue":${JSON.stringify(String(value))}}`;
    case 'object': {
      if (value === null || !Array.isArray(value)) return null;
      const items: string[] = [];
      for (const item of value as readonly unknown[])
        items.push(anyValue(item as AttributeValue) ?? '{}');
      return `{"arrayValue":{"values":[${items.join(',')}]}}`;
    }
    default:
      return null;
  }
}
