import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  hexId,
  listAll,
  otlpJson,
  postJson,
  type SpansPage,
  startTestCollector,
} from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
type ErrorBody = { error: string; message: string; issues: { path: string; message: string }[] };

const BASE_MS = Date.parse('2025-06-01T12:00:00Z');

describe('query API', () => {
  let collector: Collector;
  const traceA = hexId(16);
  const traceB = hexId(16);

  beforeAll(async () => {
    collector = await startTestCollector();
    // 30 spans one second apart; every third is an error on a different model;
    // 5 more share one start time so ties must be broken by the cursor too.
    const spans = Array.from({ length: 30 }, (_, i) => ({
      traceId: i < 15 ? traceA : traceB,
      spanId: hexId(8),
      name: `s${i}`,
      startMs: BASE_MS + i * 1000,
      attributes:
        i % 3 === 0
          ? {
              'gen_ai.operation.name': 'chat',
              'gen_ai.request.model': 'gpt-4o',
              'error.type': 'timeout',
            }
          : { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
    }));
    const ties = Array.from({ length: 5 }, (_, i) => ({
      traceId: traceB,
      spanId: hexId(8),
      name: `tie${i}`,
      startMs: BASE_MS + 100_000,
    }));
    expect((await postJson(collector.url, otlpJson([...spans, ...ties]))).status).toBe(200);
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('lists newest first and filters by trace, model, status and time range', async () => {
    const all = await listAll(collector.url);
    expect(all).toHaveLength(35);
    const starts = all.map((s) => BigInt(s.startTimeUnixNano));
    expect(starts).toEqual([...starts].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(all.slice(5, 8).map((s) => s.name)).toEqual(['s29', 's28', 's27']);

    expect((await listAll(collector.url, { traceId: traceA })).map((s) => s.name)).toEqual(
      Array.from({ length: 15 }, (_, i) => `s${14 - i}`),
    );
    const errors = await listAll(collector.url, { status: 'error' });
    expect(errors.map((s) => s.name)).toEqual([
      's27',
      's24',
      's21',
      's18',
      's15',
      's12',
      's9',
      's6',
      's3',
      's0',
    ]);
    expect(errors.every((s) => s.model === 'gpt-4o' && s.errorType === 'timeout')).toBe(true);
    expect(await listAll(collector.url, { model: 'gpt-4o', status: 'ok' })).toEqual([]);
    expect((await listAll(collector.url, { model: 'gpt-4o-mini' })).length).toBe(20);

    // from is inclusive, to exclusive; ISO 8601 and Unix milliseconds both work.
    const ranged = await listAll(collector.url, {
      from: new Date(BASE_MS + 10_000).toISOString(),
      to: String(BASE_MS + 13_000),
    });
    expect(ranged.map((s) => s.name)).toEqual(['s12', 's11', 's10']);
  });

  it('pages with a cursor that neither skips nor repeats while new spans arrive', async () => {
    const seen: CallRecord[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const url: string = `${collector.url}/api/spans?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`;
      const { status, body } = await getJson<SpansPage>(url);
      expect(status).toBe(200);
      expect(body.data.length).toBeLessThanOrEqual(4);
      seen.push(...body.data);
      cursor = body.nextCursor;
      // New spans land between pages: newer than everything, older than everything,
      // and at exactly the tied start time already being paged through.
      const inserted = [BASE_MS + 500_000, BASE_MS - 500_000, BASE_MS + 100_000].map((startMs) => ({
        traceId: hexId(16),
        spanId: hexId(8),
        name: `late p${page}`,
        startMs,
      }));
      expect((await postJson(collector.url, otlpJson(inserted))).status).toBe(200);
      page++;
    } while (cursor !== null);

    const original = seen.filter((s) => !s.name.startsWith('late'));
    expect(original).toHaveLength(35);
    expect(new Set(seen.map((s) => `${s.traceId}/${s.spanId}`)).size).toBe(seen.length);
    // Spans that arrived with a newer start time than the page already read never appear.
    expect(seen.filter((s) => s.startTime === new Date(BASE_MS + 500_000).toISOString())).toEqual(
      [],
    );
  });

  it('returns a trace oldest first, and 404 for an unknown trace', async () => {
    const { status, body } = await getJson<{ traceId: string; spans: CallRecord[] }>(
      `${collector.url}/api/traces/${traceA.toUpperCase()}`,
    );
    expect(status).toBe(200);
    expect(body.traceId).toBe(traceA);
    expect(body.spans.map((s) => s.name)).toEqual(Array.from({ length: 15 }, (_, i) => `s${i}`));

    const missing = await getJson<ErrorBody>(`${collector.url}/api/traces/${hexId(16)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['status=fine', 'status'],
    ['traceId=xyz', 'traceId'],
    ['from=yesterday', 'from'],
    ['from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', 'to'],
    ['cursor=bm9wZQ', 'cursor'],
    ['modle=gpt-4o', 'modle'],
    ['service=', 'service'],
    ['provider=', 'provider'],
    [`operation=${'x'.repeat(513)}`, 'operation'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    const { status, body } = await getJson<ErrorBody>(`${collector.url}/api/spans?${query}`);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.issues.map((i) => i.path)).toEqual([param]);
    expect(body.message).toContain(param);
  });

  it('answers 400 for a malformed trace id in the path, and 200 on /healthz', async () => {
    const bad = await getJson<ErrorBody>(`${collector.url}/api/traces/not-a-trace`);
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: 'traceId', message: 'expected 32 hex characters' }]);
    expect(await getJson(`${collector.url}/healthz`)).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
  });
});

describe('query API: service, provider and operation filters', () => {
  let collector: Collector;

  beforeAll(async () => {
    collector = await startTestCollector();
    const span = (name: string, i: number, provider: string, operation: string) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name,
      startMs: BASE_MS + i * 1000,
      attributes: {
        'gen_ai.provider.name': provider,
        'gen_ai.operation.name': operation,
        'gen_ai.request.model': 'm',
      },
    });
    const checkout = [
      span('c-openai-chat', 0, 'openai', 'chat'),
      span('c-anthropic-chat', 1, 'anthropic', 'chat'),
    ];
    const search = [
      span('s-openai-embed', 2, 'openai', 'embeddings'),
      span('s-openai-chat', 3, 'openai', 'chat'),
    ];
    expect((await postJson(collector.url, otlpJson(checkout, 'checkout'))).status).toBe(200);
    expect((await postJson(collector.url, otlpJson(search, 'search'))).status).toBe(200);
  });
  afterAll(async () => {
    await collector.stop();
  });

  const names = async (params: Record<string, string>) =>
    (await listAll(collector.url, params)).map((s) => s.name);

  it('narrows by each filter alone, exactly', async () => {
    expect(await names({ service: 'search' })).toEqual(['s-openai-chat', 's-openai-embed']);
    expect(await names({ service: 'checkout' })).toEqual(['c-anthropic-chat', 'c-openai-chat']);
    expect(await names({ service: 'check' })).toEqual([]);
    expect(await names({ provider: 'anthropic' })).toEqual(['c-anthropic-chat']);
    expect(await names({ operation: 'embeddings' })).toEqual(['s-openai-embed']);
    expect(await names({ operation: 'Chat' })).toEqual([]);
  });

  it('combines filters with AND, with the other filters and with pagination', async () => {
    expect(await names({ service: 'search', operation: 'chat' })).toEqual(['s-openai-chat']);
    expect(await names({ service: 'checkout', provider: 'openai', operation: 'chat' })).toEqual([
      'c-openai-chat',
    ]);
    expect(await names({ service: 'search', provider: 'anthropic' })).toEqual([]);
    expect(
      await names({ provider: 'openai', from: new Date(BASE_MS + 1000).toISOString() }),
    ).toEqual(['s-openai-chat', 's-openai-embed']);
    expect(await names({ provider: 'openai', operation: 'chat', limit: '1' })).toEqual([
      's-openai-chat',
      'c-openai-chat',
    ]);
  });

  it('filters the export the same way', async () => {
    const res = await fetch(`${collector.url}/api/export?service=search&operation=chat`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as CallRecord).name)).toEqual(['s-openai-chat']);
  });
});

describe('query API: numeric range filters', () => {
  let collector: Collector;

  beforeAll(async () => {
    collector = await startTestCollector();
    const span = (
      name: string,
      i: number,
      durationMs: number,
      attributes: Record<string, string | number>,
    ) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name,
      startMs: BASE_MS + i * 1000,
      durationMs,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', ...attributes },
    });
    const spans = [
      span('fast', 0, 50, {
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
        'pilotlight.cost_usd': 0.001,
        'pilotlight.confidence': 0.9,
        'pilotlight.time_to_first_token_ms': 20,
      }),
      span('medium', 1, 400, {
        'gen_ai.usage.input_tokens': 200,
        'gen_ai.usage.output_tokens': 100,
        'pilotlight.cost_usd': 0.02,
        'pilotlight.confidence': 0.4,
      }),
      span('slow', 2, 2500, { 'pilotlight.time_to_first_token_ms': 900 }),
    ];
    expect((await postJson(collector.url, otlpJson(spans))).status).toBe(200);
  });
  afterAll(async () => {
    await collector.stop();
  });

  const names = async (params: Record<string, string>) =>
    (await listAll(collector.url, params)).map((s) => s.name);

  it('narrows by each bound, inclusively, leaving out calls without the measure', async () => {
    expect(await names({ minLatencyMs: '400' })).toEqual(['slow', 'medium']);
    expect(await names({ maxLatencyMs: '400' })).toEqual(['medium', 'fast']);
    expect(await names({ minLatencyMs: '50.5', maxLatencyMs: '2499.5' })).toEqual(['medium']);
    expect(await names({ minTtftMs: '0' })).toEqual(['slow', 'fast']);
    expect(await names({ maxTtftMs: '100' })).toEqual(['fast']);
    expect(await names({ minTokens: '15', maxTokens: '15' })).toEqual(['fast']);
    expect(await names({ minTokens: '16' })).toEqual(['medium']);
    expect(await names({ minCostUsd: '0.01' })).toEqual(['medium']);
    expect(await names({ maxCostUsd: '1' })).toEqual(['medium', 'fast']);
    expect(await names({ minConfidence: '0.5' })).toEqual(['fast']);
    expect(await names({ maxConfidence: '1' })).toEqual(['medium', 'fast']);
  });

  it('combines ranges with AND, with the other filters and with pagination', async () => {
    expect(await names({ maxLatencyMs: '1000', minConfidence: '0.5' })).toEqual(['fast']);
    expect(await names({ minLatencyMs: '10', maxCostUsd: '0.05', limit: '1' })).toEqual([
      'medium',
      'fast',
    ]);
    expect(await names({ minLatencyMs: '10', model: 'other' })).toEqual([]);
    expect(
      await names({ minLatencyMs: '10', from: new Date(BASE_MS + 1000).toISOString() }),
    ).toEqual(['slow', 'medium']);
  });

  it.each([
    ['minLatencyMs=-1', 'minLatencyMs'],
    ['maxTtftMs=abc', 'maxTtftMs'],
    ['minTokens=1e3', 'minTokens'],
    ['maxCostUsd=', 'maxCostUsd'],
    ['minConfidence=1.5', 'minConfidence'],
    ['minLatencyMs=500&maxLatencyMs=100', 'maxLatencyMs'],
    ['minTokens=10&maxTokens=9', 'maxTokens'],
    ['minConfidence=0.8&maxConfidence=0.2', 'maxConfidence'],
    ['minCostUsd=Infinity', 'minCostUsd'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    for (const path of ['/api/spans', '/api/export']) {
      const { status, body } = await getJson<ErrorBody>(`${collector.url}${path}?${query}`);
      expect(status).toBe(400);
      expect(body.issues.map((i) => i.path)).toEqual([param]);
      expect(body.message).toContain(param);
    }
  });

  it('filters the export the same way', async () => {
    const res = await fetch(`${collector.url}/api/export?minLatencyMs=100&maxTokens=1000`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as CallRecord).name)).toEqual(['medium']);
  });
});
