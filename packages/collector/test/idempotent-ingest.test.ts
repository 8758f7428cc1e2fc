import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';
import { hexId, listAll, otlpJson, postJson, startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

describe('resending a batch', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('stores each span once when the same JSON batch arrives three times', async () => {
    const traceId = hexId(16);
    const spans = Array.from({ length: 25 }, (_, i) => ({
      traceId,
      spanId: hexId(8),
      name: `call ${i}`,
    }));
    const body = otlpJson(spans);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await postJson(collector.url, body);
      expect(res).toEqual({ status: 200, body: {} });
    }
    const stored = await listAll(collector.url, { traceId });
    expect(stored).toHaveLength(25);
    expect(new Set(stored.map((s) => s.spanId))).toEqual(new Set(spans.map((s) => s.spanId)));
  });

  it('stores each span once when resent concurrently, in JSON and in protobuf', async () => {
    const traceId = hexId(16);
    const spans = Array.from({ length: 10 }, (_, i) => ({
      traceId,
      spanId: hexId(8),
      name: `call ${i}`,
    }));
    const json = otlpJson(spans);
    const now = BigInt(Date.now()) * 1_000_000n;
    const proto = ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: spans.map((s) => ({
                  traceId: Buffer.from(s.traceId, 'hex'),
                  spanId: Buffer.from(s.spanId, 'hex'),
                  name: s.name,
                  startTimeUnixNano: now.toString(),
                  endTimeUnixNano: now.toString(),
                })),
              },
            ],
          },
        ],
      }),
    ).finish();
    const statuses = await Promise.all([
      postJson(collector.url, json).then((r) => r.status),
      postJson(collector.url, json).then((r) => r.status),
      fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array(proto),
      }).then((r) => r.status),
    ]);
    expect(statuses).toEqual([200, 200, 200]);
    const stored = await listAll(collector.url, { traceId });
    expect(stored.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});
