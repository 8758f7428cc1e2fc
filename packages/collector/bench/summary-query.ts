/**
 * `GET /api/summary` latency over stores of 100 thousand, 1 million and 10 million calls:
 * a 30-day range grouped by model at 1-hour intervals (the dashboard's month view).
 *
 * Seeding: synthetic calls (6 models × 2 services × 2 operations, log-normal latencies,
 * half streamed, spread evenly over 30 days) are rolled up with the same `RollupBatch`,
 * one-dimension rows (`marginalRows`) and SQL upserts the ingest transaction uses, in 10,000-call batches, into a real SQLite
 * file opened by `openSqliteStore`. The calls table itself is left empty: summaries never
 * read it, and writing 10 million raw rows would only slow the seeding.
 *
 * Besides the HTTP timing (which reads the one-dimension rows of the hour tier with their
 * stored percentiles, the day rows' sketches for the totals, and the full rows of the
 * ragged edges), the same summary is computed in-process (read + merge + JSON) two other
 * ways on the same file, interleaved: as before the stored percentiles (every hour row's
 * sketches read and merged, totals merged from them), and from the full rows only (one
 * primary-key range scan per planned range), as before the one-dimension rows.
 *
 * Run: `npx tsx --conditions=@pilotlight/source bench/summary-query.ts [maxCalls]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createApp, openSqliteStore } from '../src/index.js';
import {
  marginalParams,
  marginalRows,
  marginalUpsertSql,
  POINT_JSON_FUNCTION,
  SKETCH_PERCENTILES_JSON_FUNCTION,
  SKETCH_QUANTILE_FUNCTION,
  splitRanges,
  sqliteSketchFunctions,
} from '../src/rollups/marginals.js';
import { RollupBatch, type RollupCallInput, toStoredRollupRow } from '../src/rollups/rollup.js';
import { rollupParams, rollupUpsertSql, SKETCH_MERGE_FUNCTION } from '../src/rollups/sql.js';
import {
  planSummary,
  type SummaryInputRow,
  type SummaryOptions,
  summarize,
} from '../src/rollups/summary.js';

const DAY = 86_400_000;
const END = Date.UTC(2026, 9, 1);
const START = END - 30 * DAY;
const MODELS = [
  'gpt-4o-mini',
  'gpt-4o',
  'o3-mini',
  'claude-sonnet-4',
  'claude-haiku-4',
  'gemini-2.5-flash',
];
const QUERIES = 40;

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

function seed(dbPath: string, calls: number): { seconds: number; rows: number } {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const fns = sqliteSketchFunctions();
  db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, fns.merge);
  db.function(SKETCH_QUANTILE_FUNCTION, { deterministic: true }, fns.quantile);
  db.function(SKETCH_PERCENTILES_JSON_FUNCTION, { deterministic: true }, fns.percentilesJson);
  db.function(POINT_JSON_FUNCTION, { deterministic: true }, fns.pointJson);
  const upsert = db.prepare(rollupUpsertSql('sqlite'));
  const r = rng(calls);
  const t0 = performance.now();
  const BATCH = 10_000;
  const upsertMarginal = db.prepare(marginalUpsertSql());
  const write = db.transaction((batch: RollupBatch) => {
    for (const row of batch.rows()) upsert.run(rollupParams(toStoredRollupRow(row)));
    for (const row of marginalRows(batch.rows()))
      upsertMarginal.run(marginalParams(row, row.latencyMs.toBytes(), row.ttftMs.toBytes()));
  });
  for (let i = 0; i < calls; i += BATCH) {
    const batch = new RollupBatch();
    for (let j = i; j < Math.min(calls, i + BATCH); j++) {
      const model = MODELS[Math.floor(r() * MODELS.length)]!;
      const normal = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      const durationMs = 400 * Math.exp(0.8 * normal);
      const startMs = START + Math.floor((j / calls) * 30 * DAY);
      const call: RollupCallInput = {
        projectId: 'default',
        serviceName: r() < 0.5 ? 'checkout' : 'search',
        provider: model.startsWith('claude')
          ? 'anthropic'
          : model.startsWith('gemini')
            ? 'gcp.gemini'
            : 'openai',
        model,
        responseModel: null,
        operation: r() < 0.9 ? 'chat' : 'embeddings',
        startTimeUnixNano: `${startMs}000000`,
        durationMs,
        ttftMs: r() < 0.5 ? durationMs / 4 : null,
        inputTokens: Math.floor(r() * 2000),
        outputTokens: Math.floor(r() * 400),
        cacheReadInputTokens: null,
        costUsd: r() * 0.01,
        confidence: r() < 0.3 ? r() : null,
        status: r() < 0.05 ? 'error' : 'ok',
      };
      batch.add(call);
    }
    write(batch);
  }
  const rows = (db.prepare('SELECT COUNT(*) AS n FROM rollups').get() as { n: number }).n;
  db.close();
  return { seconds: (performance.now() - t0) / 1000, rows };
}

async function main(): Promise<void> {
  const max = Number(process.argv[2] ?? 10_000_000);
  const sizes = [100_000, 1_000_000, 10_000_000].filter((n) => n <= max);
  console.log(
    `summary query: 30 days, groupBy=model, interval=1h; ${QUERIES} queries after 5 warm-ups`,
  );
  console.log(
    'calls       rollup rows  seed s   p50 ms  p95 ms  max ms  rows used | in-process p50/p95: hour rows merged (before), full rows',
  );
  for (const calls of sizes) {
    const dir = mkdtempSync(path.join(tmpdir(), 'pilotlight-summary-bench-'));
    try {
      const dbPath = path.join(dir, 'pilotlight.db');
      // The store creates the schema (migrations) first, as the collector would.
      await openSqliteStore({ path: dbPath }).close();
      const seeded = seed(dbPath, calls);
      const store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
      const app = createApp({ store });
      const url = `/api/summary?from=${START}&to=${END}&groupBy=model&interval=1h`;
      let rowsUsed = 0;
      const times: number[] = [];
      for (let i = 0; i < QUERIES + 5; i++) {
        const t = performance.now();
        const res = await app.request(url);
        const bytes = await res.arrayBuffer();
        // The server's time: until the whole response body exists. Parsing it (~10 ms for
        // 1.8 MB) is the client's, and happens after the clock stops.
        const ms = performance.now() - t;
        if (i >= 5) times.push(ms);
        const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
          rowsUsed: number;
          groups: { total: { calls: number } }[];
        };
        rowsUsed = body.rowsUsed;
        const total = body.groups.reduce((s, g) => s + g.total.calls, 0);
        if (total !== calls) throw new Error(`summary counted ${total} calls, seeded ${calls}`);
      }
      // In-process, interleaved: the hour rows' sketches merged as before the stored
      // percentiles (totals merged from them too), and the full rows only.
      const options: SummaryOptions = { from: START, to: END, groupBy: 'model', intervalSec: 3600 };
      const plan = planSummary(options);
      const split = splitRanges(plan.ranges);
      const merged: number[] = [];
      const fulls: number[] = [];
      for (let i = 0; i < QUERIES + 5; i++) {
        let t = performance.now();
        const rows: SummaryInputRow[] = await store.readMarginalRollups(
          'default',
          split.marginal,
          'model',
          undefined,
        );
        for (const r of rows) if ('ttftPercentiles' in r) r.latencyPercentiles = undefined;
        rows.push(...(await store.readRollups('default', split.full, {})));
        JSON.stringify(summarize(rows, options));
        if (i >= 5) merged.push(performance.now() - t);
        t = performance.now();
        JSON.stringify(summarize(await store.readRollups('default', plan.ranges, {}), options));
        if (i >= 5) fulls.push(performance.now() - t);
      }
      const pct = (xs: number[], p: number) => {
        const s = [...xs].sort((a, b) => a - b);
        return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!.toFixed(0);
      };
      times.sort((a, b) => a - b);
      const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
      console.log(
        `${String(calls).padEnd(11)} ${String(seeded.rows).padEnd(12)} ${seeded.seconds.toFixed(1).padStart(6)}  ${q(0.5).toFixed(1).padStart(6)}  ${q(0.95).toFixed(1).padStart(6)}  ${times.at(-1)!.toFixed(1).padStart(6)}  ${rowsUsed} | ${pct(merged, 0.5)}/${pct(merged, 0.95)} ms, ${pct(fulls, 0.5)}/${pct(fulls, 0.95)} ms`,
      );
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
