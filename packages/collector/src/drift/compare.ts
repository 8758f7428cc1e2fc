/**
 * Comparing two windows of one feature with `@pilotlight/drift`: the part shared by
 * monitor runs and reports.
 */
import { type Bins, type DataKind, type DriftTest, detectDrift } from '@pilotlight/drift';
import type { FeatureSample } from './feature-source.js';
import type { DriftMethod } from './monitor.js';

/** Points of each window's empirical CDF kept for reports. */
const ECDF_POINTS = 101;

/** One window as a result describes it. */
export interface WindowSummary {
  /** `[fromMs, toMs)`, Unix ms (a baseline's own window for a saved baseline). */
  fromMs: number;
  toMs: number;
  /** Calls in the window with a value. */
  total: number;
  /** Values compared (`total`, or the sample cap when `sampled`). */
  size: number;
  /** Whether the values are a uniform random sample of the window. */
  sampled: boolean;
}

/** Why a comparison has no verdict. */
export type ComparisonStatus = 'ok' | 'insufficient_data' | 'error';

/** The outcome of comparing two windows. */
export interface Comparison {
  status: ComparisonStatus;
  /** Why there is no verdict (status other than ok). */
  message?: string;
  kind: DataKind;
  /** The test that ran (after `auto` chose), or null without a verdict. */
  method: DriftTest | null;
  /** The statistic (D for ks, chi-square, or the distance), or null without a verdict. */
  statistic: number | null;
  pValue: number | null;
  threshold: number | null;
  drifted: boolean;
  /** Both windows' histograms (Evidently's binning), or null without a verdict. */
  bins: Bins | null;
  /** Numeric features: each window's quantiles at 0, 1, ..., 100 % (an ECDF to draw). */
  quantiles: { reference: number[]; current: number[] } | null;
}

/** How to compare. */
export interface CompareOptions {
  method: DriftMethod;
  threshold?: number | undefined;
  minSamples: number;
}

/**
 * Compares two samples of a feature. Never throws: invalid input becomes `status: 'error'`.
 *
 * @example
 * ```ts
 * const c = compareSamples(reference, current, { method: 'auto', minSamples: 30 });
 * if (c.drifted) console.log(c.method, c.statistic);
 * ```
 */
export function compareSamples(
  reference: FeatureSample,
  current: FeatureSample,
  options: CompareOptions,
): Comparison {
  const kind = reference.kind;
  const none: Comparison = {
    status: 'ok',
    kind,
    method: null,
    statistic: null,
    pValue: null,
    threshold: null,
    drifted: false,
    bins: null,
    quantiles: null,
  };
  if (current.kind !== kind) {
    return { ...none, status: 'error', message: 'the windows hold different kinds of values' };
  }
  const small = [
    ['reference', reference.values.length],
    ['current', current.values.length],
  ].filter(([, n]) => (n as number) < options.minSamples);
  if (small.length > 0) {
    return {
      ...none,
      status: 'insufficient_data',
      message: small
        .map(([w, n]) => `${w} window has ${n} values, fewer than minSamples ${options.minSamples}`)
        .join('; '),
    };
  }
  try {
    const r = detectDrift(reference.values, current.values, {
      kind,
      method: options.method === 'auto' ? 'auto' : options.method,
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    });
    return {
      status: 'ok',
      kind,
      method: r.method,
      statistic: r.statistic,
      pValue: r.pValue ?? null,
      threshold: r.threshold,
      drifted: r.drifted,
      bins: r.bins,
      quantiles:
        reference.kind === 'numeric' && current.kind === 'numeric'
          ? { reference: quantiles(reference.values), current: quantiles(current.values) }
          : null,
    };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { ...none, status: 'error', message: error.message };
  }
}

/** Quantiles at i/100 (linear interpolation, numpy's default). */
function quantiles(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const out: number[] = [];
  const last = sorted.length - 1;
  for (let i = 0; i < ECDF_POINTS; i++) {
    const pos = (i / (ECDF_POINTS - 1)) * last;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, last);
    out.push(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
  }
  return out;
}
