import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, recordFeedback, shutdown, traceCall } from '../src/index.js';
import { OtlpSink } from './helpers/otlp-sink.js';

let sink: OtlpSink;
beforeAll(async () => {
  sink = await new OtlpSink().start();
  init({ endpoint: sink.url, flushOnExit: false, headers: { 'x-tenant': 'acme' } });
});
afterAll(async () => {
  await shutdown();
  await sink.stop();
});

describe('recordFeedback', () => {
  it('POSTs the documented JSON body to /api/feedback for a traced call', async () => {
    let ids = { traceId: '', spanId: '' };
    await traceCall('answer', (span) => {
      ids = span.spanContext();
    });
    const result = await recordFeedback(
      { traceId: ids.traceId, spanId: ids.spanId },
      { score: 1, label: 'helpful', comment: 'spot on' },
    );
    expect(result).toEqual({ ok: true });
    const sent = sink.bodies.filter((b) => b.path === '/api/feedback');
    expect(sent.map((b) => JSON.parse(b.body))).toEqual([
      { traceId: ids.traceId, spanId: ids.spanId, score: 1, label: 'helpful', comment: 'spot on' },
    ]);
  });

  it('retries a 503 and reports a rejected request without throwing', async () => {
    sink.answers = [{ status: 503, headers: { 'retry-after': '0' } }];
    const traceId = 'ab'.repeat(16);
    expect(await recordFeedback(traceId, { score: 0 })).toEqual({ ok: true });
    sink.answers = [{ status: 404 }];
    expect(await recordFeedback(traceId, { score: 0 })).toEqual({ ok: false, reason: 'HTTP 404' });
  });

  it('refuses malformed ids and scores without a request', async () => {
    const before = sink.bodies.length;
    expect((await recordFeedback('not-a-trace', { score: 1 })).ok).toBe(false);
    expect(
      (await recordFeedback({ traceId: 'ab'.repeat(16), spanId: 'xyz' }, { score: 1 })).ok,
    ).toBe(false);
    expect((await recordFeedback('ab'.repeat(16), { score: Number.NaN })).ok).toBe(false);
    expect(sink.bodies.length).toBe(before);
  });
});
