import type {
  Percentiles,
  SummaryGroup,
  SummaryGroupBy,
  SummaryPoint,
  SummaryResponse,
} from '@pilotlight/conventions';
import {
  addRollupCounters,
  ROLLUP_BUCKETS_SEC,
  type RollupCounters,
  type RollupKey,
  type RollupRow,
  type StoredRollupRow,
  ZERO_ROLLUP_COUNTERS,
} from './rollup.js';
import { QuantileSketch } from './sketch.js';

/**
 * Most intervals one summary may return per group. 30 days at 5-minute intervals is
 * 8,640; anything finer over a long range is a mistake a chart cannot show anyway.
 */
export const MAX_SUMMARY_INTERVALS = 10_000;

/** The quantiles every summary reports: p50, p90, p95, p99. */
export const SUMMARY_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/**
 * A stored rollup row as summaries read it. A row stored with its own percentiles (the
 * one-dimension rows) needs no sketch when it is alone in its interval, so its sketches may
 * be left unread (null); they are needed as soon as it is merged with other rows.
 */
export interface SummaryRollupRow extends RollupKey, RollupCounters {
  latencySketch: Uint8Array | null;
  ttftSketch: Uint8Array | null;
  /**
   * Latency percentiles of the row's own calls, computed when it was written (null: no
   * values); undefined when none were stored (then its sketch is read and merged).
   */
  latencyPercentiles?: Percentiles | null;
  /** TTFT percentiles, as {@link SummaryRollupRow.latencyPercentiles}. */
  ttftPercentiles?: Percentiles | null;
}

/** Rows {@link summarize} takes: in memory (a batch's) or stored. */
export type SummaryInputRow = RollupRow | StoredRollupRow | SummaryRollupRow;

// The wire shape lives in conventions (the dashboard draws it); re-exported for callers here.
export type { Percentiles, SummaryGroup, SummaryGroupBy, SummaryPoint, SummaryResponse };

/** Row filters (exact match); `''` selects rows where the dimension is unknown. */
export interface SummaryFilter {
  projectId?: string;
  service?: string;
  provider?: string;
  model?: string;
  operation?: string;
}

/** Options of {@link summarize} and {@link planSummary}. */
export interface SummaryOptions {
  /** Range start, Unix ms (rounded down to the minute: rollups' finest resolution). */
  from: number;
  /** Range end (exclusive), Unix ms (rounded up to the minute). */
  to: number;
  /** Group dimension; without it, one group keyed `'all'`. */
  groupBy?: SummaryGroupBy;
  /**
   * Interval width in seconds, a multiple of 60; intervals are aligned to the Unix epoch
   * (so days are UTC days). Without it, one interval spans the whole range.
   */
  intervalSec?: number;
  filter?: SummaryFilter;
  /** Stored tiers; defaults to {@link ROLLUP_BUCKETS_SEC}. */
  bucketsSec?: readonly number[];
  /**
   * How long each tier is kept, when finer tiers expire sooner than coarser ones. Edges
   * of the range that fall where a finer tier has expired are then read from the coarser
   * tier, widening the range to that tier's bucket (the plan's `fromMs`/`toMs` say so).
   */
  retention?: RollupRetention;
}

/** Which rollup rows still exist: rows of a tier older than its keep time are deleted. */
export interface RollupRetention {
  /** The current time, Unix ms (passed in: planning never reads the clock). */
  nowMs: number;
  /**
   * Seconds each tier is kept; a tier not listed is kept forever. A coarser tier must be
   * kept at least as long as a finer one (see {@link DEFAULT_ROLLUP_KEEP_SEC}).
   */
  keepSecByTier: Readonly<Record<number, number>>;
}

/**
 * Proposed default keep times per tier: minute rows 3 days, 5-minute rows 35 days, hour
 * rows 400 days, day rows 5 years. Enough for a 1-minute chart of the last day, a
 * 5-minute chart of the last month, hourly charts over a year.
 */
export const DEFAULT_ROLLUP_KEEP_SEC: Readonly<Record<number, number>> = {
  60: 3 * 86_400,
  300: 35 * 86_400,
  3600: 400 * 86_400,
  86400: 1830 * 86_400,
};

/**
 * Start of the oldest bucket of `bucketSec` still kept: rows with `bucket_start_ms` below it
 * are deleted (`-Infinity` when the tier is kept forever).
 */
export function rollupCutoffMs(retention: RollupRetention, bucketSec: number): number {
  const keepSec = retention.keepSecByTier[bucketSec];
  if (keepSec === undefined) return Number.NEGATIVE_INFINITY;
  const widthMs = bucketSec * 1000;
  return Math.ceil((retention.nowMs - keepSec * 1000) / widthMs) * widthMs;
}

/** One range of stored rows to read: `bucket_sec = bucketSec AND bucket_start_ms ∈ [fromMs, toMs)`. */
export interface RollupRange {
  bucketSec: number;
  fromMs: number;
  toMs: number;
}

/** What to read for a summary (see {@link planSummary}). */
export interface SummaryPlan {
  /**
   * The range actually covered, minute-aligned; wider than asked where retention made an
   * edge come from a coarser tier, narrower where no tier reaches back that far.
   */
  fromMs: number;
  toMs: number;
  /** Interval width in seconds, or null for one interval over the whole range. */
  intervalSec: number | null;
  /** Disjoint ranges covering `[fromMs, toMs)`, coarsest tiers in the middle. */
  ranges: RollupRange[];
}

/** Result of {@link summarize}: the `GET /api/summary` body plus what it cost. */
export interface Summary extends SummaryResponse {
  /** Rollup rows merged: the summary's cost, independent of the number of calls. */
  rowsUsed: number;
}

/**
 * Decides which stored rows answer a summary: the range rounded to whole minutes, covered
 * by the coarsest tiers that fit. The largest usable tier is the coarsest one dividing
 * `intervalSec` (so each stored bucket falls inside one interval); the middle of the range
 * is read from that tier and only the ragged edges from finer ones. A 30-day range at
 * 1-hour intervals reads 1-hour rows, plus at most a few minute/5-minute rows at each end.
 *
 * @throws {RangeError} on an empty or non-finite range, an interval that is not a positive
 * multiple of the finest tier, or more than {@link MAX_SUMMARY_INTERVALS} intervals.
 */
export function planSummary(options: SummaryOptions): SummaryPlan {
  const tiers = [...(options.bucketsSec ?? ROLLUP_BUCKETS_SEC)].sort((a, b) => a - b);
  const finest = tiers[0];
  if (finest === undefined) throw new RangeError('no rollup tiers');
  for (let i = 1; i < tiers.length; i++) {
    if (tiers[i]! % tiers[i - 1]! !== 0) throw new RangeError('rollup tiers must nest');
  }
  const { from, to } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError(`invalid range: from=${from} to=${to}`);
  }
  const finestMs = finest * 1000;
  const fromMs = Math.floor(from / finestMs) * finestMs;
  const toMs = Math.ceil(to / finestMs) * finestMs;
  const intervalSec = options.intervalSec ?? null;
  let usable = tiers;
  if (intervalSec !== null) {
    if (!Number.isInteger(intervalSec) || intervalSec <= 0 || intervalSec % finest !== 0) {
      throw new RangeError(
        `intervalSec must be a positive multiple of ${finest}, got ${intervalSec}`,
      );
    }
    const intervalMs = intervalSec * 1000;
    const intervals = (Math.ceil(toMs / intervalMs) - Math.floor(fromMs / intervalMs)) as number;
    if (intervals > MAX_SUMMARY_INTERVALS) {
      throw new RangeError(
        `${intervals} intervals of ${intervalSec}s exceed the limit of ${MAX_SUMMARY_INTERVALS}`,
      );
    }
    usable = tiers.filter((t) => intervalSec % t === 0);
  }
  const retention = options.retention;
  const cutoff = (t: number): number =>
    retention === undefined ? Number.NEGATIVE_INFINITY : rollupCutoffMs(retention, t);
  const tiersDesc = usable.slice().reverse();
  // Nothing older than the coarsest usable tier's oldest kept bucket exists in any tier.
  const start = Math.max(fromMs, cutoff(tiersDesc[0]!));
  const ranges = start < toMs ? cover(start, toMs, tiersDesc, cutoff) : [];
  return {
    fromMs: ranges.length === 0 ? start : Math.min(...ranges.map((r) => r.fromMs)),
    toMs: ranges.length === 0 ? Math.max(start, toMs) : Math.max(...ranges.map((r) => r.toMs)),
    intervalSec,
    ranges,
  };
}

/**
 * The plan of a summary's per-group totals, when they can be read apart from its
 * intervals: the whole range from the coarsest tiers (a month's day rows rather than its
 * 720 hour rows). Null without intervals (the one interval is the total) or when that
 * plan would cover another span than the intervals' (retention of the tiers differs).
 *
 * @throws {RangeError} as {@link planSummary}.
 */
export function planTotals(options: SummaryOptions): SummaryPlan | null {
  if (options.intervalSec === undefined) return null;
  const plan = planSummary(options);
  const { intervalSec: _, ...whole } = options;
  const totals = planSummary(whole);
  return totals.fromMs === plan.fromMs && totals.toMs === plan.toMs ? totals : null;
}

/**
 * Covers `[a, b)` with the coarsest tiers (descending), the middle from the coarsest and
 * the ragged edges from finer ones. An edge whose finer tiers have expired (`cutoff`) is
 * read from the finest tier still kept there, widening the edge to that tier's bucket.
 * Every bucket of `tiersDesc[0]` from `a` on must still be kept.
 */
function cover(
  a: number,
  b: number,
  tiersDesc: readonly number[],
  cutoff: (bucketSec: number) => number,
): RollupRange[] {
  if (a >= b) return [];
  const [tier, ...finer] = tiersDesc;
  if (tier === undefined) return [];
  const widthMs = tier * 1000;
  if (finer.length === 0) {
    return [
      {
        bucketSec: tier,
        fromMs: Math.floor(a / widthMs) * widthMs,
        toMs: Math.ceil(b / widthMs) * widthMs,
      },
    ];
  }
  /** The finer tiers whose bucket holding `x` is still kept (then every later one is too). */
  const keptAt = (x: number): number[] =>
    finer.filter((t) => Math.floor(x / (t * 1000)) * t * 1000 >= cutoff(t));
  /** Covers `[x, y)` with the finer tiers kept at `x`, or with this tier's buckets. */
  const edge = (x: number, y: number): RollupRange[] => {
    if (x >= y) return [];
    const kept = keptAt(x);
    if (kept.length === 0) {
      return [
        {
          bucketSec: tier,
          fromMs: Math.floor(x / widthMs) * widthMs,
          toMs: Math.ceil(y / widthMs) * widthMs,
        },
      ];
    }
    const finestMs = kept[kept.length - 1]! * 1000;
    return cover(
      Math.floor(x / finestMs) * finestMs,
      Math.ceil(y / finestMs) * finestMs,
      kept,
      cutoff,
    );
  };
  const start = Math.ceil(a / widthMs) * widthMs;
  const end = Math.floor(b / widthMs) * widthMs;
  if (start >= end) return edge(a, b);
  return [...edge(a, start), { bucketSec: tier, fromMs: start, toMs: end }, ...edge(end, b)];
}

function inRanges(row: RollupKey, ranges: readonly RollupRange[]): boolean {
  for (const r of ranges) {
    if (
      row.bucketSec === r.bucketSec &&
      row.bucketStartMs >= r.fromMs &&
      row.bucketStartMs < r.toMs
    ) {
      return true;
    }
  }
  return false;
}

function matches(row: RollupKey, filter: SummaryFilter | undefined): boolean {
  if (filter === undefined) return true;
  return (
    (filter.projectId === undefined || row.projectId === filter.projectId) &&
    (filter.service === undefined || row.service === filter.service) &&
    (filter.provider === undefined || row.provider === filter.provider) &&
    (filter.model === undefined || row.model === filter.model) &&
    (filter.operation === undefined || row.operation === filter.operation)
  );
}

function groupKey(row: RollupKey, groupBy: SummaryGroupBy | undefined): string {
  switch (groupBy) {
    case undefined:
      return 'all';
    case 'project':
      return row.projectId;
    case 'model':
      return row.model;
    case 'provider':
      return row.provider;
    case 'service':
      return row.service;
    case 'operation':
      return row.operation;
  }
}

/** Running totals of one group × interval. */
interface Accumulator extends RollupCounters {
  startMs: number;
  latency: QuantileSketch;
  ttft: QuantileSketch;
}

function newAccumulator(startMs: number): Accumulator {
  return {
    startMs,
    ...ZERO_ROLLUP_COUNTERS,
    latency: new QuantileSketch(),
    ttft: new QuantileSketch(),
  };
}

function resetAccumulator(acc: Accumulator, startMs: number): void {
  acc.startMs = startMs;
  Object.assign(acc, ZERO_ROLLUP_COUNTERS);
  acc.latency.clear();
  acc.ttft.clear();
}

function unread(): never {
  // The caller asked for a row without its sketches where it had to be merged.
  throw new Error('summarize: a rollup row was read without the sketches its merge needs');
}

function accumulate(acc: Accumulator, src: SummaryInputRow | Accumulator): void {
  addRollupCounters(acc, src);
  mergeSketches(acc, src);
}

function mergeSketches(acc: Accumulator, src: SummaryInputRow | Accumulator): void {
  if ('latencySketch' in src) {
    // Stored rows merge straight from their bytes: no sketch is built per row.
    acc.latency.mergeBytes(src.latencySketch ?? unread());
    acc.ttft.mergeBytes(src.ttftSketch ?? unread());
  } else if ('latencyMs' in src) {
    acc.latency.merge(src.latencyMs);
    acc.ttft.merge(src.ttftMs);
  } else {
    acc.latency.merge(src.latency);
    acc.ttft.merge(src.ttft);
  }
}

/** Whether a row brings its own percentiles (then, alone in its interval, it is the point). */
function hasPercentiles(
  row: SummaryInputRow,
): row is SummaryRollupRow & { latencyPercentiles: Percentiles | null } {
  return 'latencyPercentiles' in row && row.latencyPercentiles !== undefined;
}

function percentiles(sketch: QuantileSketch): Percentiles | null {
  if (sketch.count === 0) return null;
  const [p50, p90, p95, p99] = sketch.quantiles(SUMMARY_QUANTILES) as [
    number,
    number,
    number,
    number,
  ];
  return { p50, p90, p95, p99 };
}

function pointOf(
  startMs: number,
  c: RollupCounters,
  latencyMs: Percentiles | null,
  ttftMs: Percentiles | null,
): SummaryPoint {
  return {
    startMs,
    calls: c.calls,
    errors: c.errors,
    errorRate: c.calls === 0 ? 0 : c.errors / c.calls,
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    cachedInputTokens: c.cachedInputTokens,
    costUsd: c.costUsd,
    latencyMs,
    ttftMs,
    meanConfidence: c.confidenceCount === 0 ? null : c.confidenceSum / c.confidenceCount,
  };
}

function toPoint(acc: Accumulator): SummaryPoint {
  return pointOf(acc.startMs, acc, percentiles(acc.latency), percentiles(acc.ttft));
}

/**
 * Summarises rollup rows per group and interval: calls, errors, error rate, tokens, cost,
 * latency and TTFT p50/p90/p95/p99, mean confidence. Work is proportional to the rows
 * given, never to the calls behind them. Pass the rows of {@link planSummary}'s ranges
 * (more is harmless: rows outside the plan or the filter are ignored, so tiers are never
 * double counted). Stored rows (sketches as bytes, straight from the database) are merged
 * without decoding each row's sketches first; a row that is alone in its interval and
 * brings its stored percentiles is not merged at all.
 *
 * With `totalRows` (the rows of {@link planTotals}' ranges, sketches included), each
 * group's total percentiles are merged from those (a month's 30 day rows, not its 720 hour
 * rows), so the interval rows need sketches only where an interval holds several rows.
 * Its counters are always the sum of the intervals'.
 *
 * @example
 * ```ts
 * const options = { from: Date.now() - 30 * 86_400_000, to: Date.now(), groupBy: 'model', intervalSec: 3600 } as const;
 * const rows = store.readRollups(projectId, planSummary(options).ranges);
 * const { groups } = summarize(rows, options);
 * ```
 *
 * @throws {RangeError} as {@link planSummary}, or when `totalRows` is given and
 * {@link planTotals} is null.
 */
export function summarize(
  rows: Iterable<SummaryInputRow>,
  options: SummaryOptions,
  totalRows?: Iterable<SummaryInputRow>,
): Summary {
  return build(rows, options, totalRows, undefined);
}

/**
 * {@link summarize}, straight to the JSON text of the answer, with intervals that a store
 * serialised itself (`serialized`, one entry per group: see `marginalPointsQuery`) spliced
 * in among those built from `rows`. The same text as `JSON.stringify(summarize(...))` of
 * all the rows, but for how doubles are printed (each parses to the same value).
 * `serialized` intervals must not share an interval with `rows`; totals come from
 * `totalRows` (required).
 *
 * @returns the JSON and how many intervals (records) it holds.
 * @throws {RangeError} as {@link summarize}.
 */
export function summarizeJson(
  rows: Iterable<SummaryInputRow>,
  options: SummaryOptions,
  totalRows: Iterable<SummaryInputRow>,
  serialized: readonly SerializedPointsLike[],
): { json: string; records: number } {
  const byKey = new Map(serialized.map((s) => [s.key, s]));
  const summary = build(rows, options, totalRows, byKey);
  let records = 0;
  const groups = summary.groups.map((g) => {
    const s = byKey.get(g.key);
    records += g.points.length;
    if (s === undefined) return JSON.stringify(g);
    records += s.points;
    const parts: string[] = [];
    let i = 0;
    while (i < g.points.length && g.points[i]!.startMs < s.firstStartMs) {
      parts.push(JSON.stringify(g.points[i++]));
    }
    parts.push(s.json);
    while (i < g.points.length) parts.push(JSON.stringify(g.points[i++]));
    return `{"key":${JSON.stringify(g.key)},"total":${JSON.stringify(g.total)},"points":[${parts.join(',')}]}`;
  });
  const json = `{"fromMs":${summary.fromMs},"toMs":${summary.toMs},"groupBy":${JSON.stringify(summary.groupBy)},"intervalSec":${JSON.stringify(summary.intervalSec)},"groups":[${groups.join(',')}],"rowsUsed":${summary.rowsUsed}}`;
  return { json, records };
}

/** A group's intervals serialised elsewhere (structurally `SerializedPoints` of marginals). */
export interface SerializedPointsLike {
  key: string;
  json: string;
  points: number;
  firstStartMs: number;
  counters: RollupCounters;
}

function build(
  rows: Iterable<SummaryInputRow>,
  options: SummaryOptions,
  totalRows: Iterable<SummaryInputRow> | undefined,
  serialized: ReadonlyMap<string, SerializedPointsLike> | undefined,
): Summary {
  const plan = planSummary(options);
  const intervalMs = plan.intervalSec === null ? null : plan.intervalSec * 1000;
  // First only sort row references into group → interval; the merging happens after, one
  // interval at a time into a reused accumulator, so memory stays O(groups), not O(points).
  // An interval of one row (the common case) holds the row itself, not an array.
  const groups = new Map<string, Map<number, SummaryInputRow | SummaryInputRow[]>>();
  let rowsUsed = 0;
  for (const row of rows) {
    if (!inRanges(row, plan.ranges) || !matches(row, options.filter)) continue;
    rowsUsed++;
    const key = groupKey(row, options.groupBy);
    const startMs =
      intervalMs === null ? plan.fromMs : Math.floor(row.bucketStartMs / intervalMs) * intervalMs;
    let series = groups.get(key);
    if (series === undefined) {
      series = new Map();
      groups.set(key, series);
    }
    const held = series.get(startMs);
    if (held === undefined) series.set(startMs, row);
    else if (Array.isArray(held)) held.push(row);
    else series.set(startMs, [held, row]);
  }
  if (serialized !== undefined) {
    if (totalRows === undefined) throw new RangeError('serialized intervals need totalRows');
    for (const [key, s] of serialized) {
      rowsUsed += s.points;
      if (!groups.has(key)) groups.set(key, new Map());
    }
  }
  let totals: Map<string, SummaryInputRow[]> | null = null;
  if (totalRows !== undefined) {
    const totalsPlan = planTotals(options);
    if (totalsPlan === null) {
      throw new RangeError('totalRows given, but the totals cannot be read apart (planTotals)');
    }
    totals = new Map();
    for (const row of totalRows) {
      if (!inRanges(row, totalsPlan.ranges) || !matches(row, options.filter)) continue;
      rowsUsed++;
      const key = groupKey(row, options.groupBy);
      const list = totals.get(key);
      if (list === undefined) totals.set(key, [row]);
      else list.push(row);
    }
  }
  const out: SummaryGroup[] = [];
  const scratch = newAccumulator(0);
  for (const [key, series] of groups) {
    const total = newAccumulator(plan.fromMs);
    const points: SummaryPoint[] = [];
    const elsewhere = serialized?.get(key);
    if (elsewhere !== undefined) addRollupCounters(total, elsewhere.counters);
    for (const startMs of [...series.keys()].sort((a, b) => a - b)) {
      const held = series.get(startMs)!;
      if (!Array.isArray(held) && hasPercentiles(held)) {
        points.push(pointOf(startMs, held, held.latencyPercentiles, held.ttftPercentiles ?? null));
        if (totals === null) accumulate(total, held);
        else addRollupCounters(total, held);
        continue;
      }
      resetAccumulator(scratch, startMs);
      if (Array.isArray(held)) for (const row of held) accumulate(scratch, row);
      else accumulate(scratch, held);
      if (totals === null) accumulate(total, scratch);
      else addRollupCounters(total, scratch);
      points.push(toPoint(scratch));
    }
    let totalPoint: SummaryPoint;
    const own = totals?.get(key) ?? [];
    const only = own.length === 1 ? own[0]! : null;
    if (totals === null) totalPoint = toPoint(total);
    else if (only !== null && hasPercentiles(only)) {
      // One stored row is the whole range (a day's summary from its day row).
      totalPoint = pointOf(
        total.startMs,
        total,
        only.latencyPercentiles,
        only.ttftPercentiles ?? null,
      );
    } else {
      for (const row of own) mergeSketches(total, row);
      totalPoint = toPoint(total);
    }
    out.push({ key, total: totalPoint, points });
  }
  out.sort((a, b) => b.total.calls - a.total.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    fromMs: plan.fromMs,
    toMs: plan.toMs,
    groupBy: options.groupBy ?? null,
    intervalSec: plan.intervalSec,
    groups: out,
    rowsUsed,
  };
}
