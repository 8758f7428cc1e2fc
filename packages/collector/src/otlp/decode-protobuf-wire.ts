// A direct protobuf wire-format reader for ExportTraceServiceRequest: it walks the
// bytes once and builds `SpanInput`s without protobufjs's intermediate message
// objects or Long values. Field numbers follow opentelemetry-proto v1 (see proto.ts,
// whose reflection types the tests decode with to cross-check this reader).
import type { JsonValue, SpanEventInput, SpanInput } from '@pilotlight/conventions';
import { DecodeError, type Issue } from '../errors.js';
import { type DecodedTraces, SpanInvalid } from './types.js';

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A cursor over one message's bytes; every read checks the bound. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint that fits in 53 bits (tags, lengths, enums, bools). */
  uint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  /** A varint read as int64 (two's complement): a number when exact, else a decimal string. */
  int64(): number | string {
    let lo = 0;
    let hi = 0;
    let b: number;
    let i = 0;
    for (; i < 4; i++) {
      b = this.byte();
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) return lo;
    }
    b = this.byte();
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        b = this.byte();
        hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
        if (b < 0x80) break;
        if (i === 4) throw new RangeError('varint longer than 10 bytes');
      }
    }
    const n = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    const asNumber = Number(n);
    return Number.isSafeInteger(asNumber) ? asNumber : n.toString();
  }

  byte(): number {
    if (this.pos >= this.end) throw new RangeError('truncated varint');
    return this.buf[this.pos++]!;
  }

  fixed64(): bigint {
    const at = this.pos;
    if (at + 8 > this.end) throw new RangeError('truncated fixed64');
    this.pos += 8;
    return (BigInt(this.buf.readUInt32LE(at + 4)) << 32n) | BigInt(this.buf.readUInt32LE(at));
  }

  double(): number {
    const at = this.pos;
    if (at + 8 > this.end) throw new RangeError('truncated double');
    this.pos += 8;
    return this.buf.readDoubleLE(at);
  }

  /** Start of a length-delimited field; advances past it. */
  len(): number {
    const n = this.uint();
    const start = this.pos;
    if (start + n > this.end) throw new RangeError('length-delimited field runs past its message');
    this.pos = start + n;
    return start;
  }

  string(): string {
    const start = this.len();
    return this.buf.toString('utf8', start, this.pos);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.uint();
        return;
      case FIXED64:
        if (this.pos + 8 > this.end) throw new RangeError('truncated fixed64');
        this.pos += 8;
        return;
      case LEN:
        this.len();
        return;
      case FIXED32:
        if (this.pos + 4 > this.end) throw new RangeError('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
  }
}

/** Runs `onField(fieldNumber, wireType, reader)` for each field of the message in [start, end). */
function fields(
  buf: Buffer,
  start: number,
  end: number,
  onField: (field: number, wireType: number, r: Reader) => void,
): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.uint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw new RangeError('field number 0');
    const before = r.pos;
    onField(field, tag & 7, r);
    // A handler that did not consume the field leaves it to be skipped.
    if (r.pos === before) r.skip(tag & 7);
  }
}

const expect = (wireType: number, wanted: number, what: string): void => {
  if (wireType !== wanted)
    throw new RangeError(`${what}: wire type ${wireType}, expected ${wanted}`);
};

function anyValue(buf: Buffer, start: number, end: number): JsonValue {
  let value: JsonValue = null;
  fields(buf, start, end, (f, wt, r) => {
    switch (f) {
      case 1:
        expect(wt, LEN, 'AnyValue.string_value');
        value = r.string();
        break;
      case 2:
        expect(wt, VARINT, 'AnyValue.bool_value');
        value = r.uint() !== 0;
        break;
      case 3:
        expect(wt, VARINT, 'AnyValue.int_value');
        value = r.int64();
        break;
      case 4: {
        expect(wt, FIXED64, 'AnyValue.double_value');
        const d = r.double();
        value = Number.isFinite(d) ? d : String(d);
        break;
      }
      case 5: {
        expect(wt, LEN, 'AnyValue.array_value');
        const s = r.len();
        const items: JsonValue[] = [];
        fields(buf, s, r.pos, (g, wt2, r2) => {
          if (g !== 1) return;
          expect(wt2, LEN, 'ArrayValue.values');
          const v = r2.len();
          items.push(anyValue(buf, v, r2.pos));
        });
        value = items;
        break;
      }
      case 6: {
        expect(wt, LEN, 'AnyValue.kvlist_value');
        const s = r.len();
        value = keyValues(buf, s, r.pos, 1);
        break;
      }
      case 7: {
        expect(wt, LEN, 'AnyValue.bytes_value');
        const s = r.len();
        value = buf.toString('base64', s, r.pos);
        break;
      }
    }
  });
  return value;
}

/** Reads the repeated KeyValue field `field` of the message in [start, end) into `into`. */
function keyValues(
  buf: Buffer,
  start: number,
  end: number,
  field: number,
  into: Record<string, JsonValue> = {},
): Record<string, JsonValue> {
  fields(buf, start, end, (f, wt, r) => {
    if (f !== field) return;
    expect(wt, LEN, 'KeyValue');
    const s = r.len();
    keyValue(buf, s, r.pos, into);
  });
  return into;
}

function keyValue(buf: Buffer, start: number, end: number, into: Record<string, JsonValue>): void {
  let key = '';
  let value: JsonValue = null;
  fields(buf, start, end, (f, wt, r) => {
    if (f === 1) {
      expect(wt, LEN, 'KeyValue.key');
      key = r.string();
    } else if (f === 2) {
      expect(wt, LEN, 'KeyValue.value');
      const s = r.len();
      value = anyValue(buf, s, r.pos);
    }
  });
  into[key] = value;
}

function hexId(
  buf: Buffer,
  start: number,
  end: number,
  length: number,
  where: string,
  required: boolean,
): string | null {
  const n = end - start;
  if (n === 0) {
    if (required) throw new SpanInvalid(where, 'missing');
    return null;
  }
  if (n !== length) throw new SpanInvalid(where, `expected ${length} bytes, got ${n}`);
  let zero = true;
  for (let i = start; i < end; i++) {
    if (buf[i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) {
    if (required) throw new SpanInvalid(where, 'must not be all zeros');
    return null;
  }
  return buf.toString('hex', start, end);
}

function span(
  buf: Buffer,
  start: number,
  end: number,
  where: string,
  resourceAttributes: Record<string, JsonValue>,
  scopeName: string | null,
): SpanInput {
  let traceId: [number, number] = [0, 0];
  let spanId: [number, number] = [0, 0];
  let parent: [number, number] = [0, 0];
  let name = '';
  let kind = 0;
  let startNanos = 0n;
  let endNanos = 0n;
  const attributes: Record<string, JsonValue> = {};
  const events: SpanEventInput[] = [];
  let statusCode = 0;
  let statusMessage: string | null = null;
  fields(buf, start, end, (f, wt, r) => {
    switch (f) {
      case 1:
      case 2:
      case 4: {
        expect(wt, LEN, 'Span id');
        const s = r.len();
        if (f === 1) traceId = [s, r.pos];
        else if (f === 2) spanId = [s, r.pos];
        else parent = [s, r.pos];
        break;
      }
      case 5:
        expect(wt, LEN, 'Span.name');
        name = r.string();
        break;
      case 6:
        expect(wt, VARINT, 'Span.kind');
        kind = r.uint();
        break;
      case 7:
        expect(wt, FIXED64, 'Span.start_time_unix_nano');
        startNanos = r.fixed64();
        break;
      case 8:
        expect(wt, FIXED64, 'Span.end_time_unix_nano');
        endNanos = r.fixed64();
        break;
      case 9: {
        expect(wt, LEN, 'Span.attributes');
        const s = r.len();
        keyValue(buf, s, r.pos, attributes);
        break;
      }
      case 11: {
        expect(wt, LEN, 'Span.events');
        const s = r.len();
        const event: SpanEventInput = { name: '', timeUnixNano: 0n, attributes: {} };
        fields(buf, s, r.pos, (g, wt2, r2) => {
          if (g === 1) {
            expect(wt2, FIXED64, 'Event.time_unix_nano');
            event.timeUnixNano = r2.fixed64();
          } else if (g === 2) {
            expect(wt2, LEN, 'Event.name');
            event.name = r2.string();
          } else if (g === 3) {
            expect(wt2, LEN, 'Event.attributes');
            const a = r2.len();
            keyValue(buf, a, r2.pos, event.attributes);
          }
        });
        events.push(event);
        break;
      }
      case 15: {
        expect(wt, LEN, 'Span.status');
        const s = r.len();
        fields(buf, s, r.pos, (g, wt2, r2) => {
          if (g === 2) {
            expect(wt2, LEN, 'Status.message');
            const m = r2.string();
            statusMessage = m === '' ? null : m;
          } else if (g === 3) {
            expect(wt2, VARINT, 'Status.code');
            statusCode = r2.uint();
          }
        });
        break;
      }
    }
  });
  return {
    traceId: hexId(buf, traceId[0], traceId[1], 16, `${where}.traceId`, true)!,
    spanId: hexId(buf, spanId[0], spanId[1], 8, `${where}.spanId`, true)!,
    parentSpanId: hexId(buf, parent[0], parent[1], 8, `${where}.parentSpanId`, false),
    name,
    kind,
    startTimeUnixNano: startNanos,
    endTimeUnixNano: endNanos,
    attributes,
    resourceAttributes,
    scopeName,
    events,
    statusCode,
    statusMessage,
  };
}

/** Byte ranges of the occurrences of LEN field `field` in the message [start, end). */
function ranges(
  buf: Buffer,
  start: number,
  end: number,
  field: number,
  what: string,
): [number, number][] {
  const out: [number, number][] = [];
  fields(buf, start, end, (f, wt, r) => {
    if (f !== field) return;
    expect(wt, LEN, what);
    const s = r.len();
    out.push([s, r.pos]);
  });
  return out;
}

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest` straight from the wire format.
 * Spans with invalid ids are rejected one by one with the reason; the rest decode.
 *
 * @throws {DecodeError} when the bytes are not a valid message (truncated, bad wire types).
 */
export function decodeProtobufTracesWire(body: Uint8Array): DecodedTraces {
  const buf = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const spans: SpanInput[] = [];
  const rejected: Issue[] = [];
  try {
    ranges(buf, 0, buf.length, 1, 'ExportTraceServiceRequest.resource_spans').forEach(
      ([rs, re], r) => {
        // Fields may come in any order: find the resource and scope before reading spans.
        const resourceAttributes: Record<string, JsonValue> = {};
        for (const [s, e] of ranges(buf, rs, re, 1, 'ResourceSpans.resource')) {
          keyValues(buf, s, e, 1, resourceAttributes);
        }
        ranges(buf, rs, re, 2, 'ResourceSpans.scope_spans').forEach(([ss, se], k) => {
          let scopeName: string | null = null;
          for (const [s, e] of ranges(buf, ss, se, 1, 'ScopeSpans.scope')) {
            fields(buf, s, e, (f, wt, rd) => {
              if (f !== 1) return;
              expect(wt, LEN, 'InstrumentationScope.name');
              const n = rd.string();
              scopeName = n === '' ? null : n;
            });
          }
          ranges(buf, ss, se, 2, 'ScopeSpans.spans').forEach(([s, e], i) => {
            try {
              spans.push(
                span(
                  buf,
                  s,
                  e,
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
      },
    );
  } catch (error) {
    if (error instanceof RangeError) {
      throw new DecodeError(
        `body is not a valid protobuf ExportTraceServiceRequest: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  return { spans, rejected };
}
