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
  type RollupCounters,
  type RollupRow,
} from './rollup.js';
import { QuantileSketch } from './sketch.js';
import { ROLLUP_VALUE_COLUMNS, SKETCH_MERGE_FUNCTION, type SqlQuery } from './sql.js';
import {
  type Percentiles,
  type RollupRange,
  SUMMARY_QUANTILES,
  type SummaryFilter,
  type SummaryGroupBy,
  type SummaryRollupRow,
} from './summary.js';

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
 * Name under which SQLite stores register the quantile function of
 * {@link sqliteSketchFunctions}: `(stored, delta, q)` → the `q`-quantile of the merge of
 * two serialised sketches, NULL when both are empty.
 */
export const SKETCH_QUANTILE_FUNCTION = 'pilotlight_sketch_merge_quantile';

/**
 * The percentiles of each bucket's own calls, kept beside its sketches (migration 7), so an
 * interval point that is exactly one stored row needs no sketch read, merge or quantile.
 * Latency p50/p90/p95/p99 then TTFT p50/p90/p95/p99, NULL when the sketch is empty;
 * `quantiles_ready` says they were computed (rows written before migration 7 keep 0 until
 * the store's start-up backfill, and are read with their sketches meanwhile).
 */
export const MARGINAL_QUANTILE_COLUMNS = [
  'latency_p50',
  'latency_p90',
  'latency_p95',
  'latency_p99',
  'ttft_p50',
  'ttft_p90',
  'ttft_p95',
  'ttft_p99',
] as const;

/**
 * The same percentiles as JSON text (`{"p50":…,"p90":…,"p95":…,"p99":…}`, exactly as
 * `JSON.stringify` prints them; NULL when the sketch is empty), migration 8: a summary
 * splices them into its answer instead of reading and printing eight doubles per row.
 */
export const MARGINAL_PERCENTILES_JSON_COLUMNS = ['latency_json', 'ttft_json'] as const;

/**
 * Name under which SQLite stores register the percentiles-JSON function of
 * {@link sqliteSketchFunctions}: `(stored, delta)` → the JSON text of the merge's
 * p50/p90/p95/p99, NULL when both are empty.
 */
export const SKETCH_PERCENTILES_JSON_FUNCTION = 'pilotlight_sketch_merge_percentiles_json';

/**
 * Name under which SQLite stores register the point-JSON function of
 * {@link sqliteSketchFunctions}: `(bucket_start_ms, calls, errors, input_tokens,
 * output_tokens, cached_input_tokens, cost_usd, confidence_sum, confidence_count,
 * latency_json, ttft_json)` → the row's summary point as JSON text (see {@link pointJson}).
 */
export const POINT_JSON_FUNCTION = 'pilotlight_marginal_point_json';

/**
 * Name under which SQLite stores register {@link sqliteSumFunction}: an aggregate that adds
 * doubles in the order given, as JavaScript does (SQLite's own `sum` compensates rounding,
 * so it can differ in the last bits from the sum the summary builds in JavaScript).
 */
export const JS_SUM_FUNCTION = 'pilotlight_js_sum';

/** {@link JS_SUM_FUNCTION}'s definition, for `db.aggregate`. */
export const sqliteSumFunction = {
  start: 0,
  step: (total: number, v: unknown): number => total + (v as number),
  deterministic: true,
} as const;

/**
 * A one-dimension row's summary point (`SummaryPoint`, for an interval that is exactly its
 * bucket) as JSON text: the same text `JSON.stringify` gives (same fields, order and
 * arithmetic), `latencyJson`/`ttftJson` spliced in as stored. Kept in `point_json`
 * (migration 10), so a summary's answer is the stored points joined.
 */
export function pointJson(
  startMs: number,
  calls: number,
  errors: number,
  inputTokens: number,
  outputTokens: number,
  cachedInputTokens: number,
  costUsd: number,
  confidenceSum: number,
  confidenceCount: number,
  latencyJson: string | null,
  ttftJson: string | null,
): string {
  // JSON.stringify prints a finite number exactly as a template literal does.
  return `{"startMs":${startMs},"calls":${calls},"errors":${errors},"errorRate":${calls === 0 ? 0 : errors / calls},"inputTokens":${inputTokens},"outputTokens":${outputTokens},"cachedInputTokens":${cachedInputTokens},"costUsd":${costUsd},"latencyMs":${latencyJson ?? 'null'},"ttftMs":${ttftJson ?? 'null'},"meanConfidence":${confidenceCount === 0 ? 'null' : confidenceSum / confidenceCount}}`;
}

/** SQL arguments of {@link POINT_JSON_FUNCTION} for the row's new values (`counter(c)`). */
function pointJsonCall(counter: (c: string) => string, latency: string, ttft: string): string {
  const counters = ROLLUP_VALUE_COLUMNS.filter((c) => !c.endsWith('_sketch')).map(counter);
  return `${POINT_JSON_FUNCTION}(bucket_start_ms, ${counters.join(', ')}, ${latency}, ${ttft})`;
}

/**
 * Migration 8: the columns of {@link MARGINAL_PERCENTILES_JSON_COLUMNS}; every row's
 * percentiles are computed again by the start-up backfill (`quantiles_ready = 0`).
 */
export function marginalPercentilesJsonColumnsSql(table = MARGINAL_TABLE): string {
  return [
    ...MARGINAL_PERCENTILES_JSON_COLUMNS.map((c) => `ALTER TABLE ${table} ADD COLUMN ${c} TEXT`),
    `UPDATE ${table} SET quantiles_ready = 0`,
  ].join(';\n');
}

/**
 * Migration 9: the table rebuilt with the columns a summary point reads (counters, stored
 * percentiles and their JSON) ahead of the sketches. A busy hour's sketches make a row
 * longer than a page keeps locally; SQLite then moves the end of the row to overflow
 * pages, and columns added after the sketches (migrations 7 and 8) were read from there.
 */
export function marginalTableRebuildSql(table = MARGINAL_TABLE, withPointJson = false): string {
  const counters = ROLLUP_VALUE_COLUMNS.filter((c) => !c.endsWith('_sketch'));
  const columns = [
    'project_id',
    'bucket_sec',
    'dimension',
    'bucket_start_ms',
    'value',
    ...counters,
    'quantiles_ready',
    ...MARGINAL_QUANTILE_COLUMNS,
    ...MARGINAL_PERCENTILES_JSON_COLUMNS,
    'latency_sketch',
    'ttft_sketch',
  ].join(', ');
  // Migration 10 adds point_json ahead of the sketches; it is filled by the backfill.
  const pointColumn = withPointJson ? '\n  point_json TEXT,' : '';
  const next = `${table}_next`;
  return `CREATE TABLE ${next} (
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
  quantiles_ready INTEGER NOT NULL DEFAULT 0,
  ${MARGINAL_QUANTILE_COLUMNS.map((c) => `${c} REAL`).join(',\n  ')},
  ${MARGINAL_PERCENTILES_JSON_COLUMNS.map((c) => `${c} TEXT`).join(',\n  ')},${pointColumn}
  latency_sketch BLOB NOT NULL,
  ttft_sketch BLOB NOT NULL,
  PRIMARY KEY (project_id, bucket_sec, dimension, bucket_start_ms, value)
) WITHOUT ROWID;
INSERT INTO ${next} (${columns}) SELECT ${columns} FROM ${table};
DROP TABLE ${table};
ALTER TABLE ${next} RENAME TO ${table}`;
}

/**
 * Migration 10: `point_json` (see {@link pointJson}), ahead of the sketches (the table is
 * rebuilt, as in migration 9); every row's is computed by the start-up backfill
 * (`quantiles_ready = 0`).
 */
export function marginalPointJsonColumnSql(table = MARGINAL_TABLE): string {
  return `${marginalTableRebuildSql(table, true)};\nUPDATE ${table} SET quantiles_ready = 0`;
}

/** Table of {@link marginalPointsTableSql}: the one-dimension rows' summary points alone. */
export const MARGINAL_POINTS_TABLE = 'rollup_marginal_points';

/**
 * Migration 11: `rollup_marginal_points`, a narrow copy of each one-dimension row's key,
 * counters, `point_json` and `quantiles_ready` (no sketches), kept by triggers on every
 * insert, update and delete of `rollup_marginals`, so the writer and the backfills are
 * unchanged. A month of hour rows is read from ~0.5 kB rows instead of rows whose sketches
 * grow with traffic (a busy hour's overflow a page): the read stays flat as calls grow.
 */
export function marginalPointsTableSql(
  table = MARGINAL_TABLE,
  points = MARGINAL_POINTS_TABLE,
): string {
  const counters = ROLLUP_VALUE_COLUMNS.filter((c) => !c.endsWith('_sketch'));
  const key = ['project_id', 'bucket_sec', 'dimension', 'bucket_start_ms', 'value'];
  const columns = [...key, ...counters, 'point_json', 'quantiles_ready'];
  // Plain statements: inside a trigger, an INSERT's conflict clause yields to the outer
  // statement's (the upsert's), and the key of a one-dimension row never changes.
  const sameKey = key.map((c) => `${c} = OLD.${c}`).join(' AND ');
  const insert = `INSERT INTO ${points} (${columns.join(', ')}) VALUES (${columns.map((c) => `NEW.${c}`).join(', ')});`;
  const update = `UPDATE ${points} SET ${columns
    .slice(key.length)
    .map((c) => `${c} = NEW.${c}`)
    .join(', ')} WHERE ${sameKey};`;
  return `CREATE TABLE ${points} (
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
  point_json TEXT,
  quantiles_ready INTEGER NOT NULL,
  PRIMARY KEY (${key.join(', ')})
) WITHOUT ROWID;
INSERT INTO ${points} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${table};
CREATE TRIGGER ${points}_insert AFTER INSERT ON ${table} BEGIN ${insert} END;
CREATE TRIGGER ${points}_update AFTER UPDATE ON ${table} BEGIN ${update} END;
CREATE TRIGGER ${points}_delete AFTER DELETE ON ${table} BEGIN DELETE FROM ${points} WHERE ${sameKey}; END`;
}

/** Migration 7: the percentile columns of {@link MARGINAL_QUANTILE_COLUMNS}. */
export function marginalQuantileColumnsSql(table = MARGINAL_TABLE): string {
  return [
    ...MARGINAL_QUANTILE_COLUMNS.map((c) => `ALTER TABLE ${table} ADD COLUMN ${c} REAL`),
    `ALTER TABLE ${table} ADD COLUMN quantiles_ready INTEGER NOT NULL DEFAULT 0`,
  ].join(';\n');
}

/**
 * SQLite upsert of one one-dimension row (parameters from {@link marginalParams}):
 * counters add, sketches merge through `sketchMergeFunction`, as for the full rows, and
 * the percentiles are those of the merged sketches (`quantileFunction`, which sees the
 * stored and the new sketch: within one UPDATE every expression reads the old row).
 */
export function marginalUpsertSql(
  sketchMergeFunction = SKETCH_MERGE_FUNCTION,
  quantileFunction = SKETCH_QUANTILE_FUNCTION,
  percentilesJsonFunction = SKETCH_PERCENTILES_JSON_FUNCTION,
  table = MARGINAL_TABLE,
): string {
  const mergedJson = (sketch: string) =>
    `${percentilesJsonFunction}(${sketch}, excluded.${sketch})`;
  const set = ROLLUP_VALUE_COLUMNS.map((c) =>
    c.endsWith('_sketch')
      ? `${c} = ${sketchMergeFunction}(${c}, excluded.${c})`
      : `${c} = ${c} + excluded.${c}`,
  );
  for (const c of MARGINAL_QUANTILE_COLUMNS) {
    const sketch = c.startsWith('latency') ? 'latency_sketch' : 'ttft_sketch';
    const q = Number(c.slice(c.lastIndexOf('_p') + 2)) / 100;
    set.push(`${c} = ${quantileFunction}(${sketch}, excluded.${sketch}, ${q})`);
  }
  for (const c of MARGINAL_PERCENTILES_JSON_COLUMNS) {
    const sketch = c === 'latency_json' ? 'latency_sketch' : 'ttft_sketch';
    set.push(`${c} = ${percentilesJsonFunction}(${sketch}, excluded.${sketch})`);
  }
  set.push(
    `point_json = ${pointJsonCall((c) => `${c} + excluded.${c}`, mergedJson('latency_sketch'), mergedJson('ttft_sketch'))}`,
  );
  set.push('quantiles_ready = 1');
  const columns = [
    ...ROLLUP_VALUE_COLUMNS,
    ...MARGINAL_QUANTILE_COLUMNS,
    ...MARGINAL_PERCENTILES_JSON_COLUMNS,
    'point_json',
    'quantiles_ready',
  ];
  return `INSERT INTO ${table} (project_id, bucket_sec, dimension, bucket_start_ms, value, ${columns.join(', ')})
VALUES (${Array.from({ length: 5 + columns.length - 1 }, () => '?').join(', ')}, 1)
ON CONFLICT (project_id, bucket_sec, dimension, bucket_start_ms, value) DO UPDATE SET ${set.join(', ')}`;
}

/**
 * Migration 7's backfill: the percentiles of rows written before it, from their sketches
 * (`?`: an empty serialised sketch, merged with each stored one).
 */
export function marginalQuantileBackfillSql(
  quantileFunction = SKETCH_QUANTILE_FUNCTION,
  percentilesJsonFunction = SKETCH_PERCENTILES_JSON_FUNCTION,
  table = MARGINAL_TABLE,
): string {
  const set = MARGINAL_QUANTILE_COLUMNS.map((c) => {
    const sketch = c.startsWith('latency') ? 'latency_sketch' : 'ttft_sketch';
    const q = Number(c.slice(c.lastIndexOf('_p') + 2)) / 100;
    return `${c} = ${quantileFunction}(${sketch}, @empty, ${q})`;
  });
  for (const c of MARGINAL_PERCENTILES_JSON_COLUMNS) {
    const sketch = c === 'latency_json' ? 'latency_sketch' : 'ttft_sketch';
    set.push(`${c} = ${percentilesJsonFunction}(${sketch}, @empty)`);
  }
  set.push(
    `point_json = ${pointJsonCall(
      (c) => c,
      `${percentilesJsonFunction}(latency_sketch, @empty)`,
      `${percentilesJsonFunction}(ttft_sketch, @empty)`,
    )}`,
  );
  return `UPDATE ${table} SET ${set.join(', ')}, quantiles_ready = 1 WHERE quantiles_ready = 0`;
}

/** Parameters of {@link marginalUpsertSql}. */
export function marginalParams(row: MarginalRow, latency: Uint8Array, ttft: Uint8Array): unknown[] {
  const value = row.dimension === 'all' ? '' : row[row.dimension];
  const params: unknown[] = [
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
  // A new row's percentiles are its batch's (an existing row's come from the merge in SQL).
  const json: Array<string | null> = [];
  for (const sketch of [row.latencyMs, row.ttftMs]) {
    if (sketch.count === 0) {
      params.push(null, null, null, null);
      json.push(null);
    } else {
      const q = sketch.quantiles(SUMMARY_QUANTILES);
      params.push(...q);
      json.push(percentilesJson(q));
    }
  }
  params.push(...json);
  params.push(
    pointJson(
      row.bucketStartMs,
      row.calls,
      row.errors,
      row.inputTokens,
      row.outputTokens,
      row.cachedInputTokens,
      row.costUsd,
      row.confidenceSum,
      row.confidenceCount,
      json[0]!,
      json[1]!,
    ),
  );
  return params;
}

/** A sketch merge remembered by {@link sqliteSketchFunctions}. */
interface MergeMemo {
  a: Uint8Array;
  b: Uint8Array;
  sketch: QuantileSketch;
  bytes: Buffer | null;
  quantiles: number[] | null;
  json: string | null;
}

/** Merges remembered: the two sketch columns of the row being upserted, and a spare. */
const MERGE_MEMO_SIZE = 4;

/** `{"p50":…,"p90":…,"p95":…,"p99":…}` as `JSON.stringify` prints a `Percentiles`. */
function percentilesJson(q: readonly number[]): string {
  const percentiles: Percentiles = { p50: q[0]!, p90: q[1]!, p95: q[2]!, p99: q[3]! };
  return JSON.stringify(percentiles);
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && Buffer.compare(x, y) === 0;
}

/**
 * The SQLite functions of the rollup upserts, to register under
 * {@link SKETCH_MERGE_FUNCTION} (`merge(a, b)`: the serialised merge) and
 * {@link SKETCH_QUANTILE_FUNCTION} (`quantile(a, b, q)`: a quantile of that merge). One
 * upsert of a one-dimension row calls them twelve times on two pairs of sketches, so they
 * share the last few merges (looked up by content: a pure function's memo), and each
 * pair is decoded and merged once.
 *
 * @example
 * ```ts
 * const fns = sqliteSketchFunctions();
 * db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, fns.merge);
 * db.function(SKETCH_QUANTILE_FUNCTION, { deterministic: true }, fns.quantile);
 * db.function(SKETCH_PERCENTILES_JSON_FUNCTION, { deterministic: true }, fns.percentilesJson);
 * ```
 */
export function sqliteSketchFunctions(): {
  merge: (a: unknown, b: unknown) => Buffer;
  quantile: (a: unknown, b: unknown, q: unknown) => number | null;
  percentilesJson: (a: unknown, b: unknown) => string | null;
  pointJson: (...v: never[]) => string;
} {
  const memo: MergeMemo[] = [];
  const merged = (a: Uint8Array, b: Uint8Array): MergeMemo => {
    for (const m of memo) if (sameBytes(m.a, a) && sameBytes(m.b, b)) return m;
    const entry: MergeMemo = {
      a,
      b,
      sketch: QuantileSketch.fromBytes(a).mergeBytes(b),
      bytes: null,
      quantiles: null,
      json: null,
    };
    if (memo.length >= MERGE_MEMO_SIZE) memo.pop();
    memo.unshift(entry);
    return entry;
  };
  return {
    merge(a, b) {
      const m = merged(a as Uint8Array, b as Uint8Array);
      if (m.bytes === null) {
        const bytes = m.sketch.toBytes();
        m.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      return m.bytes;
    },
    quantile(a, b, q) {
      const m = merged(a as Uint8Array, b as Uint8Array);
      if (m.sketch.count === 0) return null;
      // The SQL literal (0.95) may parse a bit off the constant: match the nearest.
      const i = SUMMARY_QUANTILES.findIndex((x) => Math.abs(x - (q as number)) < 1e-9);
      if (i < 0) return m.sketch.quantile(q as number);
      m.quantiles ??= m.sketch.quantiles(SUMMARY_QUANTILES);
      return m.quantiles[i]!;
    },
    percentilesJson(a, b) {
      const m = merged(a as Uint8Array, b as Uint8Array);
      if (m.sketch.count === 0) return null;
      m.quantiles ??= m.sketch.quantiles(SUMMARY_QUANTILES);
      m.json ??= percentilesJson(m.quantiles);
      return m.json;
    },
    // Eleven named parameters: better-sqlite3 takes the SQL function's arity from them.
    pointJson: pointJson as (...v: never[]) => string,
  };
}

/** A range of one-dimension rows to read, with or without their sketches. */
export interface MarginalRange extends RollupRange {
  /**
   * Whether the rows' sketches are needed (to merge them with other rows); default true.
   * Without, only rows whose percentiles were never computed bring theirs.
   */
  sketches?: boolean;
}

/**
 * SQLite: the one-dimension rows of `dimension` (and `value`, when given) within `ranges`,
 * one primary-key range scan per range. Columns: bucket_sec, bucket_start_ms, value, the
 * value columns (sketches NULL where not asked for and not needed), quantiles_ready, then
 * {@link MARGINAL_QUANTILE_COLUMNS} (see {@link storedRowFromMarginal}).
 */
export function marginalSelectQuery(
  projectId: string,
  ranges: readonly MarginalRange[],
  dimension: MarginalDimension,
  value: string | undefined,
  table = MARGINAL_TABLE,
): SqlQuery {
  const params: unknown[] = [];
  const columns = (sketches: boolean): string =>
    [
      'bucket_sec',
      'bucket_start_ms',
      'value',
      ...ROLLUP_VALUE_COLUMNS.map((c) =>
        c.endsWith('_sketch') && !sketches
          ? `CASE WHEN quantiles_ready = 1 THEN NULL ELSE ${c} END`
          : c,
      ),
      'quantiles_ready',
      ...MARGINAL_QUANTILE_COLUMNS,
    ].join(', ');
  const scans = (ranges.length === 0 ? [null] : ranges).map((r) => {
    const head = `SELECT ${columns(r?.sketches ?? true)} FROM ${table} WHERE project_id = ? AND dimension = ?`;
    params.push(projectId, dimension);
    if (r === null) return `${head} AND 1 = 0`;
    params.push(r.bucketSec, r.fromMs, r.toMs);
    if (value !== undefined) params.push(value);
    return `${head} AND bucket_sec = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?${value === undefined ? '' : ' AND value = ?'}`;
  });
  return { sql: scans.join(' UNION ALL '), params };
}

/** One group's intervals as SQLite serialised them (see {@link marginalPointsQuery}). */
export interface SerializedPoints {
  /** The group (the row's dimension value). */
  key: string;
  /** The intervals' JSON objects (`SummaryPoint`), comma-separated, oldest first. */
  json: string;
  /** How many intervals (rows) `json` holds. */
  points: number;
  /** Start of the first of them, Unix ms. */
  firstStartMs: number;
  /** Their counters, summed. */
  counters: RollupCounters;
}

/**
 * SQLite: the one-dimension rows of `dimension` (and `value`) within `ranges`, for an
 * interval as wide as their bucket (each row is one point), one result row per group: its
 * stored points (`point_json`) joined in time order, how many, the first one's start, the
 * counters summed (doubles added in time order as JavaScript does, {@link JS_SUM_FUNCTION}),
 * and whether every row has its stored point (see {@link serializePoints}). SQLite joins
 * the text: no row reaches JavaScript.
 */
export function marginalPointsQuery(
  projectId: string,
  ranges: readonly RollupRange[],
  dimension: MarginalDimension,
  value: string | undefined,
  table = MARGINAL_POINTS_TABLE,
): SqlQuery {
  const params: unknown[] = [];
  const counters = ROLLUP_VALUE_COLUMNS.filter((c) => !c.endsWith('_sketch'));
  const columns = `value, bucket_start_ms, ${counters.join(', ')}, point_json, quantiles_ready`;
  const scans = (ranges.length === 0 ? [null] : ranges).map((r) => {
    const head = `SELECT ${columns} FROM ${table} WHERE project_id = ? AND dimension = ?`;
    params.push(projectId, dimension);
    if (r === null) return `${head} AND 1 = 0`;
    params.push(r.bucketSec, r.fromMs, r.toMs);
    if (value !== undefined) params.push(value);
    return `${head} AND bucket_sec = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?${value === undefined ? '' : ' AND value = ?'}`;
  });
  const sums = counters.map((c) =>
    c === 'cost_usd' || c === 'confidence_sum'
      ? `${JS_SUM_FUNCTION}(${c} ORDER BY bucket_start_ms)`
      : `sum(${c})`,
  );
  const sql = `SELECT value, group_concat(point_json, ',' ORDER BY bucket_start_ms), count(*), min(bucket_start_ms), ${sums.join(', ')}, min(quantiles_ready), count(point_json)
FROM (${scans.join(' UNION ALL ')}) GROUP BY value`;
  return { sql, params };
}

/**
 * Rows of {@link marginalPointsQuery} (as arrays) as each group's points, serialised: the
 * same JSON text `JSON.stringify` gives the summary's points of those rows. Null when a row
 * has no stored point yet (written before migration 10, not yet backfilled).
 */
export function serializePoints(rows: Iterable<readonly unknown[]>): SerializedPoints[] | null {
  const out: SerializedPoints[] = [];
  for (const v of rows) {
    if (v[12] !== 1 || v[13] !== v[2]) return null;
    out.push({
      key: v[0] as string,
      json: v[1] as string,
      points: v[2] as number,
      firstStartMs: v[3] as number,
      counters: {
        calls: v[4] as number,
        errors: v[5] as number,
        inputTokens: v[6] as number,
        outputTokens: v[7] as number,
        cachedInputTokens: v[8] as number,
        costUsd: v[9] as number,
        confidenceSum: v[10] as number,
        confidenceCount: v[11] as number,
      },
    });
  }
  return out;
}

function percentilesAt(v: readonly unknown[], i: number): Percentiles | null {
  const p50 = v[i] as number | null;
  if (p50 === null) return null;
  return { p50, p90: v[i + 1] as number, p95: v[i + 2] as number, p99: v[i + 3] as number };
}

/** A row of {@link marginalSelectQuery} (as an array) as a rollup row of `dimension`. */
export function storedRowFromMarginal(
  projectId: string,
  dimension: MarginalDimension,
  v: readonly unknown[],
): SummaryRollupRow {
  const value = v[2] as string;
  const ready = v[13] === 1;
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
    latencySketch: v[11] as Uint8Array | null,
    ttftSketch: v[12] as Uint8Array | null,
    latencyPercentiles: ready ? percentilesAt(v, 14) : undefined,
    ttftPercentiles: ready ? percentilesAt(v, 18) : undefined,
  };
}

/**
 * A store that keeps one-dimension rows. Optional: a summary reads the full rows of a
 * store without it (same answer, more rows).
 */
export interface MarginalRollupReader {
  /**
   * One-dimension rows of `dimension` (and `value`, when given) within `ranges` (tiers of
   * {@link MARGINAL_BUCKETS_SEC} only), as rows whose other dimensions are `''`, with
   * their stored percentiles, and their sketches where the range asks for them (or the
   * row has no stored percentiles).
   */
  readMarginalRollups(
    projectId: string,
    ranges: readonly MarginalRange[],
    dimension: MarginalDimension,
    value: string | undefined,
  ): Promise<SummaryRollupRow[]>;
}

/**
 * A store that can serialise one-dimension rows' summary points itself (SQLite). Optional:
 * without it, the points are built from {@link MarginalRollupReader.readMarginalRollups}.
 */
export interface MarginalPointsReader {
  /**
   * See {@link marginalPointsQuery}: one entry per group, or null when a row in `ranges`
   * has no stored percentiles yet (read those rows with their sketches instead).
   */
  readMarginalPoints(
    projectId: string,
    ranges: readonly RollupRange[],
    dimension: MarginalDimension,
    value: string | undefined,
  ): Promise<SerializedPoints[] | null>;
}

/** Whether a store implements {@link MarginalPointsReader}. */
export function hasMarginalPoints<T extends object>(store: T): store is T & MarginalPointsReader {
  return typeof (store as Partial<MarginalPointsReader>).readMarginalPoints === 'function';
}

/** Whether a store implements {@link MarginalRollupReader}. */
export function hasMarginalRollups<T extends object>(store: T): store is T & MarginalRollupReader {
  return typeof (store as Partial<MarginalRollupReader>).readMarginalRollups === 'function';
}
