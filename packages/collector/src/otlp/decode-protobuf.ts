// OTLP/protobuf: ExportTraceServiceRequest decoded with protobufjs reflection
// (definitions in ./proto.ts). Ids arrive as bytes; fixed64 times as Long.
import type { JsonValue, SpanEventInput, SpanInput } from '@pilotlight/conventions';
import { DecodeError, type Issue } from '../errors.js';
import { ExportTraceServiceRequest } from './proto.js';
import { type DecodedTraces, SpanInvalid } from './types.js';

// Shapes of the decoded protobufjs messages (only what is read).
/** protobufjs's 64-bit integer (the `long` package), when installed; else a number. */
interface Long {
  high: number;
  low: number;
  toNumber(): number;
  toString(): string;
}
interface PbAnyValue {
  value?:
    | 'stringValue'
    | 'boolValue'
    | 'intValue'
    | 'doubleValue'
    | 'arrayValue'
    | 'kvlistValue'
    | 'bytesValue';
  stringValue: string;
  boolValue: boolean;
  intValue: Long | number;
  doubleValue: number;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbEvent {
  timeUnixNano: Long | number;
  name: string;
  attributes: PbKeyValue[];
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: Long | number;
  endTimeUnixNano: Long | number;
  attributes: PbKeyValue[];
  events: PbEvent[];
  status: { code: number; message: string } | null;
}
interface PbRequest {
  resourceSpans: {
    resource: { attributes: PbKeyValue[] } | null;
    scopeSpans: { scope: { name: string } | null; spans: PbSpan[] }[];
  }[];
}

const u64 = (v: Long | number): bigint =>
  typeof v === 'number' ? BigInt(v) : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);

function i64(v: Long | number): number | string {
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  // Beyond 2^53 a JS number would round; keep the exact decimal string instead.
  return Number.isSafeInteger(n) ? n : v.toString();
}

function anyValue(v: PbAnyValue | null): JsonValue {
  if (v === null) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return i64(v.intValue);
    case 'doubleValue':
      return Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue);
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return keyValues(v.kvlistValue?.values ?? []);
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('base64');
    default:
      return null;
  }
}

function keyValues(items: PbKeyValue[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const kv of items) out[kv.key] = anyValue(kv.value);
  return out;
}

function hexId(bytes: Uint8Array, length: number, where: string, required: boolean): string | null {
  if (bytes.length === 0) {
    if (required) throw new SpanInvalid(where, 'missing');
    return null;
  }
  if (bytes.length !== length) {
    throw new SpanInvalid(where, `expected ${length} bytes, got ${bytes.length}`);
  }
  if (bytes.every((b) => b === 0)) {
    if (required) throw new SpanInvalid(where, 'must not be all zeros');
    return null;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function span(
  s: PbSpan,
  where: string,
  resourceAttributes: Record<string, JsonValue>,
  scopeName: string | null,
): SpanInput {
  const events: SpanEventInput[] = s.events.map((e) => ({
    name: e.name,
    timeUnixNano: u64(e.timeUnixNano),
    attributes: keyValues(e.attributes),
  }));
  return {
    traceId: hexId(s.traceId, 16, `${where}.traceId`, true)!,
    spanId: hexId(s.spanId, 8, `${where}.spanId`, true)!,
    parentSpanId: hexId(s.parentSpanId, 8, `${where}.parentSpanId`, false),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: u64(s.startTimeUnixNano),
    endTimeUnixNano: u64(s.endTimeUnixNano),
    attributes: keyValues(s.attributes),
    resourceAttributes,
    scopeName,
    events,
    statusCode: s.status?.code ?? 0,
    statusMessage: s.status?.message ? s.status.message : null,
  };
}

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest`. Spans with invalid ids
 * are rejected one by one with the reason; the rest decode.
 *
 * @throws {DecodeError} when the bytes are not a valid protobuf message (e.g. truncated).
 */
export function decodeProtobufTraces(body: Uint8Array): DecodedTraces {
  let request: PbRequest;
  try {
    request = ExportTraceServiceRequest.decode(body) as unknown as PbRequest;
  } catch (error) {
    throw new DecodeError(
      `body is not a valid protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const spans: SpanInput[] = [];
  const rejected: Issue[] = [];
  request.resourceSpans.forEach((rs, r) => {
    const resourceAttributes = keyValues(rs.resource?.attributes ?? []);
    rs.scopeSpans.forEach((ss, k) => {
      const scopeName = ss.scope?.name ? ss.scope.name : null;
      ss.spans.forEach((s, i) => {
        try {
          spans.push(
            span(
              s,
              `resourceSpans[${r}].scopeSpans[${k}].spans[${i}]`,
              resourceAttributes,
              scopeName,
            ),
          );
        } catch (error) {
          if (!(error instanceof SpanInvalid)) throw error;
          rejected.push({ path: error.field, message: error.message });
        }
      });
    });
  });
  return { spans, rejected };
}
