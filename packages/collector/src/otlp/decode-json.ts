// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// proto3 JSON mapping with OTLP's deviations: trace/span ids are hex, not base64;
// keys are lowerCamelCase (the original snake_case names are accepted too, as the
// proto3 JSON mapping requires of parsers); int64 may be a string or a number;
// enums may be an integer or the value's name; unknown fields are ignored.
import type { JsonValue, SpanEventInput, SpanInput } from '@pilotlight/conventions';
import { DecodeError, type Issue } from '../errors.js';
import { type DecodedTraces, SpanInvalid, ZERO_SPAN_ID, ZERO_TRACE_ID } from './types.js';

type Obj = Record<string, unknown>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `camel` or its proto field name `snake`; JSON null counts as absent. */
function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  return snake === undefined ? undefined : (o[snake] ?? undefined);
}

function list(o: Obj, camel: string, snake: string | undefined, where: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new SpanInvalid(`${where}.${camel}`, 'expected an array');
  return v;
}

const HEX = /^[0-9a-fA-F]*$/;

function hexId(v: unknown, length: number, where: string, required: boolean): string | null {
  if (v === undefined || v === '') {
    if (required) throw new SpanInvalid(where, 'missing');
    return null;
  }
  if (typeof v !== 'string' || v.length !== length || !HEX.test(v)) {
    throw new SpanInvalid(where, `expected ${length} hex characters, got ${JSON.stringify(v)}`);
  }
  const id = v.toLowerCase();
  if (id === ZERO_TRACE_ID || id === ZERO_SPAN_ID) {
    if (required) throw new SpanInvalid(where, 'must not be all zeros');
    return null;
  }
  return id;
}

const UINT64_MAX = (1n << 64n) - 1n;

function uint64(v: unknown, where: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const n = BigInt(v);
    if (n <= UINT64_MAX) return n;
  }
  throw new SpanInvalid(where, `expected an unsigned 64-bit integer, got ${JSON.stringify(v)}`);
}

function enumValue(v: unknown, names: Record<string, number>, where: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const n = names[v];
    if (n !== undefined) return n;
    if (/^-?\d+$/.test(v)) return Number(v);
  }
  throw new SpanInvalid(where, `unknown enum value ${JSON.stringify(v)}`);
}

function anyValue(v: unknown, where: string): JsonValue {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new SpanInvalid(where, 'expected an AnyValue object');
  const s = field(v, 'stringValue', 'string_value');
  if (s !== undefined) {
    if (typeof s !== 'string') throw new SpanInvalid(where, 'stringValue must be a string');
    return s;
  }
  const b = field(v, 'boolValue', 'bool_value');
  if (b !== undefined) {
    if (typeof b !== 'boolean') throw new SpanInvalid(where, 'boolValue must be a boolean');
    return b;
  }
  const i = field(v, 'intValue', 'int_value');
  if (i !== undefined) {
    if (typeof i === 'number' && Number.isInteger(i)) return i;
    if (typeof i === 'string' && /^-?\d{1,20}$/.test(i)) {
      const n = Number(i);
      // Beyond 2^53 a JS number would round; keep the exact decimal string instead.
      return Number.isSafeInteger(n) ? n : i;
    }
    throw new SpanInvalid(where, `intValue must be an integer, got ${JSON.stringify(i)}`);
  }
  const d = field(v, 'doubleValue', 'double_value');
  if (d !== undefined) {
    if (typeof d === 'number') return d;
    // proto3 JSON spells non-finite doubles as strings; JSON has no NaN, so keep them so.
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return d;
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d))) return Number(d);
    throw new SpanInvalid(where, `doubleValue must be a number, got ${JSON.stringify(d)}`);
  }
  const arr = field(v, 'arrayValue', 'array_value');
  if (arr !== undefined) {
    if (!isObj(arr)) throw new SpanInvalid(where, 'arrayValue must be an object');
    return list(arr, 'values', undefined, where).map((x, k) => anyValue(x, `${where}[${k}]`));
  }
  const kvl = field(v, 'kvlistValue', 'kvlist_value');
  if (kvl !== undefined) {
    if (!isObj(kvl)) throw new SpanInvalid(where, 'kvlistValue must be an object');
    return keyValues(list(kvl, 'values', undefined, where), where);
  }
  const bytes = field(v, 'bytesValue', 'bytes_value');
  if (bytes !== undefined) {
    if (typeof bytes !== 'string')
      throw new SpanInvalid(where, 'bytesValue must be a base64 string');
    return bytes;
  }
  return null;
}

function keyValues(items: unknown[], where: string): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (let k = 0; k < items.length; k++) {
    const item = items[k];
    if (!isObj(item) || typeof item.key !== 'string') {
      throw new SpanInvalid(`${where}[${k}]`, 'expected a KeyValue with a string key');
    }
    out[item.key] = anyValue(item.value, `${where}.${item.key}`);
  }
  return out;
}

function attributesOf(o: Obj, where: string): Record<string, JsonValue> {
  return keyValues(list(o, 'attributes', undefined, where), `${where}.attributes`);
}

function span(
  s: unknown,
  where: string,
  resourceAttributes: Record<string, JsonValue>,
  scopeName: string | null,
): SpanInput {
  if (!isObj(s)) throw new SpanInvalid(where, 'expected a span object');
  const status = field(s, 'status');
  if (status !== undefined && !isObj(status))
    throw new SpanInvalid(`${where}.status`, 'expected an object');
  const events: SpanEventInput[] = list(s, 'events', undefined, where).map((e, k) => {
    const at = `${where}.events[${k}]`;
    if (!isObj(e)) throw new SpanInvalid(at, 'expected an event object');
    const name = field(e, 'name');
    return {
      name: typeof name === 'string' ? name : '',
      timeUnixNano: uint64(field(e, 'timeUnixNano', 'time_unix_nano'), `${at}.timeUnixNano`),
      attributes: attributesOf(e, at),
    };
  });
  const name = field(s, 'name');
  if (name !== undefined && typeof name !== 'string')
    throw new SpanInvalid(`${where}.name`, 'expected a string');
  const statusMessage = status === undefined ? undefined : field(status, 'message');
  return {
    traceId: hexId(field(s, 'traceId', 'trace_id'), 32, `${where}.traceId`, true)!,
    spanId: hexId(field(s, 'spanId', 'span_id'), 16, `${where}.spanId`, true)!,
    parentSpanId: hexId(
      field(s, 'parentSpanId', 'parent_span_id'),
      16,
      `${where}.parentSpanId`,
      false,
    ),
    name: name ?? '',
    kind: enumValue(field(s, 'kind'), SPAN_KINDS, `${where}.kind`),
    startTimeUnixNano: uint64(
      field(s, 'startTimeUnixNano', 'start_time_unix_nano'),
      `${where}.startTimeUnixNano`,
    ),
    endTimeUnixNano: uint64(
      field(s, 'endTimeUnixNano', 'end_time_unix_nano'),
      `${where}.endTimeUnixNano`,
    ),
    attributes: attributesOf(s, where),
    resourceAttributes,
    scopeName,
    events,
    statusCode:
      status === undefined
        ? 0
        : enumValue(field(status, 'code'), STATUS_CODES, `${where}.status.code`),
    statusMessage: typeof statusMessage === 'string' && statusMessage !== '' ? statusMessage : null,
  };
}

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest`. Spans that break the rules
 * (bad ids, bad values) are rejected one by one with the reason; the rest decode.
 *
 * @throws {DecodeError} when the body is not JSON or not shaped like a request at all.
 */
export function decodeJsonTraces(body: Uint8Array): DecodedTraces {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new DecodeError(`body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObj(doc)) throw new DecodeError('body is not an ExportTraceServiceRequest JSON object');
  const resourceSpans = field(doc, 'resourceSpans', 'resource_spans') ?? [];
  if (!Array.isArray(resourceSpans)) throw new DecodeError('resourceSpans is not an array');

  const spans: SpanInput[] = [];
  const rejected: Issue[] = [];
  resourceSpans.forEach((rs, r) => {
    const rWhere = `resourceSpans[${r}]`;
    if (!isObj(rs)) throw new DecodeError(`${rWhere} is not an object`);
    const scopeSpans = field(rs, 'scopeSpans', 'scope_spans') ?? [];
    if (!Array.isArray(scopeSpans)) throw new DecodeError(`${rWhere}.scopeSpans is not an array`);
    let resourceAttributes: Record<string, JsonValue> = {};
    let resourceProblem: Issue | null = null;
    try {
      const resource = field(rs, 'resource');
      if (resource !== undefined) {
        if (!isObj(resource)) throw new SpanInvalid(`${rWhere}.resource`, 'expected an object');
        resourceAttributes = attributesOf(resource, `${rWhere}.resource`);
      }
    } catch (error) {
      if (!(error instanceof SpanInvalid)) throw error;
      resourceProblem = { path: error.field, message: error.message };
    }
    scopeSpans.forEach((ss, s) => {
      const sWhere = `${rWhere}.scopeSpans[${s}]`;
      if (!isObj(ss)) throw new DecodeError(`${sWhere} is not an object`);
      const spanList = field(ss, 'spans') ?? [];
      if (!Array.isArray(spanList)) throw new DecodeError(`${sWhere}.spans is not an array`);
      const scope = field(ss, 'scope');
      const scopeNameValue = isObj(scope) ? field(scope, 'name') : undefined;
      const scopeName =
        typeof scopeNameValue === 'string' && scopeNameValue !== '' ? scopeNameValue : null;
      spanList.forEach((item, k) => {
        if (resourceProblem !== null) {
          rejected.push(resourceProblem);
          return;
        }
        try {
          spans.push(span(item, `${sWhere}.spans[${k}]`, resourceAttributes, scopeName));
        } catch (error) {
          if (!(error instanceof SpanInvalid)) throw error;
          rejected.push({ path: error.field, message: error.message });
        }
      });
    });
  });
  return { spans, rejected };
}
