/**
 * The proposed SQL shape of rollup storage, for SQLite and PostgreSQL: DDL, the upsert,
 * reads by summary plan or by key, and the mapping between SQL rows and
 * {@link StoredRollupRow}. Pure strings and functions: the stores run them.
 *
 * Writing a batch's rows (see {@link RollupBatch}) so that concurrent writers never lose
 * an update:
 * - SQLite (one writer at a time anyway): register {@link mergeSketchBytes} as the SQL
 *   function {@link SKETCH_MERGE_FUNCTION}, then run {@link rollupUpsertSql} per row in
 *   the ingest transaction. Counters add in SQL, sketches merge in the function; no read.
 * - PostgreSQL: in the ingest transaction, take {@link rollupLockSql} (a transaction-level
 *   advisory lock per project, taken in sorted project order so that two batches never
 *   deadlock; rollup writers of one project queue for a moment), read
 *   the existing rows with {@link rollupSelectByKeysQuery}, merge each with
 *   {@link mergeStoredRollupRow}, and write the merged rows with {@link rollupUpsertSql},
 *   which overwrites every value column.
 */
import type { RollupKey, StoredRollupRow } from './rollup.js';
import { QuantileSketch } from './sketch.js';
import type { RollupRange, SummaryFilter } from './summary.js';

/** Default table name. */
export const ROLLUP_TABLE = 'rollups';
/** Name under which SQLite stores register {@link mergeSketchBytes}. */
export const SKETCH_MERGE_FUNCTION = 'pilotlight_sketch_merge';

/** SQL dialects with a store. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Primary-key columns, in key order: project first, then the time range, then the rest. */
export const ROLLUP_KEY_COLUMNS = [
  'project_id',
  'bucket_sec',
  'bucket_start_ms',
  'service',
  'provider',
  'model',
  'operation',
] as const;
/** Value columns. */
export const ROLLUP_VALUE_COLUMNS = [
  'calls',
  'errors',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cost_usd',
  'confidence_sum',
  'confidence_count',
  'latency_sketch',
  'ttft_sketch',
] as const;
/** Every column, in the order of {@link rollupParams}. */
export const ROLLUP_COLUMNS = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS] as const;

/** Query text and its positional parameters. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

function checkTable(table: string): string {
  // An identifier, optionally schema-qualified: interpolated into SQL, so nothing else.
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
    throw new RangeError(`unsafe table name ${table}`);
  }
  return table;
}

/**
 * `CREATE TABLE IF NOT EXISTS` for the rollups. The primary key leads with project,
 * tier and bucket start, so every summary read is one range scan per tier (SQLite keeps
 * the table clustered on it: `WITHOUT ROWID`). Unknown dimensions are `''`, never NULL,
 * so they take part in the key.
 */
export function rollupTableSql(dialect: SqlDialect, table = ROLLUP_TABLE): string {
  const t = checkTable(table);
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const blob = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  return `CREATE TABLE IF NOT EXISTS ${t} (
  project_id TEXT NOT NULL,
  bucket_sec INTEGER NOT NULL,
  bucket_start_ms ${int} NOT NULL,
  service TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  operation TEXT NOT NULL DEFAULT '',
  calls ${int} NOT NULL,
  errors ${int} NOT NULL,
  input_tokens ${int} NOT NULL,
  output_tokens ${int} NOT NULL,
  cached_input_tokens ${int} NOT NULL,
  cost_usd ${real} NOT NULL,
  confidence_sum ${real} NOT NULL,
  confidence_count ${int} NOT NULL,
  latency_sketch ${blob} NOT NULL,
  ttft_sketch ${blob} NOT NULL,
  PRIMARY KEY (${ROLLUP_KEY_COLUMNS.join(', ')})
)${dialect === 'sqlite' ? ' WITHOUT ROWID' : ''}`;
}

function placeholders(dialect: SqlDialect, count: number, start = 1): string[] {
  return Array.from({ length: count }, (_, i) => (dialect === 'sqlite' ? '?' : `$${start + i}`));
}

/**
 * Upsert of `rowCount` rows (distinct keys), parameters from {@link rollupParams} of each
 * row, concatenated. Keep `rowCount × 17` under the driver's parameter limit (PostgreSQL:
 * 65,535).
 * - SQLite: counters add to the stored ones and sketches merge through
 *   {@link SKETCH_MERGE_FUNCTION}: pass the batch's delta rows.
 * - PostgreSQL: every value column is overwritten: pass the merged rows (see the module
 *   comment for the locking recipe).
 *
 * @throws {RangeError} when `rowCount` is not a positive integer.
 */
export function rollupUpsertSql(dialect: SqlDialect, table = ROLLUP_TABLE, rowCount = 1): string {
  const t = checkTable(table);
  if (!Number.isInteger(rowCount) || rowCount < 1) {
    throw new RangeError(`rowCount must be a positive integer, got ${rowCount}`);
  }
  const set =
    dialect === 'sqlite'
      ? ROLLUP_VALUE_COLUMNS.map((c) =>
          c.endsWith('_sketch')
            ? `${c} = ${SKETCH_MERGE_FUNCTION}(${c}, excluded.${c})`
            : `${c} = ${c} + excluded.${c}`,
        )
      : ROLLUP_VALUE_COLUMNS.map((c) => `${c} = excluded.${c}`);
  const width = ROLLUP_COLUMNS.length;
  const values = Array.from(
    { length: rowCount },
    (_, i) => `(${placeholders(dialect, width, 1 + i * width).join(', ')})`,
  );
  return `INSERT INTO ${t} (${ROLLUP_COLUMNS.join(', ')}) VALUES ${values.join(', ')}
ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}

/**
 * PostgreSQL: the per-project transaction-level advisory lock of rollup writers (`$1`:
 * project id). A batch spanning several projects takes their locks in sorted order.
 */
export function rollupLockSql(table = ROLLUP_TABLE): string {
  return `SELECT pg_advisory_xact_lock(hashtext('pilotlight.${checkTable(table)}'), hashtext($1))`;
}

/** Parameters of {@link rollupUpsertSql}, in {@link ROLLUP_COLUMNS} order. */
export function rollupParams(row: StoredRollupRow): unknown[] {
  return [
    row.projectId,
    row.bucketSec,
    row.bucketStartMs,
    row.service,
    row.provider,
    row.model,
    row.operation,
    row.calls,
    row.errors,
    row.inputTokens,
    row.outputTokens,
    row.cachedInputTokens,
    row.costUsd,
    row.confidenceSum,
    row.confidenceCount,
    toBuffer(row.latencySketch),
    toBuffer(row.ttftSketch),
  ];
}

/** Drivers bind `Buffer` as BLOB/BYTEA; wrapping shares the bytes, no copy. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The SQL row shape both drivers return (BIGINT may come back as a string from `pg`). */
export type RollupSqlRow = Record<(typeof ROLLUP_COLUMNS)[number], unknown>;

function num(value: unknown, column: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'bigint') {
    throw new TypeError(`rollup column ${column} is not numeric`);
  }
  if (!Number.isFinite(n)) throw new TypeError(`rollup column ${column} is not finite`);
  return n;
}

function bytes(value: unknown, column: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`rollup column ${column} is not bytes`);
  return value;
}

/** A SQL row (selected with `SELECT` of {@link ROLLUP_COLUMNS}) as a {@link StoredRollupRow}. */
export function storedRollupRowFromSql(row: RollupSqlRow): StoredRollupRow {
  return {
    projectId: String(row.project_id),
    bucketSec: num(row.bucket_sec, 'bucket_sec'),
    bucketStartMs: num(row.bucket_start_ms, 'bucket_start_ms'),
    service: String(row.service),
    provider: String(row.provider),
    model: String(row.model),
    operation: String(row.operation),
    calls: num(row.calls, 'calls'),
    errors: num(row.errors, 'errors'),
    inputTokens: num(row.input_tokens, 'input_tokens'),
    outputTokens: num(row.output_tokens, 'output_tokens'),
    cachedInputTokens: num(row.cached_input_tokens, 'cached_input_tokens'),
    costUsd: num(row.cost_usd, 'cost_usd'),
    confidenceSum: num(row.confidence_sum, 'confidence_sum'),
    confidenceCount: num(row.confidence_count, 'confidence_count'),
    latencySketch: bytes(row.latency_sketch, 'latency_sketch'),
    ttftSketch: bytes(row.ttft_sketch, 'ttft_sketch'),
  };
}

/**
 * Same as {@link storedRollupRowFromSql} for a row as an array in {@link ROLLUP_COLUMNS}
 * order, e.g. from better-sqlite3's `statement.raw()` (about a quarter cheaper to read than
 * one object per row for the thousands of rows of a long summary).
 */
export function storedRollupRowFromSqlValues(values: readonly unknown[]): StoredRollupRow {
  if (values.length !== ROLLUP_COLUMNS.length) {
    throw new TypeError(`expected ${ROLLUP_COLUMNS.length} rollup columns, got ${values.length}`);
  }
  return {
    projectId: String(values[0]),
    bucketSec: num(values[1], 'bucket_sec'),
    bucketStartMs: num(values[2], 'bucket_start_ms'),
    service: String(values[3]),
    provider: String(values[4]),
    model: String(values[5]),
    operation: String(values[6]),
    calls: num(values[7], 'calls'),
    errors: num(values[8], 'errors'),
    inputTokens: num(values[9], 'input_tokens'),
    outputTokens: num(values[10], 'output_tokens'),
    cachedInputTokens: num(values[11], 'cached_input_tokens'),
    costUsd: num(values[12], 'cost_usd'),
    confidenceSum: num(values[13], 'confidence_sum'),
    confidenceCount: num(values[14], 'confidence_count'),
    latencySketch: bytes(values[15], 'latency_sketch'),
    ttftSketch: bytes(values[16], 'ttft_sketch'),
  };
}

const FILTER_COLUMNS: ReadonlyArray<[keyof SummaryFilter, string]> = [
  ['service', 'service'],
  ['provider', 'provider'],
  ['model', 'model'],
  ['operation', 'operation'],
];

/**
 * The rows a summary needs: one project, the plan's ranges (one range scan each on the
 * primary key), optional exact-match filters.
 *
 * @example
 * ```ts
 * const plan = planSummary(options);
 * const { sql, params } = rollupSelectQuery('sqlite', projectId, plan.ranges, options.filter);
 * const rows = db.prepare(sql).all(...params).map(storedRollupRowFromSql);
 * const summary = summarize(rows, options);
 * ```
 */
export function rollupSelectQuery(
  dialect: SqlDialect,
  projectId: string,
  ranges: readonly RollupRange[],
  filter: SummaryFilter = {},
  table = ROLLUP_TABLE,
): SqlQuery {
  if (dialect === 'sqlite') {
    // One range scan of the primary key per range. SQLite does not turn an OR of ranges
    // into several index ranges: it would scan every row of the project, all tiers.
    const { sql, params } = rangeScans(projectId, ranges, filter, ROLLUP_COLUMNS.join(', '), table);
    return { sql, params };
  }
  const params: unknown[] = [projectId];
  const p = (): string => `$${params.length}`;
  const where = [`project_id = ${p()}`];
  if (ranges.length === 0) where.push('1 = 0');
  else {
    const parts = ranges.map((r) => {
      params.push(r.bucketSec);
      const a = p();
      params.push(r.fromMs);
      const b = p();
      params.push(r.toMs);
      const c = p();
      return `(bucket_sec = ${a} AND bucket_start_ms >= ${b} AND bucket_start_ms < ${c})`;
    });
    where.push(`(${parts.join(' OR ')})`);
  }
  for (const [key, column] of FILTER_COLUMNS) {
    const value = filter[key];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = ${p()}`);
  }
  return {
    sql: `SELECT ${ROLLUP_COLUMNS.join(', ')} FROM ${checkTable(table)} WHERE ${where.join(' AND ')}`,
    params,
  };
}

/** SQLite: `SELECT columns` of each range, `UNION ALL`, with the filters in each. */
function rangeScans(
  projectId: string,
  ranges: readonly RollupRange[],
  filter: SummaryFilter,
  columns: string,
  table: string,
): SqlQuery {
  const t = checkTable(table);
  const params: unknown[] = [];
  const filters: string[] = [];
  const filterValues: unknown[] = [];
  for (const [key, column] of FILTER_COLUMNS) {
    const value = filter[key];
    if (value === undefined) continue;
    filters.push(` AND ${column} = ?`);
    filterValues.push(value);
  }
  const scans = (ranges.length === 0 ? [null] : ranges).map((r) => {
    params.push(projectId);
    if (r === null) return `SELECT ${columns} FROM ${t} WHERE project_id = ? AND 1 = 0`;
    params.push(r.bucketSec, r.fromMs, r.toMs, ...filterValues);
    return `SELECT ${columns} FROM ${t} WHERE project_id = ? AND bucket_sec = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?${filters.join('')}`;
  });
  return { sql: scans.join(' UNION ALL '), params };
}

/** The stored rows with these exact keys (for PostgreSQL's read-merge-write). */
export function rollupSelectByKeysQuery(
  dialect: SqlDialect,
  keys: readonly RollupKey[],
  table = ROLLUP_TABLE,
): SqlQuery {
  const params: unknown[] = [];
  const tuples = keys.map((k) => {
    const values = [
      k.projectId,
      k.bucketSec,
      k.bucketStartMs,
      k.service,
      k.provider,
      k.model,
      k.operation,
    ];
    const marks = placeholders(dialect, values.length, params.length + 1);
    params.push(...values);
    return `(${marks.join(', ')})`;
  });
  const where =
    tuples.length === 0
      ? '1 = 0'
      : `(${ROLLUP_KEY_COLUMNS.join(', ')}) IN (${dialect === 'sqlite' ? 'VALUES ' : ''}${tuples.join(', ')})`;
  return {
    sql: `SELECT ${ROLLUP_COLUMNS.join(', ')} FROM ${checkTable(table)} WHERE ${where}`,
    params,
  };
}

/**
 * Deletes at most `limit` rows of one project and tier whose bucket starts before
 * `beforeMs` (see `rollupCutoffMs`): run it repeatedly, each in its own short transaction,
 * until it deletes fewer than `limit`, so retention never holds the writer for long.
 *
 * @throws {RangeError} when `limit` is not a positive integer.
 */
export function rollupDeleteExpiredQuery(
  dialect: SqlDialect,
  projectId: string,
  bucketSec: number,
  beforeMs: number,
  limit: number,
  table = ROLLUP_TABLE,
): SqlQuery {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  const t = checkTable(table);
  const [a, b, c, d] = placeholders(dialect, 4);
  const key = ROLLUP_KEY_COLUMNS.join(', ');
  return {
    sql: `DELETE FROM ${t} WHERE (${key}) IN (SELECT ${key} FROM ${t} WHERE project_id = ${a} AND bucket_sec = ${b} AND bucket_start_ms < ${c} LIMIT ${d})`,
    params: [projectId, bucketSec, beforeMs, limit],
  };
}

/**
 * Merges two serialised sketches into one: register it in SQLite as
 * {@link SKETCH_MERGE_FUNCTION} (`db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, mergeSketchBytes)`).
 *
 * @throws {RangeError} when either value is not a serialised sketch.
 */
export function mergeSketchBytes(a: Uint8Array, b: Uint8Array): Buffer {
  return toBuffer(QuantileSketch.fromBytes(a).mergeBytes(b).toBytes());
}
