// The Overview's fallback while the collector has no `GET /api/summary`: the same Summary
// shape computed in the browser from a bounded number of the range's most recent calls.
// Exact percentiles (linear interpolation between closest ranks, numpy's default).
import type {
  CallRecord,
  Percentiles,
  Summary,
  SummaryGroup,
  SummaryGroupBy,
  SummaryPoint,
} from './api.js';

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p95: percentile(s, 0.95),
    p99: percentile(s, 0.99),
  };
}

function point(startMs: number, calls: CallRecord[]): SummaryPoint {
  const errors = calls.filter((c) => c.status === 'error').length;
  const conf = calls.flatMap((c) => (c.confidence === null ? [] : [c.confidence]));
  return {
    startMs,
    calls: calls.length,
    errors,
    errorRate: calls.length === 0 ? 0 : errors / calls.length,
    inputTokens: calls.reduce((n, c) => n + (c.inputTokens ?? 0), 0),
    outputTokens: calls.reduce((n, c) => n + (c.outputTokens ?? 0), 0),
    cachedInputTokens: calls.reduce((n, c) => n + (c.cacheReadInputTokens ?? 0), 0),
    costUsd: calls.reduce((n, c) => n + (c.costUsd ?? 0), 0),
    latencyMs: percentiles(calls.map((c) => c.durationMs)),
    ttftMs: percentiles(calls.flatMap((c) => (c.ttftMs === null ? [] : [c.ttftMs]))),
    meanConfidence: conf.length === 0 ? null : conf.reduce((a, b) => a + b, 0) / conf.length,
  };
}

function keyOf(c: CallRecord, groupBy: SummaryGroupBy | undefined): string {
  if (groupBy === undefined) return 'all';
  const v = {
    model: c.model,
    provider: c.provider,
    service: c.serviceName,
    operation: c.operation,
  }[groupBy];
  return v ?? '';
}

/**
 * Whether a span counts as a model call: it names an operation, a model or a provider
 * (the collector's rollups count the same spans; a plain parent span does not count).
 */
export function isModelCall(c: CallRecord): boolean {
  return c.operation !== null || c.model !== null || c.provider !== null;
}

/** Groups model calls by one dimension and interval, like the collector's `/api/summary`. */
export function summarizeCalls(
  calls: readonly CallRecord[],
  options: { fromMs: number; toMs: number; intervalSec: number; groupBy?: SummaryGroupBy },
): Summary {
  const stepMs = options.intervalSec * 1000;
  const groups = new Map<string, CallRecord[]>();
  for (const c of calls) {
    if (!isModelCall(c)) continue;
    const t = Date.parse(c.startTime);
    if (!(t >= options.fromMs && t < options.toMs)) continue;
    const k = keyOf(c, options.groupBy);
    const list = groups.get(k) ?? [];
    list.push(c);
    groups.set(k, list);
  }
  const out: SummaryGroup[] = [...groups].map(([key, list]) => {
    const buckets = new Map<number, CallRecord[]>();
    for (const c of list) {
      const start = Math.floor(Date.parse(c.startTime) / stepMs) * stepMs;
      const b = buckets.get(start) ?? [];
      b.push(c);
      buckets.set(start, b);
    }
    return {
      key,
      total: point(options.fromMs, list),
      points: [...buckets].sort(([a], [b]) => a - b).map(([start, b]) => point(start, b)),
    };
  });
  out.sort((a, b) => b.total.calls - a.total.calls);
  return {
    fromMs: options.fromMs,
    toMs: options.toMs,
    groupBy: options.groupBy ?? null,
    intervalSec: options.intervalSec,
    groups: out,
  };
}
