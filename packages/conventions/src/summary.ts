/**
 * The shape of `GET /api/summary`: what the collector computes from its rollups and what
 * the dashboard draws. Defined once here so the two never drift apart.
 */

/** p50/p90/p95/p99 in milliseconds, each within the rollup sketch's 1% relative error. */
export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/** The figures of one group over one interval (or over the whole range). */
export interface SummaryPoint {
  /** Interval start, Unix ms (for a group total: the range's `fromMs`). */
  startMs: number;
  calls: number;
  errors: number;
  /** `errors / calls`, 0 when there were no calls. */
  errorRate: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  /** Latency percentiles, null without calls. */
  latencyMs: Percentiles | null;
  /** Time-to-first-token percentiles over streamed calls, null without any. */
  ttftMs: Percentiles | null;
  /** Mean confidence over the calls that reported one, null without any. */
  meanConfidence: number | null;
}

/** One group's series and total. */
export interface SummaryGroup {
  /** The dimension's value (`''` when unknown; `'all'` without `groupBy`). */
  key: string;
  total: SummaryPoint;
  /** Intervals that had calls, in time order. */
  points: SummaryPoint[];
}

/** Dimensions a summary can be grouped by. */
export type SummaryGroupBy = 'model' | 'provider' | 'service' | 'operation' | 'project';

/** The body of `GET /api/summary`. */
export interface SummaryResponse {
  fromMs: number;
  toMs: number;
  groupBy: SummaryGroupBy | null;
  intervalSec: number | null;
  /** Groups, most calls first. */
  groups: SummaryGroup[];
}
