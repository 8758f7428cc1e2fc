/**
 * One-dimension rollups ("marginals"): besides the rows keyed by every dimension
 * (service × provider × model × operation), the hour and day tiers also keep rows keyed
 * by a single dimension, and one row per bucket over all dimensions. The common
 * summaries (a month by model at 1-hour intervals, the dashboard's headline totals) then
 * merge one row per group and bucket instead of one per dimension combination: 4,320
 * rows instead of 17,280 for six models called by two services with two operations, and
 * the gap grows with every service and operation.
 *
 * Summaries with filters on other dimensions keep reading the full rows. Both kinds are
 * written in the same ingest transaction, from the same batch, so they always agree.
 */
import {
  addRollupCounters,
  emptyRollupRow,
  type RollupRow,
  type StoredRollupRow,
} from './rollup.js';
import { ROLLUP_VALUE_COLUMNS, type SqlQuery } from './sql.js';
import type { RollupRange, SummaryFilter, SummaryGroupBy } from './summary.js';

/** Tiers that also keep one-dimension rows (the ones long-range summaries read). */
export const MARGINAL_BUCKETS_SEC: readonly number[] = [3600, 86_400];

/** The dimension of a one-dimension row; `all` is the row over every dimension. */
export type MarginalDimension = 'model' | 'provider' | 'service' | 'operation' | 'all';

const DIMENSIONS = ['model', 'provider', 'service', 'operation'] as const;

/** Default table name. */
export const MARGINAL_TABLE = 'rollup_marginals';

/** A one-dimension row: a rollup row whose other dimensions are `''`. */
export interface MarginalRow extends RollupRow {
  dimension: MarginalDimension;
}

/**
 * The one-dimension rows of a batch's rows: for every row of a tier in
 * {@link MARGINAL_BUCKETS_SEC}, its contribution to the row of each of its dimension
 * values and to the `all` row of its bucket.
 */
export function marginalRows(rows: Iterable<RollupRow>): MarginalRow[] {
  const out = new Map<string, MarginalRow>();
  for (const row of rows) {
    if (!MARGINAL_BUCKETS_SEC.includes(row.bucketSec)) continue;
    for (const dimension of [...DIMENSIONS, 'all'] as const) {
      const value = dimension === 'all' ? '' : row[dimension];
      const id = `${row.projectId.length}:${row.projectId}|${row.bucketSec}|${row.bucketStartMs}|${dimension}|${value}`;
      let target = out.get(id);
      if (target === undefined) {
        target = {
          ...emptyRollupRow({
            projectId: row.projectId,
            service: dimension === 'service' ? value : '',
            provider: dimension === 'provider' ? value : '',
            model: dimension === 'model' ? value : '',
            operation: dimension === 'operation' ? value : '',
            bucketSec: row.bucketSec,
            bucketStartMs: row.bucketStartMs,
          }),
          dimension,
        };
        out.set(id, target);
      }
      addRollupCounters(target, row);
      target.latencyMs.merge(row.latencyMs);
      target.ttftMs.merge(row.ttftMs);
    }
  }
  return [...out.values()];
}

/**
 * The dimension whose one-dimension rows answer a summary, or null when it needs the full
 * rows: a summary grouped by one dimension and filtered on at most that same dimension,
 * or ungrouped with at most one dimension filter.
 */
export function marginalDimension(
  groupBy: SummaryGroupBy | undefined,
  filter: Omit<SummaryFilter, 'projectId'> = {},
): { dimension: MarginalDimension; value: string | undefined } | null {
  const filtered = DIMENSIONS.filter((d) => filter[d] !== undefined);
  if (groupBy === 'project') return null;
  if (groupBy === undefined) {
    if (filtered.length === 0) return { dimension: 'all', value: undefined };
    if (filtered.length === 1) return { dimension: filtered[0]!, value: filter[filtered[0]!] };
    return null;
  }
  if (filtered.some((d) => d !== groupBy)) return null;
  return { dimension: groupBy, value: filter[groupBy] };
}

/**
 * Splits a plan's ranges into those read from one-dimension rows (tiers of
 * {@link MARGINAL_BUCKETS_SEC}) and those read from the full rows (finer tiers, at the
 * ragged edges of a range).
 */
export function splitRanges(ranges: readonly RollupRange[]): {
  marginal: RollupRange[];
  full: RollupRange[];
} {
  const marginal: RollupRange[] = [];
  const full: RollupRange[] = [];
  for (const r of ranges) (MARGINAL_BUCKETS_SEC.includes(r.bucketSec) ? marginal : full).push(r);
  return { marginal, full };
}

/** SQLite DDL of the one-dimension rows, clustered for range scans per dimension. */
export function marginalTableSql(table = MARGINAL_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  project_id TEXT NOT NULL,
  bucket_sec INTEGER NOT NULL,
  dimension TEXT NOT NULL,
  bucket_start_ms INTEGER NOT NULL,
  value TEXT NOT NULL,
  calls INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  confidence_sum REAL NOT NULL,
  confidence_count INTEGER NOT NULL,
  latency_sketch BLOB NOT NULL,
  ttft_sketch BLOB NOT NULL,
  PRIMARY KEY (project_id, bucket_sec, dimension, bucket_start_ms, value)
) WITHOUT ROWID`;
}

/**
 * SQLite upsert of one one-dimension row (parameters from {@link marginalParams}):
 * counters add, sketches merge through `sketchMergeFunction`, as for the full rows.
 */
export function marginalUpsertSql(sketchMergeFunction: string, table = MARGINAL_TABLE): string {
  const set = ROLLUP_VALUE_COLUMNS.map((c) =>
    c.endsWith('_sketch')
      ? `${c} = ${sketchMergeFunction}(${c}, excluded.${c})`
      : `${c} = ${c} + excluded.${c}`,
  );
  return `INSERT INTO ${table} (project_id, bucket_sec, dimension, bucket_start_ms, value, ${ROLLUP_VALUE_COLUMNS.join(', ')})
VALUES (${Array.from({ length: 5 + ROLLUP_VALUE_COLUMNS.length }, () => '?').join(', ')})
ON CONFLICT (project_id, bucket_sec, dimension, bucket_start_ms, value) DO UPDATE SET ${set.join(', ')}`;
}

/** Parameters of {@link marginalUpsertSql}. */
export function marginalParams(row: MarginalRow, latency: Uint8Array, ttft: Uint8Array): unknown[] {
  const value = row.dimension === 'all' ? '' : row[row.dimension];
  return [
    row.projectId,
    row.bucketSec,
    row.dimension,
    row.bucketStartMs,
    value,
    row.calls,
    row.errors,
    row.inputTokens,
    row.outputTokens,
    row.cachedInputTokens,
    row.costUsd,
    row.confidenceSum,
    row.confidenceCount,
    latency,
    ttft,
  ];
}

/**
 * SQLite: the one-dimension rows of `dimension` (and `value`, when given) within `ranges`,
 * one primary-key range scan per range. Columns: bucket_sec, bucket_start_ms, value, then
 * the value columns (see {@link storedRowFromMarginal}).
 */
export function marginalSelectQuery(
  projectId: string,
  ranges: readonly RollupRange[],
  dimension: MarginalDimension,
  value: string | undefined,
  table = MARGINAL_TABLE,
): SqlQuery {
  const params: unknown[] = [];
  const scans = (ranges.length === 0 ? [null] : ranges).map((r) => {
    const head = `SELECT bucket_sec, bucket_start_ms, value, ${ROLLUP_VALUE_COLUMNS.join(', ')} FROM ${table} WHERE project_id = ? AND dimension = ?`;
    params.push(projectId, dimension);
    if (r === null) return `${head} AND 1 = 0`;
    params.push(r.bucketSec, r.fromMs, r.toMs);
    if (value !== undefined) params.push(value);
    return `${head} AND bucket_sec = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?${value === undefined ? '' : ' AND value = ?'}`;
  });
  return { sql: scans.join(' UNION ALL '), params };
}

/** A row of {@link marginalSelectQuery} (as an array) as a full rollup row of `dimension`. */
export function storedRowFromMarginal(
  projectId: string,
  dimension: MarginalDimension,
  v: readonly unknown[],
): StoredRollupRow {
  const value = v[2] as string;
  return {
    projectId,
    bucketSec: v[0] as number,
    bucketStartMs: v[1] as number,
    service: dimension === 'service' ? value : '',
    provider: dimension === 'provider' ? value : '',
    model: dimension === 'model' ? value : '',
    operation: dimension === 'operation' ? value : '',
    calls: v[3] as number,
    errors: v[4] as number,
    inputTokens: v[5] as number,
    outputTokens: v[6] as number,
    cachedInputTokens: v[7] as number,
    costUsd: v[8] as number,
    confidenceSum: v[9] as number,
    confidenceCount: v[10] as number,
    latencySketch: v[11] as Uint8Array,
    ttftSketch: v[12] as Uint8Array,
  };
}

/**
 * A store that keeps one-dimension rows. Optional: a summary reads the full rows of a
 * store without it (same answer, more rows).
 */
export interface MarginalRollupReader {
  /**
   * One-dimension rows of `dimension` (and `value`, when given) within `ranges` (tiers of
   * {@link MARGINAL_BUCKETS_SEC} only), as full rows whose other dimensions are `''`.
   */
  readMarginalRollups(
    projectId: string,
    ranges: readonly RollupRange[],
    dimension: MarginalDimension,
    value: string | undefined,
  ): Promise<StoredRollupRow[]>;
}

/** Whether a store implements {@link MarginalRollupReader}. */
export function hasMarginalRollups<T extends object>(store: T): store is T & MarginalRollupReader {
  return typeof (store as Partial<MarginalRollupReader>).readMarginalRollups === 'function';
}
