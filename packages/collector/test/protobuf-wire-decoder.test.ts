import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../src/errors.js';
import { decodeProtobufTraces } from '../src/otlp/decode-protobuf.js';
import { decodeProtobufTracesWire } from '../src/otlp/decode-protobuf-wire.js';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';

type AnyValue = Record<string, unknown>;

const leaf: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.string().map((stringValue) => ({ stringValue })),
  fc.boolean().map((boolValue) => ({ boolValue })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ intValue: n.toString() })),
  fc.double({ noNaN: false }).map((doubleValue) => ({ doubleValue })),
  fc.uint8Array({ maxLength: 12 }).map((bytesValue) => ({ bytesValue })),
  fc.constant({}),
);
const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ v: AnyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc
      .array(fc.record({ key: fc.string({ maxLength: 6 }), value: tie('v') }), { maxLength: 3 })
      .map((values) => ({ kvlistValue: { values } })),
  ),
})).v;
const attributes = fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: anyValue }), {
  maxLength: 5,
});
const id = (bytes: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(null).map(() => randomBytes(bytes)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 17 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(bytes)) },
  );
const span = fc.record({
  traceId: id(16),
  spanId: id(8),
  parentSpanId: id(8),
  name: fc.string({ maxLength: 10 }),
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  endTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  attributes,
  events: fc.array(
    fc.record({
      timeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      name: fc.string({ maxLength: 5 }),
      attributes,
    }),
    { maxLength: 2 },
  ),
  status: fc.option(
    fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string({ maxLength: 5 }) }),
    {
      nil: undefined,
    },
  ),
});
const request = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.option(fc.record({ attributes }), { nil: undefined }),
      scopeSpans: fc.array(
        fc.record({
          scope: fc.option(fc.record({ name: fc.string({ maxLength: 6 }) }), { nil: undefined }),
          spans: fc.array(span, { maxLength: 4 }),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 3 },
  ),
});

const encode = (o: object): Buffer =>
  Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(o)).finish());

describe('the wire-format protobuf decoder', () => {
  it('decodes exactly what the protobufjs reflection decoder decodes', () => {
    fc.assert(
      fc.property(request, (req) => {
        const bytes = encode(req);
        expect(decodeProtobufTracesWire(bytes)).toEqual(decodeProtobufTraces(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('reads fields in any order: the resource after its spans, repeated messages merged', () => {
    const traceId = randomBytes(16);
    const spanBytes = encode({
      resourceSpans: [
        { scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8), name: 'late resource' }] }] },
      ],
    });
    const resourceBytes = encode({
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] } },
      ],
    });
    // Each encoding is one resource_spans entry; strip the outer tag+length and rewrap both inner parts as one.
    const inner = (b: Buffer) => {
      let pos = 1;
      while (b[pos]! & 0x80) pos++;
      return b.subarray(pos + 1);
    };
    const merged = Buffer.concat([inner(spanBytes), inner(resourceBytes)]);
    const outer = encode({}); // empty request
    const lenVarint: number[] = [];
    for (let n = merged.length; ; n >>>= 7) {
      if (n < 0x80) {
        lenVarint.push(n);
        break;
      }
      lenVarint.push((n & 0x7f) | 0x80);
    }
    const bytes = Buffer.concat([outer, Buffer.from([0x0a, ...lenVarint]), merged]);
    const wire = decodeProtobufTracesWire(bytes);
    expect(wire).toEqual(decodeProtobufTraces(bytes));
    expect(wire.spans[0]?.resourceAttributes).toEqual({ 'service.name': 'svc' });
  });

  it('throws DecodeError for every truncation of a valid message', () => {
    const bytes = encode({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: randomBytes(16),
                  spanId: randomBytes(8),
                  name: 'x',
                  startTimeUnixNano: '1',
                  attributes: [{ key: 'k', value: { intValue: '-5' } }],
                },
              ],
            },
          ],
        },
      ],
    });
    let checked = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut);
      let reference: unknown;
      try {
        decodeProtobufTraces(truncated);
      } catch (error) {
        reference = error;
      }
      if (reference === undefined) continue; // a cut on a field boundary is a valid, shorter message
      expect(() => decodeProtobufTracesWire(truncated)).toThrow(DecodeError);
      checked++;
    }
    expect(checked).toBeGreaterThan(bytes.length / 2);
  });
});
