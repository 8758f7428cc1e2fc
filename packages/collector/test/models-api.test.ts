import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, openSqliteStore } from '../src/index.js';
import type { ModelInventoryEntry } from '../src/routes/models.js';
import { hexId, tempDir } from './helpers.js';
import { allSpans, exactQuantile, genAiSpans, ingest } from './read-side-helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 9, 5, 6, 0);
const NOW = T0 + 4 * HOUR;

const startMs = (c: CallRecord): number => Number(BigInt(c.startTimeUnixNano) / 1_000_000n);

describe('model inventory: GET /api/models, PUT /api/models/:id', () => {
  const tmp = tempDir();
  const dbPath = path.join(tmp.dir, 'pilotlight.db');
  let store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
  let app = createApp({ store, now: () => NOW });
  let calls: CallRecord[] = [];

  beforeAll(async () => {
    expect(await ingest(app, genAiSpans(3, 600, T0, 3 * HOUR))).toBe(200);
    // Older traffic: gpt-4o ten days ago (in the 30-day window only), and a model last
    // used 40 days ago (in neither window, still in the inventory).
    const old = (model: string, provider: string, at: number) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      startMs: at,
      durationMs: 1234,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider,
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 10,
      },
    });
    const older = [
      ...Array.from({ length: 20 }, (_, i) => old('gpt-4o', 'openai', T0 - 10 * DAY + i * 1000)),
      old('gpt-3.5-turbo', 'openai', T0 - 40 * DAY),
      old('gpt-3.5-turbo', 'azure.ai.openai', T0 - 41 * DAY),
    ];
    expect(await ingest(app, older)).toBe(200);
    calls = (await allSpans(app)).filter((c) => c.model !== null);
  });
  afterAll(async () => {
    await store.close();
    tmp.remove();
  });

  const list = async (): Promise<ModelInventoryEntry[]> => {
    const res = await app.request('/api/models');
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: ModelInventoryEntry[] }).data;
  };
  const put = (id: string, body: unknown) =>
    app.request(`/api/models/${encodeURIComponent(id)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('lists every model seen, with provider, first/last seen and 24 h / 30 d figures equal to a recount', async () => {
    const models = await list();
    expect(models.map((m) => m.id)).toEqual([
      'claude-sonnet-4',
      'gpt-3.5-turbo',
      'gpt-4o',
      'gpt-4o-mini',
    ]);
    for (const m of models) {
      const mine = calls.filter((c) => c.model === m.id);
      const starts = mine.map(startMs);
      expect(m.firstSeen).toBe(new Date(Math.min(...starts)).toISOString());
      expect(m.lastSeen).toBe(new Date(Math.max(...starts)).toISOString());
      // The provider of the latest call.
      expect(m.provider).toBe(mine.find((c) => startMs(c) === Math.max(...starts))!.provider);
      for (const [window, widthMs] of [
        ['last24h', DAY],
        ['last30d', 30 * DAY],
      ] as const) {
        const inWindow = mine.filter((c) => startMs(c) >= NOW - widthMs && startMs(c) < NOW);
        const s = m[window];
        expect(s.calls).toBe(inWindow.length);
        expect(s.errors).toBe(inWindow.filter((c) => c.status === 'error').length);
        expect(s.costUsd).toBeCloseTo(
          inWindow.reduce((a, c) => a + (c.costUsd ?? 0), 0),
          12,
        );
        if (inWindow.length === 0) expect(s.p95LatencyMs).toBeNull();
        else {
          const exact = exactQuantile(
            inWindow.map((c) => c.durationMs),
            0.95,
          );
          expect(Math.abs(s.p95LatencyMs! - exact) / exact).toBeLessThanOrEqual(0.01);
        }
      }
    }
    const gpt4o = models.find((m) => m.id === 'gpt-4o')!;
    expect(gpt4o.last30d.calls - gpt4o.last24h.calls).toBe(20);
    const legacy = models.find((m) => m.id === 'gpt-3.5-turbo')!;
    expect(legacy.last30d.calls).toBe(0);
    expect(legacy.provider).toBe('openai');
    expect(legacy).toMatchObject({ owner: null, purpose: null, reviewedAt: null, onFailure: null });
  });

  it('stores metadata, changes only the fields sent, clears with null, and keeps it across a restart', async () => {
    let res = await put('gpt-4o', {
      owner: 'search-team',
      purpose: 'query rewriting, "smart" answers, and more',
      reviewedAt: '2026-09-30',
      onFailure: 'fall back to gpt-4o-mini',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 'gpt-4o',
      owner: 'search-team',
      reviewedAt: '2026-09-30',
    });
    res = await put('gpt-4o', { owner: 'ml-platform', reviewedAt: null });
    expect(res.status).toBe(200);

    await store.close();
    store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
    app = createApp({ store, now: () => NOW });
    const gpt4o = (await list()).find((m) => m.id === 'gpt-4o')!;
    expect(gpt4o).toMatchObject({
      owner: 'ml-platform',
      purpose: 'query rewriting, "smart" answers, and more',
      reviewedAt: null,
      onFailure: 'fall back to gpt-4o-mini',
    });
    expect((await list()).find((m) => m.id === 'gpt-4o-mini')!.owner).toBeNull();
  });

  it('answers 404 for a model never seen', async () => {
    const res = await put('gpt-9', { owner: 'nobody' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe('not_found');
  });

  it.each([
    [{ reviewedAt: 'last tuesday' }, 'reviewedAt'],
    [{ owner: 42 }, 'owner'],
    [{ colour: 'blue' }, 'colour'],
    [{}, ''],
    ['{not json', ''],
  ])('answers 400 for body %o, naming the field', async (body, field) => {
    const res = await put('gpt-4o', body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { issues: { path: string }[] };
    expect(json.issues.map((i) => i.path)).toContain(field);
  });
});
