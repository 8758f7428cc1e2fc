import type { CallRecord } from '@pilotlight/conventions';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRepriceCommand } from '../src/prices/cli.js';
import { openPostgresPriceStore } from '../src/prices/postgres-override-store.js';
import { createPricer, type Pricer } from '../src/prices/pricer.js';
import { repriceCalls } from '../src/prices/reprice.js';
import { postgresRepriceEngine } from '../src/prices/reprice-postgres.js';
import type { PostgresSpanStore } from '../src/store/postgres/index.js';
import type { JsonSpanSpec } from './helpers.js';
import { openTestStore, TEST_DATABASE_URL } from './postgres-fixture.js';
import {
  call,
  callsBySpan,
  chatSpan,
  ingestInto,
  pricedApp,
  rollupsVsRecount,
  storedCalls,
} from './prices-helpers.js';

const DAY = 86_400_000;
const JAN = Date.UTC(2026, 0, 1);
const FEB_15 = Date.UTC(2026, 1, 15);
const MARCH = Date.UTC(2026, 2, 1);
const APRIL = Date.UTC(2026, 3, 1);

const startMsOf = (c: CallRecord): number => Number(BigInt(c.startTimeUnixNano) / 1_000_000n);

/** gpt-4o by hand: $2.50 / $10 / $1.25 cached before March, the override's $2 / $8 / $0.20 from March. */
function gpt4oCost(c: CallRecord): number {
  const [i, o, k] = startMsOf(c) >= MARCH ? [2, 8, 0.2] : [2.5, 10, 1.25];
  const cached = c.cacheReadInputTokens ?? 0;
  return (((c.inputTokens ?? 0) - cached) * i + cached * k + (c.outputTokens ?? 0) * o) / 1e6;
}

function traffic(fromMs: number, toMs: number, everyMs: number): JsonSpanSpec[] {
  const spans: JsonSpanSpec[] = [];
  for (let t = fromMs; t < toMs; t += everyMs) {
    spans.push(chatSpan('gpt-4o', t, { input: 1000, output: 50, cacheRead: 800 }));
    spans.push(chatSpan('gpt-4o-2024-08-06', t + 1000, { input: 300, output: 120 }));
    spans.push(chatSpan('gpt-4o', t + 2000, { input: 300, output: 120, sdkCostUsd: 0.25 }));
    spans.push(chatSpan('acme-llm', t + 3000, { input: 700, output: 70 }));
  }
  return spans;
}

describe('price overrides and pilotlight reprice on PostgreSQL', () => {
  let store: PostgresSpanStore;
  let schema: string;
  let destroy: () => Promise<void>;
  let pricer: Pricer;
  let app: Hono;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ store, schema, destroy } = await openTestStore());
    env = { PILOTLIGHT_DATABASE_URL: TEST_DATABASE_URL, PILOTLIGHT_DATABASE_SCHEMA: schema };
    pricer = await createPricer({
      store: await openPostgresPriceStore(store.pool, store.schema),
      refreshIntervalMs: 0,
    });
    app = pricedApp(store, pricer);
    for (const project of ['a', 'b']) {
      expect(await ingestInto(app, project, traffic(JAN, APRIL + 10 * DAY, 2 * DAY))).toBe(200);
    }
  });
  afterAll(async () => {
    pricer.close();
    await destroy();
  });

  it('creates its tables once when replicas start together', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresPriceStore(store.pool, store.schema)),
    );
    expect(stores).toHaveLength(4);
  });

  it('prices ingest with the override in effect at each call start, in its project only', async () => {
    const put = await call(app, 'a', 'PUT', '/api/prices', {
      entries: [
        {
          model: 'gpt-4o',
          inputPerMTok: 2,
          outputPerMTok: 8,
          cachedInputPerMTok: 0.2,
          effectiveFrom: '2026-03-01',
        },
      ],
    });
    expect(put.status).toBe(200);
    const spans = [
      chatSpan('gpt-4o', MARCH - 1, { input: 1000, output: 0, cacheRead: 800 }),
      chatSpan('gpt-4o', MARCH, { input: 1000, output: 0, cacheRead: 800 }),
      chatSpan('acme-llm', MARCH, { input: 10, output: 10 }),
    ];
    expect(await ingestInto(app, 'a', spans)).toBe(200);
    expect(await ingestInto(app, 'b', [spans[1]!])).toBe(200);
    const a = await callsBySpan(store, 'a');
    expect(a.get(spans[0]!.spanId)?.costUsd).toBeCloseTo((200 * 2.5 + 800 * 1.25) / 1e6, 15);
    expect(a.get(spans[1]!.spanId)?.costUsd).toBeCloseTo((200 * 2 + 800 * 0.2) / 1e6, 15);
    expect(a.get(spans[2]!.spanId)).toMatchObject({ costUsd: null, costSource: null });
    const b = await callsBySpan(store, 'b');
    expect(b.get(spans[1]!.spanId)?.costUsd).toBeCloseTo((200 * 2.5 + 800 * 1.25) / 1e6, 15);
  });

  it('reaches another replica within a refresh', async () => {
    const replica = await createPricer({
      store: await openPostgresPriceStore(store.pool, store.schema),
      refreshIntervalMs: 0,
    });
    try {
      expect(replica.pricesFor('a').find('gpt-4o', MARCH)?.inputPerMTok).toBe(2);
      await call(app, 'a', 'PUT', '/api/prices', {
        entries: [
          {
            model: 'acme-llm',
            provider: 'acme',
            inputPerMTok: 1,
            outputPerMTok: 4,
            effectiveFrom: '2026-01-01',
          },
        ],
      });
      expect(replica.pricesFor('a').find('acme-llm', MARCH)).toBeNull();
      await replica.refresh();
      expect(replica.pricesFor('a').find('acme-llm', MARCH)?.inputPerMTok).toBe(1);
      expect(replica.pricesFor('b').find('acme-llm', MARCH)).toBeNull();
    } finally {
      replica.close();
    }
  });

  it('re-prices the calls in range only, keeps SDK costs, and keeps rollups equal to a recount', async () => {
    const before = await callsBySpan(store, 'a');
    const beforeB = await callsBySpan(store, 'b');
    let out = '';
    let err = '';
    const code = await runRepriceCommand(
      ['--from', '2026-02-15', '--to', '2026-04-01', '--project', 'a'],
      env,
      {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (err += t) },
      },
      { pauseMs: 0 },
    );
    expect(code, err).toBe(0);
    const after = await callsBySpan(store, 'a');
    let inRange = 0;
    let changed = 0;
    for (const [spanId, old] of before) {
      const now = after.get(spanId)!;
      const startMs = startMsOf(old);
      if (old.costSource === 'sdk' || startMs < FEB_15 || startMs >= APRIL) {
        expect(now).toEqual(old);
        continue;
      }
      inRange++;
      if (now.costUsd !== old.costUsd) changed++;
      if (old.model === 'acme-llm') {
        expect(now.costUsd).toBeCloseTo(
          ((old.inputTokens ?? 0) + 4 * (old.outputTokens ?? 0)) / 1e6,
          15,
        );
      } else {
        expect(now.costSource).toBe('collector');
        expect(now.costUsd).toBeCloseTo(gpt4oCost(old), 15);
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(out).toMatch(new RegExp(`^re-priced ${changed} of ${inRange} calls in 1 project `));
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/^reprice: 100% /);
    const a = await rollupsVsRecount(store, 'a');
    expect(a.stored).toEqual(a.recount);
    expect(await callsBySpan(store, 'b')).toEqual(beforeB);
    const b = await rollupsVsRecount(store, 'b');
    expect(b.stored).toEqual(b.recount);
  });

  it('loses no rollup update while ingest writes the same rollup rows', async () => {
    await call(app, 'a', 'PUT', '/api/prices', {
      entries: [
        { model: 'gpt-4o', inputPerMTok: 3, outputPerMTok: 12, effectiveFrom: '2026-01-01' },
      ],
    });
    const engine = await postgresRepriceEngine({ pool: store.pool, schema: store.schema });
    // New calls in the same minutes as the stored ones: ingest and re-pricing both write those rows.
    const extra = (await storedCalls(store, 'a')).map((c) =>
      chatSpan('gpt-4o', startMsOf(c) + 10, { input: 10, output: 1 }),
    );
    let ingested = 0;
    const ingest = (async () => {
      for (let i = 0; i < extra.length; i += 25) {
        expect(await ingestInto(app, 'a', extra.slice(i, i + 25))).toBe(200);
        ingested++;
      }
    })();
    let batches = 0;
    let ingestedAtFirstBatch = -1;
    const result = await repriceCalls(engine, {
      fromNs: BigInt(JAN) * 1_000_000n,
      toNs: BigInt(APRIL + 20 * DAY) * 1_000_000n,
      projectId: 'a',
      batchSize: 10,
      pauseMs: 0,
      onProgress: () => {
        batches++;
        if (batches === 2) ingestedAtFirstBatch = ingested;
      },
    });
    // Ingest requests completed while the run was going: the two did overlap.
    expect(ingested).toBeGreaterThan(ingestedAtFirstBatch);
    await ingest;
    await engine.close();
    expect(batches).toBeGreaterThan(5);
    expect(result.repriced).toBeGreaterThan(0);
    // Every gpt-4o call now at the price of its time: the new January override ($3 / $12, no
    // cached rate: cache reads at $3) until March, the March one ($2 / $8 / $0.20) after;
    // calls ingested after the run passed them were priced so by ingest.
    for (const c of await storedCalls(store, 'a')) {
      if (c.model === 'acme-llm' || c.costSource === 'sdk') continue;
      const cached = c.cacheReadInputTokens ?? 0;
      const expected =
        startMsOf(c) >= MARCH
          ? gpt4oCost(c)
          : (((c.inputTokens ?? 0) - cached) * 3 + cached * 3 + (c.outputTokens ?? 0) * 12) / 1e6;
      expect(c.costUsd).toBeCloseTo(expected, 15);
    }
    const a = await rollupsVsRecount(store, 'a');
    expect(a.stored).toEqual(a.recount);
  }, 60_000);
});
