import { type EcdfExtremes, ecdfExtremesBucketed, ecdfExtremesSorted } from './ecdf.js';
import { sortedCopy } from './sort.js';
import { kolmogorovSf } from './special/kolmogorov.js';
import {
  probOneSidedBand,
  probOneSidedSquare,
  probOutsideBand,
  probOutsideSquare,
} from './special/ks-exact.js';
import type { KsAlternative, KsMethod, KsResult, NumericWindow } from './types.js';
import { scanFloat64 } from './validate.js';

/** scipy's MAX_AUTO_N: `auto` uses the exact distribution while the larger window has at most this many values. */
export const KS_MAX_EXACT_N = 10_000;
const INT32_MAX = 2_147_483_647;
// From this many values in total the statistic is found by bucketing instead of sorting.
const BUCKETED_MIN_TOTAL = 100_000;

/** Options of {@link ks2samp}. */
export interface KsOptions {
  /** `auto` (default): exact while max(n, m) <= 10,000, else asymptotic. */
  method?: 'auto' | 'exact' | 'asymp';
  /** Alternative hypothesis; default `two-sided`. */
  alternative?: KsAlternative;
}

/**
 * Two-sample Kolmogorov-Smirnov test, reproducing `scipy.stats.ks_2samp(reference, current)`.
 *
 * D = max_x |F_ref(x) - F_cur(x)| over the pooled values, with right-continuous ECDFs
 * (ties handled by evaluating at each distinct value). The p-value comes from the exact null
 * distribution (Hodges 1958; D rounded to h/lcm(n, m) first) when `method` is `exact`, or is
 * `auto` and the larger window has at most 10,000 values; otherwise from
 * `kstwo.sf(D, round(n m / (n + m)))` with round-half-to-even (the exact one-sample
 * Kolmogorov distribution at the effective size). The exact distribution assumes continuous
 * data: ties are not corrected for, as in scipy.
 *
 * Copies each window once (a `Float64Array` that is then sorted in place).
 *
 * @example
 * ```ts
 * const { statistic, pValue, method } = ks2samp([1, 2, 3], [4, 5, 6]);
 * // statistic 1, pValue 0.1, method 'exact'
 * ```
 * @throws {RangeError} if a window is empty or holds NaN, ±Infinity or a non-number, or an
 * option is not one of the documented values.
 */
export function ks2samp(
  reference: NumericWindow,
  current: NumericWindow,
  options: KsOptions = {},
): KsResult {
  checkOptions(options);
  if (reference.length + current.length >= BUCKETED_MIN_TOTAL) {
    // Large windows: no sort at all (see ecdfExtremesBucketed); Float64Array input is not copied.
    const a = scanFloat64(reference, 'reference');
    const b = scanFloat64(current, 'current');
    const range = { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
    const extremes = ecdfExtremesBucketed(a.data, b.data, range);
    return ksFromExtremes(extremes, a.data.length, b.data.length, options);
  }
  const a = sortedCopy(reference, 'reference');
  const b = sortedCopy(current, 'current');
  return ks2sampSorted(a, b, options);
}

/** {@link ks2samp} on windows that are already validated and sorted ascending. */
export function ks2sampSorted(a: Float64Array, b: Float64Array, options: KsOptions = {}): KsResult {
  return ksFromExtremes(ecdfExtremesSorted(a, b), a.length, b.length, options);
}

/** Statistic and p-value from the ECDF extremes, following scipy's ks_2samp step by step. */
function ksFromExtremes(
  { maxS, minS }: EcdfExtremes,
  n1: number,
  n2: number,
  options: KsOptions,
): KsResult {
  const alternative = options.alternative ?? 'two-sided';
  let mode = options.method ?? 'auto';
  let d: number;
  if (alternative === 'less' || (alternative === 'two-sided' && minS > maxS)) d = minS;
  else d = maxS;

  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  if (mode === 'auto') mode = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  else if (mode === 'exact' && n1g >= INT32_MAX / n2g) mode = 'asymp';

  let method: KsMethod = 'asymp';
  if (mode === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const prob = exactProb(n1, n2, g, h, alternative);
    if (prob >= 0 && prob <= 1) return { statistic: d, pValue: prob, method: 'exact' };
    method = 'asymp_after_exact_failed';
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  let prob: number;
  if (alternative === 'two-sided') {
    prob = kolmogorovSf(roundHalfEven(en), d);
  } else {
    // Hodges' approximation, eq. 5.3 (m the larger window), as scipy uses.
    const z = Math.sqrt(en) * d;
    const expt = -2 * z ** 2 - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3.0;
    prob = Math.exp(expt);
  }
  return { statistic: d, pValue: Math.min(1, Math.max(0, prob)), method };
}

function exactProb(
  n1: number,
  n2: number,
  g: number,
  h: number,
  alternative: KsAlternative,
): number {
  if (alternative === 'two-sided') {
    return n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  }
  return n1 === n2 ? probOneSidedSquare(n1, h) : probOneSidedBand(n1, n2, g, h);
}

function checkOptions({ method, alternative }: KsOptions): void {
  if (method !== undefined && method !== 'auto' && method !== 'exact' && method !== 'asymp') {
    throw new RangeError(`method must be 'auto', 'exact' or 'asymp', got ${String(method)}`);
  }
  if (
    alternative !== undefined &&
    alternative !== 'two-sided' &&
    alternative !== 'less' &&
    alternative !== 'greater'
  ) {
    throw new RangeError(
      `alternative must be 'two-sided', 'less' or 'greater', got ${String(alternative)}`,
    );
  }
}

/** numpy's round: halves go to the even neighbour (5000.5 -> 5000, 10.5 -> 10). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; step back when that lands on an odd integer.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}
