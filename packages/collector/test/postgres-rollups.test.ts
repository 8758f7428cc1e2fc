import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresSpanStore } from '../src/store/postgres/index.js';
import { openTestStore, recountRollups, storedRollups } from './postgres-fixture.js';
import { makeRecord, nanosAgo } from './store-contract.js';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5'];
const SERVICES = ['checkout', 'search'];

/** A varied GenAI call: model, service, status, tokens, cost, confidence and TTFT differ. */
function call(i: number) {
  return makeRecord({
    startNs: nanosAgo((i * 7) % 180, BigInt(i)),
    model: MODELS[i % MODELS.length]!,
    provider: i % 3 === 2 ? 'anthropic' : 'openai',
    serviceName: SERVICES[i % SERVICES.length]!,
    status: i % 5 === 0 ? 'error' : 'ok',
    errorType: i % 5 === 0 ? 'RateLimitError' : null,
    inputTokens: 10 + i,
    outputTokens: i % 4 === 0 ? null : 3 * i,
    cacheReadInputTokens: i % 3,
    costUsd: i % 6 === 0 ? null : 0.0001 * (i + 1),
    confidence: i % 2 === 0 ? (i % 10) / 10 : null,
    ttftMs: i % 3 === 0 ? 50 + i : null,
    durationMs: 100 + ((i * 37) % 900) + 0.25,
  });
}

describe('PostgreSQL rollups', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('equal an exact recount of the stored calls after concurrent writers, resends and a rejected batch', async () => {
    const first = await openTestStore({ poolSize: 3 });
    cleanups.push(first.destroy);
    const replicas: PostgresSpanStore[] = [first.store];
    for (let i = 0; i < 2; i++) {
      const other = await openTestStore({ poolSize: 3, schema: first.schema });
      cleanups.push(() => other.store.close());
      replicas.push(other.store);
    }
    const calls = Array.from({ length: 300 }, (_, i) => call(i));
    const plainSpans = Array.from({ length: 20 }, () =>
      makeRecord({ operation: null, model: null, provider: null, responseModel: null }),
    );
    const batches: (typeof calls)[] = [];
    for (let i = 0; i < calls.length; i += 25) batches.push(calls.slice(i, i + 25));
    batches.push(plainSpans);

    // Every batch goes to every replica at once (concurrent resends), plus overlapping mixes.
    await Promise.all(
      batches.flatMap((batch, b) => [
        ...replicas.map((r) => r.insertCalls('p1', batch)),
        replicas[b % 3]!.insertCalls('p1', [
          ...batch.slice(0, 5),
          ...(batches[b + 1] ?? []).slice(0, 5),
        ]),
      ]),
    );
    // A batch that fails is rolled back with its rollups.
    await expect(
      replicas[1]!.insertCalls('p1', [call(1000), { ...call(1001), startTimeUnixNano: 'bad' }]),
    ).rejects.toThrow();

    const stored = await storedRollups(replicas[2]!, 'p1');
    const recount = await recountRollups(replicas[0]!, 'p1');
    expect(recount.length).toBeGreaterThan(0);
    expect(stored).toEqual(recount);
    // 300 calls in each of the four tiers; plain spans are not calls.
    const minuteTier = stored.filter((r) => r.key.startsWith('p1|60|'));
    expect(minuteTier.reduce((s, r) => s + r.calls, 0)).toBe(300);
    expect(minuteTier.reduce((s, r) => s + r.errors, 0)).toBe(60);
  });

  it('keeps rollups per project and filters them by dimension', async () => {
    const t = await openTestStore();
    cleanups.push(t.destroy);
    await t.store.insertCalls('a', [call(1), call(2), call(3)]);
    await t.store.insertCalls('b', [call(4)]);
    const ranges = [{ bucketSec: 86_400, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }];
    const a = await t.store.readRollups('a', ranges);
    expect(a.reduce((s, r) => s + r.calls, 0)).toBe(3);
    expect(a.every((r) => r.projectId === 'a')).toBe(true);
    const b = await t.store.readRollups('b', ranges);
    expect(b.map((r) => [r.model, r.calls])).toEqual([[MODELS[4 % 3], 1]]);
    const onlyGpt4o = await t.store.readRollups('a', ranges, { model: 'gpt-4o' });
    expect(onlyGpt4o.reduce((s, r) => s + r.calls, 0)).toBe(1);
    expect(await storedRollups(t.store, 'a')).toEqual(await recountRollups(t.store, 'a'));
  });
});
