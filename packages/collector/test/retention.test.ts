import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRetention } from '../src/jobs/retention.js';
import type { Summary } from '../src/rollups/summary.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { hexId, type JsonSpanSpec, tempDir } from './helpers.js';
import { allSpans, ingest, testApp } from './read-side-helpers.js';
import { makeRecord } from './store-contract.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 5, 12, 0);

function call(startMs: number, model = 'gpt-4o-mini'): JsonSpanSpec {
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    startMs,
    durationMs: 100,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': 10,
    },
  };
}

const startMs = (c: CallRecord): number => Number(BigInt(c.startTimeUnixNano) / 1_000_000n);

describe('retention', () => {
  const t = testApp({ now: () => NOW });
  const cutoff = NOW - 30 * DAY;

  beforeAll(async () => {
    const spans = [
      ...Array.from({ length: 2500 }, (_, i) => call(NOW - 40 * DAY + i * 1000)), // expired
      call(cutoff - 1), // expired by one millisecond
      call(cutoff), // exactly 30 days old: kept
      ...Array.from({ length: 40 }, (_, i) => call(NOW - 5 * DAY + i * 60_000)),
      ...Array.from({ length: 30 }, (_, i) => call(NOW - 500 * DAY + i * 1000, 'gpt-3.5-turbo')),
      { traceId: hexId(16), spanId: hexId(8), name: 'plain span', startMs: NOW - 45 * DAY },
    ];
    for (let i = 0; i < spans.length; i += 500) {
      expect(await ingest(t.app, spans.slice(i, i + 500))).toBe(200);
    }
  });
  afterAll(() => t.close());

  const summary = async (from: number, to: number): Promise<number> => {
    const res = await t.app.request(`/api/summary?from=${from}&to=${to}`);
    const body = (await res.json()) as Summary;
    return body.groups.reduce((s, g) => s + g.total.calls, 0);
  };

  it('deletes only expired calls, in small batches, and keeps rollups longer', async () => {
    expect(await allSpans(t.app)).toHaveLength(2573);
    expect(await summary(NOW - 41 * DAY, NOW - 39 * DAY)).toBe(2500);
    const job = startRetention(t.store, {
      callRetentionDays: 30,
      rollupRetentionDays: 365,
      batchSize: 100,
      now: () => NOW,
    });
    const result = await job.runOnce();
    await job.stop();
    expect(result.calls).toBe(2500 + 1 + 30 + 1);
    const left = await allSpans(t.app);
    expect(left).toHaveLength(41);
    expect(Math.min(...left.map(startMs))).toBe(cutoff);
    // The raw calls are gone, the rollups of that range are not.
    expect(await summary(NOW - 41 * DAY, NOW - 39 * DAY)).toBe(2500);
    // Rollups beyond their own retention are gone; the inventory still knows the model.
    expect(result.rollups).toBeGreaterThan(0);
    expect(await summary(NOW - 501 * DAY, NOW - 499 * DAY)).toBe(0);
    const models = (await (await t.app.request('/api/models')).json()) as {
      data: { id: string }[];
    };
    expect(models.data.map((m) => m.id)).toContain('gpt-3.5-turbo');
    // Nothing expired is left: a second run deletes nothing.
    expect(
      await startRetention(t.store, {
        callRetentionDays: 30,
        rollupRetentionDays: 365,
        now: () => NOW,
      }).runOnce(),
    ).toEqual({ calls: 0, rollups: 0, audit: 0 });
  });

  it('lets ingest through between delete batches', async () => {
    const t2 = testApp();
    try {
      const old = Array.from({ length: 3000 }, (_, i) => call(NOW - 100 * DAY + i));
      for (let i = 0; i < old.length; i += 1000) {
        expect(await ingest(t2.app, old.slice(i, i + 1000))).toBe(200);
      }
      const job = startRetention(t2.store, {
        callRetentionDays: 30,
        rollupRetentionDays: null,
        batchSize: 2,
        now: () => NOW,
      });
      let retentionDone = false;
      const run = job.runOnce().then((r) => {
        retentionDone = true;
        return r;
      });
      // 1,500 batches, each followed by a turn of the event loop: an ingest request
      // sent meanwhile is answered before the run ends, not after.
      expect(await ingest(t2.app, [call(NOW)])).toBe(200);
      expect(retentionDone).toBe(false);
      expect((await run).calls).toBe(3000);
      await job.stop();
      expect(await allSpans(t2.app)).toHaveLength(1);
    } finally {
      await t2.close();
    }
  });

  it('does nothing when no retention is set, and stops idempotently', async () => {
    const job = startRetention(t.store, { callRetentionDays: null, rollupRetentionDays: null });
    expect(await job.runOnce()).toEqual({ calls: 0, rollups: 0, audit: 0 });
    await job.stop();
    await job.stop();
  });
});

describe('per-project retention', () => {
  it('deletes a project’s calls past its own shorter period; others wait for the global one', async () => {
    const tmp = tempDir();
    const store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    try {
      const ages = [2, 6, 20, 40]; // days
      const recs = (project: string) =>
        ages.map((d) =>
          makeRecord({ projectId: project, startNs: BigInt(NOW - d * DAY) * 1_000_000n }),
        );
      for (const p of ['short', 'long', 'plain']) await store.insertCalls(p, recs(p));
      const job = startRetention(store, {
        callRetentionDays: 30,
        rollupRetentionDays: null,
        // 'long' asks for more than the global 30 days: the global period still applies.
        projectRetentionDays: async () =>
          new Map([
            ['short', 5],
            ['long', 90],
          ]),
        batchSize: 1,
        now: () => NOW,
      });
      const result = await job.runOnce();
      await job.stop();
      const agesOf = async (p: string) =>
        (await store.listCalls(p, { limit: 10 })).data.map((r) =>
          Math.round((NOW - Number(BigInt(r.startTimeUnixNano) / 1_000_000n)) / DAY),
        );
      expect(await agesOf('short')).toEqual([2]);
      expect(await agesOf('long')).toEqual([2, 6, 20]);
      expect(await agesOf('plain')).toEqual([2, 6, 20]);
      expect(result.calls).toBe(3 + 2); // the 40-day calls of all three, then short's 6 and 20
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
