/**
 * Evaluating a rule over its window from pre-aggregated rollups: the cost grows with the
 * number of rollup buckets in the window (bounded: at most 7 days, read mostly from
 * 1-hour and 1-day rows), never with the number of stored calls.
 */
import type { RollupRow } from '../rollups/rollup.js';
import {
  planSummary,
  type RollupRange,
  type SummaryFilter,
  type SummaryPoint,
  summarize,
} from '../rollups/summary.js';
import type { AlertMetric, AlertRule, GroupDimension, RuleFilters } from './rule.js';
import type { Evaluation } from './state.js';

/** Rollups' finest resolution: windows end on a whole minute. */
const MINUTE_MS = 60_000;

/** What a rollup read is asked for. */
export interface RollupWindowQuery {
  projectId: string;
  filters: RuleFilters;
  /** Split per value of this dimension, or one aggregate when null. */
  groupBy: GroupDimension | null;
  /** `[fromMs, toMs)`, Unix ms, whole minutes. */
  fromMs: number;
  toMs: number;
}

/**
 * The figures of one group over a window. The rollups engineer's `SummaryPoint`
 * satisfies it as is.
 */
export type WindowAggregate = Pick<
  SummaryPoint,
  | 'calls'
  | 'errors'
  | 'inputTokens'
  | 'outputTokens'
  | 'costUsd'
  | 'latencyMs'
  | 'ttftMs'
  | 'meanConfidence'
>;

/** One group's aggregate (`group` is `''` when the query has no `groupBy`). */
export interface GroupAggregate {
  group: string;
  aggregate: WindowAggregate;
}

/** Reads aggregates from rollups. Implementations must not scan raw calls. */
export interface RollupReader {
  read(query: RollupWindowQuery): Promise<GroupAggregate[]>;
}

/** The latest run of a drift monitor, as a `drift` rule reads it. */
export interface DriftRunSummary {
  /** The test's statistic (PSI, KS D, ...): the rule's value. */
  statistic: number;
  drifted: boolean;
  referenceSize: number;
  currentSize: number;
  ranAtMs: number;
}

/** Reads drift monitor runs (the drift engineer's run table). */
export interface DriftRunReader {
  /** The newest run of `monitorId` that ran in `[fromMs, toMs)`, or null. */
  latestRun(
    projectId: string,
    monitorId: string,
    fromMs: number,
    toMs: number,
  ): Promise<DriftRunSummary | null>;
}

/** Where evaluations read from. */
export interface EvaluationSources {
  rollups: RollupReader;
  /** Needed only by `drift` rules. */
  drift?: DriftRunReader;
}

/** The rule fields evaluation reads. */
export type EvaluatedRule = Pick<
  AlertRule,
  'id' | 'projectId' | 'metric' | 'filters' | 'groupBy' | 'windowSec' | 'monitorId'
>;

/** The window a rule evaluated at `nowMs` covers: the last `windowSec` of whole minutes. */
export function ruleWindow(windowSec: number, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  return { fromMs: toMs - windowSec * 1000, toMs };
}

/**
 * The metric's value over an aggregate. Counting metrics (`calls`, `cost`, `tokens`) are 0
 * over an empty window; the others have no value (null) without the calls they describe.
 */
export function metricValue(
  metric: Exclude<AlertMetric, 'drift'>,
  a: WindowAggregate,
): number | null {
  switch (metric) {
    case 'latency_p50':
      return a.latencyMs?.p50 ?? null;
    case 'latency_p95':
      return a.latencyMs?.p95 ?? null;
    case 'latency_p99':
      return a.latencyMs?.p99 ?? null;
    case 'ttft_p95':
      return a.ttftMs?.p95 ?? null;
    case 'error_rate':
      return a.calls === 0 ? null : a.errors / a.calls;
    case 'calls':
      return a.calls;
    case 'cost':
      return a.costUsd;
    case 'tokens':
      return a.inputTokens + a.outputTokens;
    case 'mean_confidence':
      return a.meanConfidence;
  }
}

const EMPTY: WindowAggregate = {
  calls: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  latencyMs: null,
  ttftMs: null,
  meanConfidence: null,
};

/**
 * Evaluates a rule at `nowMs`: one {@link Evaluation} per group with data, plus one
 * (without data) for each of `knownGroups` that has none this time, so that their alerts
 * can resolve. An ungrouped rule always yields exactly one evaluation (group `''`).
 *
 * @throws {Error} for a `drift` rule when `sources.drift` is missing.
 *
 * @example
 * ```ts
 * const evaluations = await evaluateRule(rule, { rollups: reader }, Date.now(), knownGroups);
 * ```
 */
export async function evaluateRule(
  rule: EvaluatedRule,
  sources: EvaluationSources,
  nowMs: number,
  knownGroups: Iterable<string> = [],
): Promise<Evaluation[]> {
  const { fromMs, toMs } = ruleWindow(rule.windowSec, nowMs);
  const base = { ruleId: rule.id, windowStartMs: fromMs, windowEndMs: toMs };
  const metric = rule.metric;
  if (metric === 'drift') {
    if (sources.drift === undefined) throw new Error(`rule ${rule.id}: no drift run reader`);
    const run = await sources.drift.latestRun(rule.projectId, rule.monitorId ?? '', fromMs, toMs);
    return [
      {
        ...base,
        group: '',
        value: run?.statistic ?? null,
        calls: run === null ? 0 : Math.min(run.referenceSize, run.currentSize),
      },
    ];
  }
  const groupBy = rule.groupBy ?? null;
  const found = await sources.rollups.read({
    projectId: rule.projectId,
    filters: rule.filters,
    groupBy,
    fromMs,
    toMs,
  });
  const out: Evaluation[] = [];
  const seen = new Set<string>();
  for (const { group, aggregate } of found) {
    const key = groupBy === null ? '' : group;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      ...base,
      group: key,
      value: metricValue(metric, aggregate),
      calls: aggregate.calls,
    });
  }
  const missing = groupBy === null ? [''] : knownGroups;
  for (const group of missing) {
    if (seen.has(group)) continue;
    seen.add(group);
    out.push({ ...base, group, value: metricValue(metric, EMPTY), calls: 0 });
  }
  return out;
}

/** Loads the stored rollup rows of the given ranges (`bucket_sec = r.bucketSec AND bucket_start_ms ∈ [r.fromMs, r.toMs)`). */
export type LoadRollupRows = (
  projectId: string,
  ranges: readonly RollupRange[],
) => Promise<Iterable<RollupRow>> | Iterable<RollupRow>;

/**
 * A {@link RollupReader} over stored rollup rows: plans the coarsest tiers covering the
 * window (`planSummary`), loads just those rows, and merges them (`summarize`).
 *
 * @example
 * ```ts
 * const reader = createRollupReader((projectId, ranges) => store.readRollups(projectId, ranges));
 * ```
 */
export function createRollupReader(load: LoadRollupRows): RollupReader {
  return {
    async read(query) {
      const filter: SummaryFilter = { projectId: query.projectId, ...query.filters };
      const options = {
        from: query.fromMs,
        to: query.toMs,
        filter,
        ...(query.groupBy === null ? {} : { groupBy: query.groupBy }),
      };
      const rows = await load(query.projectId, planSummary(options).ranges);
      return summarize(rows, options).groups.map((g) => ({
        group: query.groupBy === null ? '' : g.key,
        aggregate: g.total,
      }));
    },
  };
}
