import { afterEach, describe, expect, it } from 'vitest';
import { startRetention } from '../src/jobs/retention.js';
import type { PostgresSpanStore } from '../src/store/postgres/index.js';
import { adminQuery, openTestStore, recountRollups, storedRollups } from './postgres-fixture.js';
import { makeRecord } from './store-contract.js';

const DAY_MS = 86_400_000;
// A fixed "today" (2026-06-15 UTC) so partitions and cutoffs are known.
const TODAY = Date.UTC(2026, 5, 15);
const at = (dayOffset: number, msIntoDay = 3_600_000): bigint =>
  BigInt(TODAY + dayOffset * DAY_MS + msIntoDay) * 1_000_000n;

describe('PostgreSQL read side', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('keeps each model with its first and last sighting across replicas, and its metadata', async () => {
    const a = await openTestStore();
    cleanups.push(a.destroy);
    const b = await openTestStore({ schema: a.schema });
    cleanups.push(() => b.store.close());
    const t0 = Date.UTC(2026, 10, 20, 12);
    const call = (model: string, provider: string, minutes: number) =>
      makeRecord({ model, provider, startNs: BigInt(t0 + minutes * 60_000) * 1_000_000n });
    const early = call('gpt-4o', 'openai', 0);
    const late = call('gpt-4o', 'azure.openai', 90);
    const middle = call('gpt-4o', 'openai', 30);
    const other = call('claude-sonnet-4-5', 'anthropic', 10);
    await Promise.all([
      a.store.insertCalls('p1', [middle, other]),
      b.store.insertCalls('p1', [late]),
      a.store.insertCalls('p1', [early]),
      b.store.insertCalls('p2', [call('Zeta-upper', 'x', 0)]),
    ]);
    await b.store.insertCalls('p1', [late, early]); // resent: changes nothing

    const models = await b.store.listModels('p1');
    expect(models).toEqual([
      {
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        firstSeenMs: t0 + 10 * 60_000,
        lastSeenMs: t0 + 10 * 60_000,
        owner: null,
        purpose: null,
        reviewedAt: null,
        onFailure: null,
      },
      {
        model: 'gpt-4o',
        provider: 'azure.openai',
        firstSeenMs: t0,
        lastSeenMs: t0 + 90 * 60_000,
        owner: null,
        purpose: null,
        reviewedAt: null,
        onFailure: null,
      },
    ]);
    const updated = await a.store.updateModelMetadata('p1', 'gpt-4o', {
      owner: 'ml-platform',
      purpose: 'support replies',
    });
    expect(updated).toMatchObject({
      model: 'gpt-4o',
      owner: 'ml-platform',
      purpose: 'support replies',
      reviewedAt: null,
    });
    const again = await b.store.updateModelMetadata('p1', 'gpt-4o', {
      owner: null,
      reviewedAt: '2026-11-01',
    });
    expect(again).toMatchObject({
      owner: null,
      purpose: 'support replies',
      reviewedAt: '2026-11-01',
    });
    expect(await a.store.updateModelMetadata('p1', 'never-seen', { owner: 'x' })).toBeNull();
    expect(await a.store.updateModelMetadata('p2', 'gpt-4o', { owner: 'x' })).toBeNull();
    expect((await a.store.listModels('p2')).map((m) => m.model)).toEqual(['Zeta-upper']);
  });

  it('runs the retention job: drops old day partitions, deletes old rows and rollups, keeps the rest', async () => {
    const t = await openTestStore({
      now: () => TODAY,
      partitionPastDays: 7,
      partitionFutureDays: 1,
    });
    cleanups.push(t.destroy);
    const store: PostgresSpanStore = t.store;
    const spans = [-20, -9, -6, -5, -5, -4, -1, 0].map((d, i) =>
      makeRecord({ startNs: at(d, 3_600_000 + i), name: `day ${d}` }),
    );
    await store.insertCalls('p1', spans.slice(0, 5));
    await store.insertCalls('p2', spans.slice(5));
    const partitionsBefore = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = '"${t.schema}".calls'::regclass`,
    );

    // Keep 4 days: the cutoff falls inside day -4, at 00:00 of TODAY - 4 days.
    const job = startRetention(store, {
      callRetentionDays: 4,
      rollupRetentionDays: 4,
      batchSize: 2,
      now: () => TODAY,
      intervalMs: 3_600_000,
    });
    cleanups.push(() => job.stop());
    const result = await job.runOnce();
    expect(result.calls).toBe(5); // days -20 and -9 (default partition), -6 and -5 ×2 (dropped partitions)
    expect(result.rollups).toBeGreaterThan(0);

    const left = await store.listCalls('p2', { limit: 10 });
    expect(left.data.map((r) => r.name)).toEqual(['day 0', 'day -1', 'day -4']);
    expect((await store.listCalls('p1', { limit: 10 })).data).toEqual([]);
    const partitionsAfter = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = '"${t.schema}".calls'::regclass`,
    );
    expect(Number(partitionsBefore.rows[0]!.n) - Number(partitionsAfter.rows[0]!.n)).toBe(2);
    // The rollups left are exactly those of the calls left (every tier's bucket after the cutoff).
    const cutoffMs = TODAY - 4 * DAY_MS;
    const rollups = await storedRollups(store, 'p2');
    expect(rollups.every((r) => Number(r.key.split('|')[2]) >= cutoffMs)).toBe(true);
    expect(rollups).toEqual(await recountRollups(store, 'p2'));
    expect(await storedRollups(store, 'p1')).toEqual([]);
    expect(await job.runOnce()).toMatchObject({ calls: 0, rollups: 0 });
  });

  it('reports its size in bytes', async () => {
    const t = await openTestStore();
    cleanups.push(t.destroy);
    expect(t.store.sizeBytes()).toBeGreaterThan(0);
    await t.store.close();
    expect(t.store.sizeBytes()).toBe(0);
  });
});
