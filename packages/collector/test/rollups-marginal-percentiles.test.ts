import path from 'node:path';
import type { CallRecord, Percentiles, SummaryResponse } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { marginalDimension, splitRanges } from '../src/rollups/marginals.js';
import { QuantileSketch } from '../src/rollups/sketch.js';
import {
  planSummary,
  SUMMARY_QUANTILES,
  type SummaryInputRow,
  type SummaryOptions,
  summarize,
} from '../src/rollups/summary.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { hexId, tempDir } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 8, 1);
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function call(startMs: number, model: string, durationMs: number, streamed: boolean): CallRecord {
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    parentSpanId: null,
    projectId: 'default',
    name: 'chat',
    operation: 'chat',
    provider: model.startsWith('claude') ? 'anthropic' : 'openai',
    model,
    responseModel: null,
    responseId: null,
    finishReasons: null,
    serviceName: 'checkout',
    startTime: new Date(startMs).toISOString(),
    endTime: new Date(startMs + durationMs).toISOString(),
    startTimeUnixNano: `${startMs}000000`,
    durationMs,
    ttftMs: streamed ? durationMs / 4 : null,
    inputTokens: 100,
    outputTokens: 20,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.001,
    costSource: 'sdk',
    confidence: null,
    status: 'ok',
    errorType: null,
    input: null,
    output: null,
    sourceDialect: null,
    warnings: [],
    attributes: {},
  };
}

function calls(n: number, seed: number, fromMs: number, spanMs: number): CallRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, () =>
    call(
      fromMs + Math.floor(r() * spanMs),
      MODELS[Math.floor(r() * MODELS.length)]!,
      // Log-normal around 400 ms.
      400 * Math.exp(0.8 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
      r() < 0.5,
    ),
  );
}

/** The exact lower quantile the sketch approximates: rank ⌊q·(n−1)⌋ of the sorted values. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function expectWithinOnePercent(actual: Percentiles | null, values: number[]): void {
  expect(actual).not.toBeNull();
  for (const [name, q] of [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const x = exact(values, q);
    expect(Math.abs(actual![name] - x), name).toBeLessThanOrEqual(0.01 * x);
  }
}

/** The same summary with every stored percentile ignored: sketches merged, as before. */
async function merged(store: SqliteSpanStore, o: SummaryOptions) {
  const plan = planSummary(o);
  const split = splitRanges(plan.ranges);
  const { projectId: _, ...dimensions } = o.filter ?? {};
  const marginal = marginalDimension(o.groupBy, dimensions)!;
  const hours = await store.readMarginalRollups(
    'default',
    split.marginal,
    marginal.dimension,
    marginal.value,
  );
  for (const r of hours) r.latencyPercentiles = undefined;
  const rows: SummaryInputRow[] = hours;
  rows.push(...(await store.readRollups('default', split.full, dimensions)));
  return summarize(rows, o);
}

function comparable(s: SummaryResponse) {
  const round = (x: number) => Math.round(x * 1e9) / 1e9;
  return s.groups.map((g) => ({
    key: g.key,
    points: [g.total, ...g.points].map((p) => ({ ...p, costUsd: round(p.costUsd) })),
  }));
}

describe('stored percentiles of one-dimension rows', () => {
  const tmp = tempDir('pilotlight-marginal-pcts-');
  const file = path.join(tmp.dir, 'pl.db');
  let store: SqliteSpanStore;
  // Ragged at both ends, so the edges come from finer tiers around stored hours.
  const from = START + 17 * 60_000;
  const to = START + 3 * DAY + 4 * HOUR + 41 * 60_000;
  const url = (query: string) => `/api/summary?from=${from}&to=${to}&${query}`;
  const options = (o: Omit<SummaryOptions, 'from' | 'to'>): SummaryOptions => ({
    from,
    to,
    ...o,
    filter: { projectId: 'default', ...o.filter },
  });

  beforeAll(async () => {
    store = openSqliteStore({ path: file, synchronous: 'normal' });
    const all = calls(4000, 11, START, 4 * DAY);
    for (let i = 0; i < all.length; i += 400)
      await store.insertCalls('default', all.slice(i, i + 400));
  });
  afterAll(async () => {
    await store.close();
    tmp.remove();
  });

  it('are exactly the percentiles of the row sketch, as numbers and as JSON text', () => {
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare(
        'SELECT latency_sketch, ttft_sketch, latency_p50, latency_p90, latency_p95, latency_p99, ttft_p50, ttft_p90, ttft_p95, ttft_p99, latency_json, ttft_json, quantiles_ready FROM rollup_marginals',
      )
      .raw(true)
      .all() as unknown[][];
    db.close();
    expect(rows.length).toBeGreaterThan(100);
    for (const v of rows) {
      expect(v[12]).toBe(1);
      for (const [sketchAt, pctAt, jsonAt] of [
        [0, 2, 10],
        [1, 6, 11],
      ] as const) {
        const sketch = QuantileSketch.fromBytes(v[sketchAt] as Uint8Array);
        if (sketch.count === 0) {
          expect(v.slice(pctAt, pctAt + 4)).toEqual([null, null, null, null]);
          expect(v[jsonAt]).toBeNull();
          continue;
        }
        const q = sketch.quantiles(SUMMARY_QUANTILES);
        expect(v.slice(pctAt, pctAt + 4)).toEqual(q);
        expect(JSON.parse(v[jsonAt] as string)).toEqual({
          p50: q[0],
          p90: q[1],
          p95: q[2],
          p99: q[3],
        });
      }
    }
  });

  it('keep each row as its summary point in JSON text, the counters and percentiles as stored', () => {
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare(
        `SELECT bucket_start_ms, calls, errors, input_tokens, output_tokens, cached_input_tokens,
          cost_usd, confidence_sum, confidence_count, latency_sketch, ttft_sketch, point_json
        FROM rollup_marginals`,
      )
      .raw(true)
      .all() as unknown[][];
    db.close();
    expect(rows.length).toBeGreaterThan(100);
    const pct = (bytes: unknown): Percentiles | null => {
      const sketch = QuantileSketch.fromBytes(bytes as Uint8Array);
      if (sketch.count === 0) return null;
      const [p50, p90, p95, p99] = sketch.quantiles(SUMMARY_QUANTILES) as number[];
      return { p50: p50!, p90: p90!, p95: p95!, p99: p99! };
    };
    for (const v of rows) {
      const [startMs, calls, errors, inputTokens, outputTokens, cachedInputTokens, costUsd] =
        v as number[];
      const confidenceSum = v[7] as number;
      const confidenceCount = v[8] as number;
      expect(v[11]).toBe(
        JSON.stringify({
          startMs,
          calls,
          errors,
          errorRate: calls === 0 ? 0 : errors! / calls!,
          inputTokens,
          outputTokens,
          cachedInputTokens,
          costUsd,
          latencyMs: pct(v[9]),
          ttftMs: pct(v[10]),
          meanConfidence: confidenceCount === 0 ? null : confidenceSum / confidenceCount,
        }),
      );
    }
  });

  it('give the same answer as merging the sketches, for hours, days and several hours per interval', async () => {
    const app = createApp({ store });
    for (const [query, o] of [
      ['groupBy=model&interval=1h', { groupBy: 'model', intervalSec: 3600 }],
      ['groupBy=model&interval=2h', { groupBy: 'model', intervalSec: 7200 }],
      ['groupBy=provider&interval=1d', { groupBy: 'provider', intervalSec: 86_400 }],
      ['interval=1h', { intervalSec: 3600 }],
      [
        'groupBy=model&interval=1h&model=gpt-4o',
        { groupBy: 'model', intervalSec: 3600, filter: { model: 'gpt-4o' } },
      ],
    ] as const) {
      const res = await app.request(url(query));
      expect(res.status, query).toBe(200);
      expect(res.headers.get('content-type'), query).toContain('application/json');
      const body = (await res.json()) as SummaryResponse;
      const expected = await merged(store, options(o as Omit<SummaryOptions, 'from' | 'to'>));
      expect(comparable(body), query).toEqual(comparable(expected));
      expect(body.groups.length, query).toBeGreaterThan(0);
    }
  });

  it('follow spans that arrive late into an hour already summarised', async () => {
    const app = createApp({ store });
    const hour = START + 30 * HOUR;
    const inHour = (c: CallRecord) => {
      const ms = Number(c.startTimeUnixNano.slice(0, -6));
      return c.model === 'gpt-4o' && ms >= hour && ms < hour + HOUR;
    };
    const early = calls(4000, 11, START, 4 * DAY).filter(inHour);
    const point = async () => {
      const res = await app.request(
        `/api/summary?from=${hour}&to=${hour + HOUR}&groupBy=model&interval=1h&model=gpt-4o`,
      );
      const body = (await res.json()) as SummaryResponse;
      return body.groups[0]!.points[0]!;
    };
    const before = await point();
    expect(before.calls).toBe(early.length);
    expectWithinOnePercent(
      before.latencyMs,
      early.map((c) => c.durationMs),
    );
    // Late spans, all slow: the hour's upper percentiles must move to them.
    const late = Array.from({ length: early.length }, (_, i) =>
      call(hour + i * 1000, 'gpt-4o', 5000 + i * 10, true),
    );
    await store.insertCalls('default', late);
    const after = await point();
    const all = [...early, ...late];
    expect(after.calls).toBe(all.length);
    expect(after.latencyMs!.p99).toBeGreaterThan(before.latencyMs!.p99 * 2);
    expectWithinOnePercent(
      after.latencyMs,
      all.map((c) => c.durationMs),
    );
    expectWithinOnePercent(
      after.ttftMs,
      all.flatMap((c) => (c.ttftMs === null ? [] : [c.ttftMs])),
    );
  });

  it('are read from the sketches while missing (before the upgrade backfill), then backfilled', async () => {
    const app = createApp({ store });
    const query = url('groupBy=model&interval=1h');
    const expected = comparable((await (await app.request(query)).json()) as SummaryResponse);
    await store.close();
    // Rows as stored before migration 7: no percentiles.
    const raw = new Database(file);
    raw.exec(`UPDATE rollup_marginals SET quantiles_ready = 0, latency_p50 = NULL, latency_p90 = NULL,
      latency_p95 = NULL, latency_p99 = NULL, ttft_p50 = NULL, ttft_p90 = NULL, ttft_p95 = NULL,
      ttft_p99 = NULL, latency_json = NULL, ttft_json = NULL, point_json = NULL
      WHERE bucket_start_ms < ${START + DAY + 7 * HOUR}`);
    raw.close();
    store = openSqliteStore({ path: file, synchronous: 'normal' });
    // No backfill pending (marker absent): the summary merges those rows' sketches instead.
    expect(
      comparable((await (await createApp({ store }).request(query)).json()) as SummaryResponse),
    ).toEqual(expected);
    await store.close();
    const marker = new Database(file);
    marker.exec('INSERT INTO rollup_marginal_quantiles_backfill (pending) VALUES (1)');
    marker.close();
    store = openSqliteStore({ path: file, synchronous: 'normal' });
    const check = new Database(file, { readonly: true });
    expect(
      check.prepare('SELECT COUNT(*) AS n FROM rollup_marginals WHERE quantiles_ready = 0').get(),
    ).toEqual({ n: 0 });
    // The narrow copy the summary reads follows every insert, update (the backfill) and delete.
    const columns =
      'project_id, bucket_sec, dimension, bucket_start_ms, value, calls, cost_usd, point_json, quantiles_ready';
    const mirrored = (): [unknown[], unknown[]] => [
      check.prepare(`SELECT ${columns} FROM rollup_marginals ORDER BY 1, 2, 3, 4, 5`).all(),
      check.prepare(`SELECT ${columns} FROM rollup_marginal_points ORDER BY 1, 2, 3, 4, 5`).all(),
    ];
    const [rows, points] = mirrored();
    expect(rows.length).toBeGreaterThan(100);
    expect(points).toEqual(rows);
    expect(
      comparable((await (await createApp({ store }).request(query)).json()) as SummaryResponse),
    ).toEqual(expected);
    await store.deleteRollupsBefore(START + DAY, 1_000_000);
    const [left, leftPoints] = mirrored();
    expect(left.length).toBeLessThan(rows.length);
    expect(leftPoints).toEqual(left);
    check.close();
  });
});
