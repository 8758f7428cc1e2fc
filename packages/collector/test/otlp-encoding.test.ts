import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';
import { getJson, hexId, postJson, startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

async function traceOf(collector: Collector, traceId: string): Promise<CallRecord[]> {
  const { status, body } = await getJson<{ spans: CallRecord[] }>(
    `${collector.url}/api/traces/${traceId}`,
  );
  expect(status).toBe(200);
  return body.spans;
}

describe('OTLP encodings', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('reads OTLP JSON: every AnyValue kind, int64 as string or number, enums by name, unknown fields ignored', async () => {
    const traceId = hexId(16);
    const parent = hexId(8);
    const child = hexId(8);
    const body = {
      unknownTopLevel: { anything: true },
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'json-svc' } }],
            droppedAttributesCount: 0,
            somethingNew: 'ignored',
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
          scopeSpans: [
            {
              scope: { name: 'my-instrumentation', version: '1.2.3' },
              spans: [
                {
                  traceId,
                  spanId: parent,
                  parentSpanId: '',
                  name: 'root',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1750000000123456768',
                  // As a JSON number: exactly representable as a double (a multiple of 256).
                  endTimeUnixNano: Number(1750000000623456768n),
                  status: { code: 'STATUS_CODE_OK' },
                  flags: 257,
                  traceState: 'vendor=x',
                  links: [],
                  futureField: [1, 2, 3],
                  attributes: [
                    { key: 'str', value: { stringValue: 'text' } },
                    { key: 'bool', value: { boolValue: true } },
                    { key: 'int.string', value: { intValue: '42' } },
                    { key: 'int.number', value: { intValue: -7 } },
                    { key: 'int.huge', value: { intValue: '9223372036854775807' } },
                    { key: 'double', value: { doubleValue: 3.5 } },
                    { key: 'double.nan', value: { doubleValue: 'NaN' } },
                    { key: 'bytes', value: { bytesValue: 'AQID' } },
                    { key: 'empty', value: {} },
                    {
                      key: 'array',
                      value: {
                        arrayValue: {
                          values: [{ stringValue: 'a' }, { intValue: '1' }, { boolValue: false }],
                        },
                      },
                    },
                    {
                      key: 'kvlist',
                      value: {
                        kvlistValue: {
                          values: [
                            {
                              key: 'nested',
                              value: {
                                kvlistValue: {
                                  values: [{ key: 'deep', value: { doubleValue: 0.5 } }],
                                },
                              },
                            },
                            { key: 'list', value: { arrayValue: { values: [] } } },
                          ],
                        },
                      },
                    },
                  ],
                },
                {
                  trace_id: traceId,
                  span_id: child,
                  parent_span_id: parent,
                  name: 'child, snake_case keys',
                  kind: 3,
                  start_time_unix_nano: 1750000000200000000,
                  end_time_unix_nano: '1750000000300000000',
                  status: { code: 2, message: 'boom' },
                  events: [
                    {
                      timeUnixNano: '1750000000250000000',
                      name: 'exception',
                      attributes: [
                        { key: 'exception.type', value: { stringValue: 'TimeoutError' } },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(await postJson(collector.url, body)).toEqual({ status: 200, body: {} });

    const [root, childSpan] = await traceOf(collector, traceId);
    expect(root).toMatchObject({
      spanId: parent,
      parentSpanId: null,
      name: 'root',
      serviceName: 'json-svc',
      startTimeUnixNano: '1750000000123456768',
      startTime: '2025-06-15T15:06:40.123Z',
      endTime: '2025-06-15T15:06:40.623Z',
      durationMs: 500,
      status: 'ok',
      operation: null,
      model: null,
    });
    expect(root!.attributes).toEqual({
      str: 'text',
      bool: true,
      'int.string': 42,
      'int.number': -7,
      'int.huge': '9223372036854775807',
      double: 3.5,
      'double.nan': 'NaN',
      bytes: 'AQID',
      empty: null,
      array: ['a', 1, false],
      kvlist: { nested: { deep: 0.5 }, list: [] },
      'resource.service.name': 'json-svc',
    });
    expect(childSpan).toMatchObject({
      spanId: child,
      parentSpanId: parent,
      name: 'child, snake_case keys',
      durationMs: 100,
      status: 'error',
    });
  });

  it('rejects a span with an invalid value but keeps its siblings', async () => {
    const traceId = hexId(16);
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: hexId(8),
                  name: 'ok',
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                },
                { traceId, spanId: hexId(8), name: 'bad kind', kind: 'SPAN_KIND_SIDEWAYS' },
                { traceId, spanId: hexId(8), name: 'bad time', startTimeUnixNano: '-5' },
                {
                  traceId,
                  spanId: hexId(8),
                  name: 'bad int',
                  attributes: [{ key: 'n', value: { intValue: '1.5' } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postJson(collector.url, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      partialSuccess: {
        rejectedSpans: 3,
        errorMessage:
          '3 span(s) rejected: resourceSpans[0].scopeSpans[0].spans[1].kind: unknown enum value "SPAN_KIND_SIDEWAYS"; ' +
          'resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano: expected an unsigned 64-bit integer, got "-5"; ' +
          'resourceSpans[0].scopeSpans[0].spans[3].attributes.n: intValue must be an integer, got "1.5"',
      },
    });
    expect((await traceOf(collector, traceId)).map((s) => s.name)).toEqual(['ok']);
  });

  it('reads OTLP protobuf: ids as bytes, fixed64 times, every AnyValue kind', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    const bytes = ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pb-svc' } }] },
            scopeSpans: [
              {
                scope: { name: 'pb-scope' },
                spans: [
                  {
                    traceId: Buffer.from(traceId, 'hex'),
                    spanId: Buffer.from(spanId, 'hex'),
                    name: 'chat',
                    kind: 3,
                    startTimeUnixNano: '1750000000123456789',
                    endTimeUnixNano: '1750000001123456789',
                    status: { code: 2, message: 'failed' },
                    attributes: [
                      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                      { key: 'gen_ai.request.model', value: { stringValue: 'no-such-model-xyz' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: 10 } },
                      { key: 'flag', value: { boolValue: true } },
                      { key: 'huge', value: { intValue: '-9223372036854775808' } },
                      { key: 'ratio', value: { doubleValue: 0.125 } },
                      { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 3]) } },
                      {
                        key: 'list',
                        value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 2 }] } },
                      },
                      {
                        key: 'map',
                        value: {
                          kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] },
                        },
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(bytes),
    });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(0));

    const [span] = await traceOf(collector, traceId);
    expect(span).toMatchObject({
      spanId,
      serviceName: 'pb-svc',
      startTimeUnixNano: '1750000000123456789',
      durationMs: 1000,
      status: 'error',
      errorType: '_OTHER',
      model: 'no-such-model-xyz',
      inputTokens: 10,
      // Unknown model: unpriced is visible, never $0.
      costUsd: null,
      costSource: null,
    });
    expect(span!.attributes).toMatchObject({
      flag: true,
      huge: '-9223372036854775808',
      ratio: 0.125,
      raw: 'AQID',
      list: ['x', 2],
      map: { k: 'v' },
    });
  });

  it('keeps a cost the SDK sent and prices calls that arrive without one', async () => {
    const traceId = hexId(16);
    const base = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
    };
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { model: 'gpt-4o', cost: 0.5, name: 'sdk priced' },
                { model: 'gpt-4o-2024-08-06', cost: undefined, name: 'collector priced' },
              ].map((s) => ({
                traceId,
                spanId: hexId(8),
                name: s.name,
                startTimeUnixNano: '1750000000000000000',
                endTimeUnixNano: '1750000000000000000',
                attributes: Object.entries({
                  ...base,
                  'gen_ai.request.model': s.model,
                  ...(s.cost === undefined ? {} : { 'pilotlight.cost_usd': s.cost }),
                }).map(([key, v]) => ({
                  key,
                  value:
                    typeof v === 'string'
                      ? { stringValue: v }
                      : Number.isInteger(v)
                        ? { intValue: v }
                        : { doubleValue: v },
                })),
              })),
            },
          ],
        },
      ],
    };
    expect((await postJson(collector.url, body)).status).toBe(200);
    const spans = await traceOf(collector, traceId);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(byName['sdk priced']).toMatchObject({ costUsd: 0.5, costSource: 'sdk' });
    // gpt-4o: $2.50 in / $10 out per million tokens; the dated snapshot maps to it.
    expect(byName['collector priced']!.costSource).toBe('collector');
    expect(byName['collector priced']!.costUsd).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6, 12);
  });
});
