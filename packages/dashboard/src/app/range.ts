// The time ranges of the picker, and the chart interval each one uses.

export type RangeKey = '15m' | '1h' | '24h' | '7d' | '30d';

export interface RangeSpec {
  key: RangeKey;
  label: string;
  ms: number;
  /** Chart interval (a multiple of 60 s: the rollups' finest bucket). */
  intervalSec: number;
}

const MINUTE = 60_000;

export const RANGES: readonly RangeSpec[] = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * MINUTE, intervalSec: 60 },
  { key: '1h', label: 'Last hour', ms: 60 * MINUTE, intervalSec: 60 },
  { key: '24h', label: 'Last day', ms: 24 * 60 * MINUTE, intervalSec: 30 * 60 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 60 * MINUTE, intervalSec: 3 * 3600 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 60 * MINUTE, intervalSec: 12 * 3600 },
];

export const DEFAULT_RANGE: RangeKey = '24h';

export function rangeSpec(key: string | null | undefined): RangeSpec {
  return (
    RANGES.find((r) => r.key === key) ?? (RANGES.find((r) => r.key === DEFAULT_RANGE) as RangeSpec)
  );
}

/** The absolute window of a range ending now. */
export function windowOf(spec: RangeSpec, nowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: nowMs - spec.ms, toMs: nowMs };
}
