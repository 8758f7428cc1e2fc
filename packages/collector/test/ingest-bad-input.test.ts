import { gzipSync } from 'node:zlib';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  RpcStatus,
} from '../src/otlp/proto.js';
import { hexId, listAll, otlpJson, postJson, startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

const MAX_BODY_BYTES = 64 * 1024;

function goodBatch(n: number, name: string) {
  const traceId = hexId(16);
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: hexId(8),
    name: `${name} ${i}`,
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
  }));
  return { traceId, spans, body: otlpJson(spans) };
}

function protobufBody(
  spans: { traceId: Uint8Array; spanId: Uint8Array; name: string }[],
): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n;
  return ExportTraceServiceRequest.encode(
    ExportTraceServiceRequest.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'proto-svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: spans.map((s) => ({
                ...s,
                kind: 3,
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 1_000_000n).toString(),
              })),
            },
          ],
        },
      ],
    }),
  ).finish();
}

async function postRaw(
  url: string,
  body: Uint8Array | string | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
) {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}
const text = (bytes: Uint8Array) =>
  JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;

describe('POST /v1/traces with bad input', () => {
  let collector: Collector;
  let before: ReturnType<typeof goodBatch>;

  beforeAll(async () => {
    collector = await startTestCollector({ maxBodyBytes: MAX_BODY_BYTES });
    before = goodBatch(5, 'before');
    expect((await postJson(collector.url, before.body)).status).toBe(200);
  });

  afterAll(async () => {
    // Spans sent before and after the bad requests are intact and nothing else got in.
    const after = goodBatch(5, 'after');
    expect((await postJson(collector.url, after.body)).status).toBe(200);
    const all = await listAll(collector.url);
    const names = (traceId: string) =>
      all
        .filter((s) => s.traceId === traceId)
        .map((s) => s.name)
        .sort();
    expect(names(before.traceId)).toEqual(before.spans.map((s) => s.name).sort());
    expect(names(after.traceId)).toEqual(after.spans.map((s) => s.name).sort());
    await collector.stop();
  });

  it('answers 400 naming the problem for malformed JSON', async () => {
    const res = await postJson(collector.url, '{"resourceSpans": [ {"scopeSpans": [');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'undecodable_body', issues: [] });
    expect(res.body.message).toMatch(/^body is not valid JSON/);
  });

  it('answers 400 for JSON that is not an export request', async () => {
    const res = await postJson(collector.url, { resourceSpans: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'undecodable_body',
      message: 'resourceSpans is not an array',
    });
  });

  it('answers 400 with a protobuf google.rpc.Status for a truncated protobuf body', async () => {
    const full = protobufBody([
      { traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7), name: 'lost' },
    ]);
    const res = await postRaw(collector.url, full.subarray(0, full.length - 9), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/x-protobuf');
    const status = RpcStatus.toObject(RpcStatus.decode(res.bytes)) as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(/^body is not a valid protobuf ExportTraceServiceRequest/);
    expect(await listAll(collector.url, { traceId: '07'.repeat(16) })).toEqual([]);
  });

  it('answers 415 for a content type other than OTLP JSON or protobuf', async () => {
    const res = await postRaw(collector.url, JSON.stringify(goodBatch(1, 'x').body), {
      'content-type': 'text/plain',
    });
    expect(res.status).toBe(415);
    expect(text(res.bytes)).toEqual({
      error: 'unsupported_media_type',
      message:
        'unsupported Content-Type "text/plain"; send application/x-protobuf or application/json',
      issues: [],
    });
  });

  it('answers 415 for an unsupported Content-Encoding', async () => {
    const res = await postRaw(collector.url, 'xx', {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    expect(res.status).toBe(415);
    expect(text(res.bytes).message).toBe(
      'unsupported Content-Encoding "br"; use one of identity, gzip, deflate',
    );
  });

  it('accepts charset parameters and gzip bodies under the limit', async () => {
    const batch = goodBatch(3, 'gzipped');
    const res = await postRaw(collector.url, gzipSync(JSON.stringify(batch.body)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(text(res.bytes)).toEqual({});
    expect(await listAll(collector.url, { traceId: batch.traceId })).toHaveLength(3);
  });

  it('answers 413 for a body over the limit, declared or streamed without a length', async () => {
    const spans = Array.from({ length: 400 }, () => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name: 'x'.repeat(200),
    }));
    const big = JSON.stringify(otlpJson(spans));
    expect(big.length).toBeGreaterThan(MAX_BODY_BYTES);
    const declared = await postJson(collector.url, big);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({
      error: 'payload_too_large',
      message: `request body exceeds ${MAX_BODY_BYTES} bytes (after decompression)`,
    });

    const bytes = Buffer.from(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8192)
          controller.enqueue(bytes.subarray(i, i + 8192));
        controller.close();
      },
    });
    const streamed = await postRaw(collector.url, stream, { 'content-type': 'application/json' });
    expect(streamed.status).toBe(413);
    expect(await listAll(collector.url, { traceId: spans[0]!.traceId })).toEqual([]);
  });

  it('answers 413 for a gzip bomb: small on the wire, huge once inflated', async () => {
    // 64 MiB of JSON whitespace: ~64 KiB gzipped, under the limit on the wire.
    const inflated = Buffer.alloc(64 * 1024 * 1024, 0x20);
    inflated.write('{"resourceSpans":[', 0);
    inflated.write(']}', inflated.length - 2);
    const bomb = gzipSync(inflated, { level: 9 });
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const res = await postRaw(collector.url, bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(413);
    expect(text(res.bytes).message).toBe(
      `request body exceeds ${MAX_BODY_BYTES} bytes (after decompression)`,
    );
  });

  it('answers 400 for a corrupt gzip body', async () => {
    const res = await postRaw(collector.url, Buffer.from('not gzip at all'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    expect(text(res.bytes).message).toMatch(/^body is not valid gzip data/);
  });

  it('rejects spans with invalid JSON ids as partial success and stores the valid ones', async () => {
    const traceId = hexId(16);
    const good = [
      { traceId, spanId: hexId(8), name: 'good 1' },
      {
        traceId: traceId.toUpperCase(),
        spanId: hexId(8).toUpperCase(),
        name: 'good 2 (upper-case hex)',
      },
    ];
    const bad = [
      { traceId: traceId.slice(2), spanId: hexId(8), name: 'short trace id' },
      { traceId: `zz${traceId.slice(2)}`, spanId: hexId(8), name: 'non-hex trace id' },
      { traceId: '0'.repeat(32), spanId: hexId(8), name: 'zero trace id' },
      { traceId, spanId: '0'.repeat(16), name: 'zero span id' },
      { traceId, spanId: hexId(8), parentSpanId: 'abc', name: 'bad parent id' },
      { traceId, spanId: '', name: 'missing span id' },
    ];
    const res = await postJson(collector.url, otlpJson([good[0]!, ...bad, good[1]!]));
    expect(res.status).toBe(200);
    const partial = res.body.partialSuccess as { rejectedSpans: number; errorMessage: string };
    expect(partial.rejectedSpans).toBe(6);
    expect(partial.errorMessage).toBe(
      '6 span(s) rejected: ' +
        `resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex characters, got "${traceId.slice(2)}"; ` +
        `resourceSpans[0].scopeSpans[0].spans[2].traceId: expected 32 hex characters, got "zz${traceId.slice(2)}"; ` +
        'resourceSpans[0].scopeSpans[0].spans[3].traceId: must not be all zeros; ' +
        'resourceSpans[0].scopeSpans[0].spans[4].spanId: must not be all zeros; ' +
        'resourceSpans[0].scopeSpans[0].spans[5].parentSpanId: expected 16 hex characters, got "abc"; and 1 more',
    );
    const stored = await listAll(collector.url, { traceId });
    expect(stored.map((s: CallRecord) => s.name).sort()).toEqual([
      'good 1',
      'good 2 (upper-case hex)',
    ]);
    expect(stored.find((s) => s.name.startsWith('good 2'))!.spanId).toBe(
      good[1]!.spanId.toLowerCase(),
    );
  });

  it('rejects protobuf spans with wrong-length or zero ids and answers partial success in protobuf', async () => {
    const traceId = Buffer.from(hexId(16), 'hex');
    const body = protobufBody([
      { traceId, spanId: Buffer.from(hexId(8), 'hex'), name: 'good' },
      {
        traceId: traceId.subarray(0, 8),
        spanId: Buffer.from(hexId(8), 'hex'),
        name: '8-byte trace id',
      },
      { traceId, spanId: Buffer.alloc(8), name: 'zero span id' },
    ]);
    const res = await postRaw(collector.url, body, { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-protobuf');
    const decoded = ExportTraceServiceResponse.toObject(
      ExportTraceServiceResponse.decode(res.bytes),
      {
        longs: Number,
      },
    );
    expect(decoded).toEqual({
      partialSuccess: {
        rejectedSpans: 2,
        errorMessage:
          '2 span(s) rejected: resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 8; ' +
          'resourceSpans[0].scopeSpans[0].spans[2].spanId: must not be all zeros',
      },
    });
    const stored = await listAll(collector.url, { traceId: traceId.toString('hex') });
    expect(stored.map((s) => [s.name, s.serviceName])).toEqual([['good', 'proto-svc']]);
  });
});
