import type { CallRecord } from '@pilotlight/conventions';
import { QuantileSketch } from './sketch.js';

/**
 * Bucket widths the collector stores, finest first: 1 minute, 5 minutes, 1 hour, 1 day.
 * Each divides the next, so a coarse bucket is exactly the merge of the finer ones it
 * covers, and every tier is aligned to the Unix epoch (UTC days).
 */
export const ROLLUP_BUCKETS_SEC: readonly number[] = [60, 300, 3600, 86_400];

/** The fields of a call record that rollups read. */
export type RollupCallInput = Pick<
  CallRecord,
  | 'projectId'
  | 'serviceName'
  | 'provider'
  | 'model'
  | 'responseModel'
  | 'operation'
  | 'startTimeUnixNano'
  | 'durationMs'
  | 'ttftMs'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadInputTokens'
  | 'costUsd'
  | 'confidence'
  | 'status'
>;

/**
 * Identity of a rollup row. Unknown dimensions are the empty string (not null) so that a
 * SQL primary key over them works in both SQLite and PostgreSQL.
 */
export interface RollupKey {
  projectId: string;
  service: string;
  provider: string;
  model: string;
  operation: string;
  /** Bucket width: one of {@link ROLLUP_BUCKETS_SEC}. */
  bucketSec: number;
  /** Bucket start, Unix milliseconds, a multiple of `bucketSec * 1000`. */
  bucketStartMs: number;
}

/** The dimensions of a rollup row (its key without the bucket). */
export type RollupDimensions = Pick<
  RollupKey,
  'projectId' | 'service' | 'provider' | 'model' | 'operation'
>;

/** Additive measures of a rollup row (everything but the sketches). */
export interface RollupCounters {
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens: number;
  costUsd: number;
  /** Sum and count of the confidences reported; the mean is their ratio. */
  confidenceSum: number;
  confidenceCount: number;
}

/** One rollup row in memory: counters plus mergeable latency and TTFT distributions. */
export interface RollupRow extends RollupKey, RollupCounters {
  /** Distribution of `durationMs` over every call in the bucket. */
  latencyMs: QuantileSketch;
  /** Distribution of `ttftMs` over the streamed calls in the bucket (those reporting one). */
  ttftMs: QuantileSketch;
}

/** A rollup row as stored: the sketches serialised (BLOB in SQLite, BYTEA in PostgreSQL). */
export interface StoredRollupRow extends RollupKey, RollupCounters {
  latencySketch: Uint8Array;
  ttftSketch: Uint8Array;
}

const NANOS_PER_MS_DIGITS = 6;

/** Start of the `bucketSec` bucket holding `timeMs` (epoch-aligned). */
export function bucketStartMs(timeMs: number, bucketSec: number): number {
  const width = bucketSec * 1000;
  return Math.floor(timeMs / width) * width;
}

/** A unique string for a row's identity, usable as a Map key. */
export function rollupKey(key: RollupKey): string {
  return tierKey(key.bucketSec, key.bucketStartMs, dimensionsKey(key));
}

/**
 * The dimensions part of a key, length-prefixed so that no value (even one containing
 * separators) can make two different rows collide.
 */
function dimensionsKey(
  d: Pick<RollupKey, 'projectId' | 'service' | 'provider' | 'model' | 'operation'>,
): string {
  const { projectId: p, service: s, provider: v, model: m, operation: o } = d;
  return `${p.length}:${p}|${s.length}:${s}|${v.length}:${v}|${m.length}:${m}|${o.length}:${o}`;
}

function tierKey(bucketSec: number, bucketStart: number, dimensions: string): string {
  return `${bucketSec}|${bucketStart}|${dimensions}`;
}

/** Whether a record is a GenAI/ML call (rolled up) rather than a plain span of the trace tree. */
export function isRollupCall(record: RollupCallInput): boolean {
  return record.operation !== null || record.model !== null || record.provider !== null;
}

/** A row with zero counters and empty sketches. */
export function emptyRollupRow(key: RollupKey): RollupRow {
  return {
    projectId: key.projectId,
    service: key.service,
    provider: key.provider,
    model: key.model,
    operation: key.operation,
    bucketSec: key.bucketSec,
    bucketStartMs: key.bucketStartMs,
    ...ZERO_ROLLUP_COUNTERS,
    latencyMs: new QuantileSketch(),
    ttftMs: new QuantileSketch(),
  };
}

function isSketchable(value: number): boolean {
  return value >= 0 && value !== Number.POSITIVE_INFINITY;
}

/** Start of a record as Unix milliseconds, from its exact nanosecond string. */
function startMsOf(record: RollupCallInput): number {
  const ns = record.startTimeUnixNano;
  return ns.length > NANOS_PER_MS_DIGITS ? Number(ns.slice(0, -NANOS_PER_MS_DIGITS)) : 0;
}

/**
 * Rows being accumulated for one ingest batch: one row per (dimensions, tier, bucket).
 * Call {@link RollupBatch.add} (or {@link addCallToRollups}) for every record of the
 * batch, then upsert {@link RollupBatch.rows} in the same transaction: a batch of 100
 * calls to 3 models within a minute touches 3 rows per tier, not 100.
 *
 * @example
 * ```ts
 * const batch = new RollupBatch();
 * for (const record of records) batch.add(record);
 * for (const row of batch.rows()) upsertRollup(toStoredRollupRow(row));
 * ```
 */
export class RollupBatch {
  /** Tiers updated by {@link RollupBatch.add}. */
  readonly bucketsSec: readonly number[];
  private readonly byKey = new Map<string, RollupRow>();
  /**
   * Per dimensions key, the last row touched in each tier: consecutive calls of a batch
   * mostly share their buckets, so this skips building and hashing a key per tier.
   */
  private readonly recent = new Map<string, Array<RollupRow | undefined>>();

  /** @param bucketsSec tiers to update; defaults to {@link ROLLUP_BUCKETS_SEC}. */
  constructor(bucketsSec: readonly number[] = ROLLUP_BUCKETS_SEC) {
    this.bucketsSec = bucketsSec;
  }

  /** Number of rows. */
  get size(): number {
    return this.byKey.size;
  }

  /** The rows accumulated so far. */
  rows(): IterableIterator<RollupRow> {
    return this.byKey.values();
  }

  /** The row for `key`, created empty if missing. */
  row(key: RollupKey): RollupRow {
    return this.rowFor(key.bucketSec, key.bucketStartMs, dimensionsKey(key), key);
  }

  /**
   * Adds one call to its row in every tier. Spans that are not GenAI/ML calls (no
   * operation, model or provider) are ignored.
   */
  add(record: RollupCallInput): void {
    if (!isRollupCall(record)) return;
    const timeMs = startMsOf(record);
    const dimensions = {
      projectId: record.projectId,
      service: record.serviceName ?? '',
      provider: record.provider ?? '',
      model: record.model ?? record.responseModel ?? '',
      operation: record.operation ?? '',
    };
    const dimensionsId = dimensionsKey(dimensions);
    let recent = this.recent.get(dimensionsId);
    if (recent === undefined) {
      recent = new Array<RollupRow | undefined>(this.bucketsSec.length);
      this.recent.set(dimensionsId, recent);
    }
    for (let i = 0; i < this.bucketsSec.length; i++) {
      const bucketSec = this.bucketsSec[i]!;
      const start = bucketStartMs(timeMs, bucketSec);
      let row = recent[i];
      if (row === undefined || row.bucketStartMs !== start) {
        row = this.rowFor(bucketSec, start, dimensionsId, dimensions);
        recent[i] = row;
      }
      row.calls += 1;
      if (record.status === 'error') row.errors += 1;
      row.inputTokens += record.inputTokens ?? 0;
      row.outputTokens += record.outputTokens ?? 0;
      row.cachedInputTokens += record.cacheReadInputTokens ?? 0;
      row.costUsd += record.costUsd ?? 0;
      if (record.confidence !== null) {
        row.confidenceSum += record.confidence;
        row.confidenceCount += 1;
      }
      // The record schema already refuses these; a bad value must still never abort ingest.
      if (isSketchable(record.durationMs)) row.latencyMs.add(record.durationMs);
      if (record.ttftMs !== null && isSketchable(record.ttftMs)) row.ttftMs.add(record.ttftMs);
    }
  }

  private rowFor(
    bucketSec: number,
    start: number,
    dimensionsId: string,
    dimensions: RollupDimensions,
  ): RollupRow {
    const id = tierKey(bucketSec, start, dimensionsId);
    let row = this.byKey.get(id);
    if (row === undefined) {
      row = emptyRollupRow({
        projectId: dimensions.projectId,
        service: dimensions.service,
        provider: dimensions.provider,
        model: dimensions.model,
        operation: dimensions.operation,
        bucketSec,
        bucketStartMs: start,
      });
      this.byKey.set(id, row);
    }
    return row;
  }
}

/** Adds one call to `batch` (see {@link RollupBatch.add}). */
export function addCallToRollups(batch: RollupBatch, record: RollupCallInput): void {
  batch.add(record);
}

/** Counters all zero: the start of a row or of a summary's running totals. */
export const ZERO_ROLLUP_COUNTERS: Readonly<RollupCounters> = Object.freeze({
  calls: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  confidenceSum: 0,
  confidenceCount: 0,
});

/** Adds `source`'s counters into `target` (the additive half of every merge). */
export function addRollupCounters(target: RollupCounters, source: Readonly<RollupCounters>): void {
  target.calls += source.calls;
  target.errors += source.errors;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.cachedInputTokens += source.cachedInputTokens;
  target.costUsd += source.costUsd;
  target.confidenceSum += source.confidenceSum;
  target.confidenceCount += source.confidenceCount;
}

/** Adds `source`'s counters and sketches into `target` (identity fields of `target` kept). */
export function mergeRollupRow(target: RollupRow, source: RollupRow): RollupRow {
  addRollupCounters(target, source);
  target.latencyMs.merge(source.latencyMs);
  target.ttftMs.merge(source.ttftMs);
  return target;
}

/**
 * Merges rows into coarser `bucketSec` buckets (e.g. minute rows into hour rows). Rows
 * of a coarser width than `bucketSec` are rejected, since they cannot be split.
 *
 * @throws {RangeError} when a row's width does not divide `bucketSec`.
 */
export function coarsenRollups(rows: Iterable<RollupRow>, bucketSec: number): RollupRow[] {
  const out = new RollupBatch([bucketSec]);
  for (const row of rows) {
    if (bucketSec % row.bucketSec !== 0) {
      throw new RangeError(`a ${row.bucketSec}s row cannot be merged into ${bucketSec}s buckets`);
    }
    const target = out.row({
      projectId: row.projectId,
      service: row.service,
      provider: row.provider,
      model: row.model,
      operation: row.operation,
      bucketSec,
      bucketStartMs: bucketStartMs(row.bucketStartMs, bucketSec),
    });
    mergeRollupRow(target, row);
  }
  return [...out.rows()];
}

/** The storable form of a row (sketches serialised). */
export function toStoredRollupRow(row: RollupRow): StoredRollupRow {
  const { latencyMs, ttftMs, ...rest } = row;
  return { ...rest, latencySketch: latencyMs.toBytes(), ttftSketch: ttftMs.toBytes() };
}

/**
 * The in-memory form of a stored row.
 *
 * @throws {RangeError} when a sketch column is corrupt.
 */
export function fromStoredRollupRow(stored: StoredRollupRow): RollupRow {
  const { latencySketch, ttftSketch, ...rest } = stored;
  return {
    ...rest,
    latencyMs: QuantileSketch.fromBytes(latencySketch),
    ttftMs: QuantileSketch.fromBytes(ttftSketch),
  };
}

/**
 * The stored row after adding `delta` to `existing` (both the same key): what an upsert
 * writes back. Counters could be added in SQL; the sketches must be merged here.
 */
export function mergeStoredRollupRow(
  existing: StoredRollupRow,
  delta: RollupRow | StoredRollupRow,
): StoredRollupRow {
  const merged = fromStoredRollupRow(existing);
  mergeRollupRow(merged, 'latencyMs' in delta ? delta : fromStoredRollupRow(delta));
  return toStoredRollupRow(merged);
}
