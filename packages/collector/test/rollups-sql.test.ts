/**
 * The proposed rollup tables in real databases: SQLite (better-sqlite3, a temp file) and
 * PostgreSQL (the local test database, a schema of its own). Rows written batch by batch
 * through the upsert recipes must summarise exactly like one in-memory rollup of every call.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mergeStoredRollupRow,
  RollupBatch,
  type RollupCallInput,
  rollupKey,
  type StoredRollupRow,
  toStoredRollupRow,
} from '../src/rollups/rollup.js';
import {
  mergeSketchBytes,
  type RollupSqlRow,
  rollupDeleteExpiredQuery,
  rollupLockSql,
  rollupParams,
  rollupSelectByKeysQuery,
  rollupSelectQuery,
  rollupTableSql,
  rollupUpsertSql,
  SKETCH_MERGE_FUNCTION,
  storedRollupRowFromSql,
  storedRollupRowFromSqlValues,
} from '../src/rollups/sql.js';
import {
  planSummary,
  type Summary,
  type SummaryOptions,
  summarize,
} from '../src/rollups/summary.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const DATABASE_URL =
  process.env.PILOTLIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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

/** Time-ordered traffic, as ingest sees it: 2 projects, 3 models, 2 services over 2 days. */
function traffic(count: number): RollupCallInput[] {
  const r = rng(99);
  const models = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'];
  return Array.from({ length: count }, (_, i) => {
    const model = models[Math.floor(r() * 3)]!;
    const normal = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const durationMs = 600 * Math.exp(0.7 * normal);
    const startMs = T0 + Math.floor((i / count) * 2 * DAY);
    return {
      projectId: r() < 0.8 ? 'shop' : 'lab',
      serviceName: r() < 0.5 ? 'checkout' : null,
      provider: model.startsWith('claude') ? 'anthropic' : 'openai',
      model,
      responseModel: null,
      operation: 'chat',
      startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`,
      durationMs,
      ttftMs: r() < 0.5 ? durationMs / 4 : null,
      inputTokens: Math.floor(r() * 1000),
      outputTokens: Math.floor(r() * 200),
      cacheReadInputTokens: null,
      costUsd: r() * 0.01,
      confidence: r() < 0.5 ? r() : null,
      status: r() < 0.03 ? 'error' : 'ok',
    };
  });
}

const RECORDS = traffic(12_000);
const BATCH = 100;

const QUERIES: SummaryOptions[] = [
  { from: T0, to: T0 + 2 * DAY, groupBy: 'model', intervalSec: 3600 },
  { from: T0 + 5 * HOUR + 7 * 60_000, to: T0 + 30 * HOUR, groupBy: 'service', intervalSec: 300 },
  { from: T0 + 1000, to: T0 + 2 * DAY - 1000, groupBy: 'provider' },
  { from: T0, to: T0 + 2 * DAY, intervalSec: 86_400, filter: { model: 'gpt-4o' } },
];

/** The reference: every call in one in-memory batch, summarised for one project. */
function expected(projectId: string, options: SummaryOptions): Summary {
  const batch = new RollupBatch();
  for (const r of RECORDS) if (r.projectId === projectId) batch.add(r);
  return summarize(batch.rows(), options);
}

/** Costs were summed in a different order: compare them approximately, the rest exactly. */
function expectSameSummary(actual: Summary, want: Summary): void {
  const strip = (s: Summary) =>
    JSON.parse(
      JSON.stringify(s, (k, v) => (k === 'costUsd' || k === 'meanConfidence' ? undefined : v)),
    );
  expect(strip(actual)).toEqual(strip(want));
  actual.groups.forEach((g, i) => {
    const w = want.groups[i]!;
    expect(g.total.costUsd).toBeCloseTo(w.total.costUsd, 9);
    g.points.forEach((p, j) => {
      expect(p.costUsd).toBeCloseTo(w.points[j]!.costUsd, 9);
      if (w.points[j]!.meanConfidence === null) expect(p.meanConfidence).toBeNull();
      else expect(p.meanConfidence).toBeCloseTo(w.points[j]!.meanConfidence!, 9);
    });
  });
}

describe('rollup SQL text', () => {
  it('refuses table names that are not plain identifiers', () => {
    expect(() => rollupTableSql('sqlite', 'rollups; DROP TABLE spans')).toThrow(RangeError);
    expect(() => rollupSelectQuery('postgres', 'p', [], {}, 'a.b.c')).toThrow(RangeError);
    expect(rollupTableSql('postgres', 'tenant_1.rollups')).toContain('tenant_1.rollups');
  });

  it('numbers PostgreSQL placeholders in parameter order', () => {
    const { sql, params } = rollupSelectQuery(
      'postgres',
      'shop',
      [
        { bucketSec: 60, fromMs: 1, toMs: 2 },
        { bucketSec: 3600, fromMs: 3, toMs: 4 },
      ],
      { model: 'gpt-4o' },
    );
    expect(params).toEqual(['shop', 60, 1, 2, 3600, 3, 4, 'gpt-4o']);
    expect(sql).toContain(
      'project_id = $1 AND ((bucket_sec = $2 AND bucket_start_ms >= $3 AND bucket_start_ms < $4) OR (bucket_sec = $5 AND bucket_start_ms >= $6 AND bucket_start_ms < $7)) AND model = $8',
    );
    expect(rollupUpsertSql('postgres', 'rollups', 2)).toContain('$18, $19');
  });
});

describe('rollup tables in SQLite', () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pilotlight-rollups-'));
    db = new Database(join(dir, 'rollups.db'));
    db.pragma('journal_mode = WAL');
    db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, (a: unknown, b: unknown) =>
      mergeSketchBytes(a as Uint8Array, b as Uint8Array),
    );
    db.exec(rollupTableSql('sqlite'));
    const upsert = db.prepare(rollupUpsertSql('sqlite'));
    const writeBatch = db.transaction((rows: StoredRollupRow[]) => {
      for (const row of rows) upsert.run(...rollupParams(row));
    });
    for (let i = 0; i < RECORDS.length; i += BATCH) {
      const batch = new RollupBatch();
      for (const r of RECORDS.slice(i, i + BATCH)) batch.add(r);
      writeBatch([...batch.rows()].map(toStoredRollupRow));
    }
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [i, options] of QUERIES.entries()) {
    it(`summarises the stored rows exactly like one in-memory rollup (query ${i + 1})`, () => {
      for (const project of ['shop', 'lab']) {
        const plan = planSummary(options);
        const { sql, params } = rollupSelectQuery('sqlite', project, plan.ranges, options.filter);
        const rows = (db.prepare(sql).all(...params) as RollupSqlRow[]).map(storedRollupRowFromSql);
        const rawRows = (
          db
            .prepare(sql)
            .raw()
            .all(...params) as unknown[][]
        ).map(storedRollupRowFromSqlValues);
        expect(rawRows).toEqual(rows);
        const summary = summarize(rows, options);
        // Only the plan's rows were read: the query does the tier selection, not summarize.
        expect(summary.rowsUsed).toBe(rows.length);
        expect(summary.groups.length).toBeGreaterThan(0);
        expectSameSummary(summary, expected(project, options));
      }
    });
  }

  it('merged calls of many batches into one row per key and bucket', () => {
    const minuteRows = db
      .prepare('SELECT COUNT(*) AS n, SUM(calls) AS calls FROM rollups WHERE bucket_sec = 60')
      .get() as { n: number; calls: number };
    expect(minuteRows.calls).toBe(RECORDS.length);
    const days = db
      .prepare('SELECT SUM(calls) AS calls FROM rollups WHERE bucket_sec = 86400')
      .get() as { calls: number };
    expect(days.calls).toBe(RECORDS.length);
    // A day row is the merge of 12,000/2 days of calls, not one row per batch.
    const dayCount = db
      .prepare('SELECT COUNT(*) AS n FROM rollups WHERE bucket_sec = 86400')
      .get() as { n: number };
    expect(dayCount.n).toBeLessThanOrEqual(2 * 2 * 3 * 2); // days × projects × models × services
  });

  it('deletes expired rows of one project and tier in small batches, nothing else', () => {
    const count = (where: string, ...params: unknown[]) =>
      (
        db.prepare(`SELECT COUNT(*) AS n FROM rollups WHERE ${where}`).get(...params) as {
          n: number;
        }
      ).n;
    const cutoff = T0 + DAY + 3 * HOUR;
    const expired = count("project_id = 'lab' AND bucket_sec = 60 AND bucket_start_ms < ?", cutoff);
    const others = count(
      "NOT (project_id = 'lab' AND bucket_sec = 60 AND bucket_start_ms < ?)",
      cutoff,
    );
    expect(expired).toBeGreaterThan(100);
    const { sql, params } = rollupDeleteExpiredQuery('sqlite', 'lab', 60, cutoff, 100);
    const del = db.prepare(sql);
    let rounds = 0;
    for (let changes = 100; changes === 100; rounds++) changes = del.run(...params).changes;
    expect(rounds).toBe(Math.floor(expired / 100) + 1);
    expect(count("project_id = 'lab' AND bucket_sec = 60 AND bucket_start_ms < ?", cutoff)).toBe(0);
    expect(
      count("NOT (project_id = 'lab' AND bucket_sec = 60 AND bucket_start_ms < ?)", cutoff),
    ).toBe(others);
  });

  it('reads rows back by exact keys', () => {
    const { sql, params } = rollupSelectByKeysQuery('sqlite', [
      {
        projectId: 'shop',
        bucketSec: 86_400,
        bucketStartMs: T0,
        service: 'checkout',
        provider: 'openai',
        model: 'gpt-4o',
        operation: 'chat',
      },
      {
        projectId: 'shop',
        bucketSec: 86_400,
        bucketStartMs: T0,
        service: 'nope',
        provider: 'openai',
        model: 'gpt-4o',
        operation: 'chat',
      },
    ]);
    const rows = (db.prepare(sql).all(...params) as RollupSqlRow[]).map(storedRollupRowFromSql);
    expect(rows.map((r) => [r.service, r.model, r.bucketStartMs])).toEqual([
      ['checkout', 'gpt-4o', T0],
    ]);
  });
});

describe('rollup tables in PostgreSQL', () => {
  const schema = `pl_rollups_${randomBytes(5).toString('hex')}`;
  const table = `${schema}.rollups`;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });

  /** The PostgreSQL recipe: advisory lock per project, read by keys, merge, overwrite. */
  async function writeBatch(rows: StoredRollupRow[]): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Sorted: two batches taking the same locks in different orders would deadlock.
      for (const project of [...new Set(rows.map((r) => r.projectId))].sort()) {
        await client.query(rollupLockSql(table), [project]);
      }
      const { sql, params } = rollupSelectByKeysQuery('postgres', rows, table);
      const existing = new Map(
        (await client.query<RollupSqlRow>(sql, params)).rows
          .map(storedRollupRowFromSql)
          .map((r) => [rollupKey(r), r] as const),
      );
      const merged = rows.map((row) => {
        const old = existing.get(rollupKey(row));
        return old ? mergeStoredRollupRow(old, row) : row;
      });
      await client.query(
        rollupUpsertSql('postgres', table, merged.length),
        merged.flatMap(rollupParams),
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(rollupTableSql('postgres', table));
    // Ingest with 4 concurrent writers: the lock must keep every call.
    const batches: StoredRollupRow[][] = [];
    for (let i = 0; i < RECORDS.length; i += BATCH) {
      const batch = new RollupBatch();
      for (const r of RECORDS.slice(i, i + BATCH)) batch.add(r);
      batches.push([...batch.rows()].map(toStoredRollupRow));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches.length) await writeBatch(batches[next++]!);
      }),
    );
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  for (const [i, options] of QUERIES.entries()) {
    it(`summarises the stored rows exactly like one in-memory rollup (query ${i + 1})`, async () => {
      for (const project of ['shop', 'lab']) {
        const plan = planSummary(options);
        const { sql, params } = rollupSelectQuery(
          'postgres',
          project,
          plan.ranges,
          options.filter,
          table,
        );
        const rows = (await pool.query<RollupSqlRow>(sql, params)).rows.map(storedRollupRowFromSql);
        expectSameSummary(summarize(rows, options), expected(project, options));
      }
    });
  }
});
