import type { CallRecord } from '@pilotlight/conventions';
import type pg from 'pg';
import {
  mergeStoredRollupRow,
  RollupBatch,
  type StoredRollupRow,
  toStoredRollupRow,
} from '../../rollups/rollup.js';
import {
  type RollupSqlRow,
  rollupLockSql,
  rollupParams,
  rollupSelectByKeysQuery,
  rollupSelectQuery,
  rollupUpsertSql,
  storedRollupRowFromSql,
} from '../../rollups/sql.js';
import type { RollupRange, SummaryFilter } from '../../rollups/summary.js';

/** Rows per upsert or keyed select statement: 17 (or 7) parameters each, well under 65 535. */
const ROWS_PER_STATEMENT = 1_000;

const keyOf = (r: StoredRollupRow): string =>
  JSON.stringify([
    r.projectId,
    r.bucketSec,
    r.bucketStartMs,
    r.service,
    r.provider,
    r.model,
    r.operation,
  ]);

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Adds newly stored calls to the rollups, inside the caller's ingest transaction, so a
 * committed call is counted exactly once and a rolled-back batch not at all.
 *
 * Concurrent writers (several replicas) never lose an update: sketches cannot be merged
 * in SQL, so each writer reads, merges and writes back its rows under a
 * transaction-level advisory lock of the project (held to commit). Only the rollup step
 * queues; the calls insert before it runs in parallel.
 */
export async function writeRollups(
  client: pg.ClientBase,
  projectId: string,
  records: readonly CallRecord[],
): Promise<void> {
  const batch = new RollupBatch();
  for (const r of records) batch.add(r.projectId === projectId ? r : { ...r, projectId });
  if (batch.size === 0) return;
  const deltas = [...batch.rows()];
  await client.query(rollupLockSql(), [projectId]);
  const existing = new Map<string, StoredRollupRow>();
  for (const part of chunks(deltas, ROWS_PER_STATEMENT)) {
    const { sql, params } = rollupSelectByKeysQuery('postgres', part);
    const { rows } = await client.query<RollupSqlRow>(sql, params);
    for (const row of rows) {
      const stored = storedRollupRowFromSql(row);
      existing.set(keyOf(stored), stored);
    }
  }
  const merged = deltas.map((delta) => {
    const stored = toStoredRollupRow(delta);
    const before = existing.get(keyOf(stored));
    return before === undefined ? stored : mergeStoredRollupRow(before, delta);
  });
  for (const part of chunks(merged, ROWS_PER_STATEMENT)) {
    await client.query(
      rollupUpsertSql('postgres', undefined, part.length),
      part.flatMap(rollupParams),
    );
  }
}

/** Stored rollup rows of a project within `ranges`, optionally filtered by exact dimensions. */
export async function readRollups(
  pool: pg.Pool,
  projectId: string,
  ranges: readonly RollupRange[],
  filter?: SummaryFilter,
): Promise<StoredRollupRow[]> {
  const { sql, params } = rollupSelectQuery('postgres', projectId, ranges, filter);
  const { rows } = await pool.query<RollupSqlRow>(sql, params);
  return rows.map(storedRollupRowFromSql);
}
