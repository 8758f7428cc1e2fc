// The global time selection, kept in the URL (`range=1h`, or `range=custom&from=&to=`)
// so a view can be shared and reloaded as it is.
import { rangeSpec, windowOf } from './range.js';

export interface TimeWindow {
  fromMs: number;
  toMs: number;
  /** Chart interval for this window. */
  intervalSec: number;
  /** Whether the window moves with the clock (auto-refresh applies). */
  rolling: boolean;
  label: string;
}

/** Interval giving about 60–120 points over `ms`, a multiple of 60 s. */
export function intervalFor(ms: number): number {
  const steps = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];
  for (const s of steps) if (ms / (s * 1000) <= 120) return s;
  return 86400 * Math.ceil(ms / (86400_000 * 120));
}

export function timeWindow(query: URLSearchParams, nowMs: number): TimeWindow {
  if (query.get('range') === 'custom') {
    const from = Number(query.get('from'));
    const to = Number(query.get('to'));
    if (Number.isFinite(from) && Number.isFinite(to) && from > 0 && to > from) {
      return {
        fromMs: from,
        toMs: to,
        intervalSec: intervalFor(to - from),
        rolling: false,
        label: 'Custom range',
      };
    }
  }
  const spec = rangeSpec(query.get('range'));
  return {
    ...windowOf(spec, nowMs),
    intervalSec: spec.intervalSec,
    rolling: true,
    label: spec.label,
  };
}
