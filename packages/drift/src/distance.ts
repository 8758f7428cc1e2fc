import { shares } from './histogram.js';
import { pairwiseSum } from './pairwise-sum.js';
import { sortedCopy } from './sort.js';
import type {
  BinnedResult,
  Bins,
  CategoricalWindow,
  NumericWindow,
  WassersteinResult,
} from './types.js';
import { type BinningOptions, binWindows } from './windows.js';

/** Evidently divides the Wasserstein distance by max(std, this) so constant references do not divide by 0. */
export const WASSERSTEIN_STD_FLOOR = 0.001;

/** Options of {@link jensenShannon}. */
export interface JensenShannonOptions extends BinningOptions {
  /** Logarithm base; natural log by default (Evidently), 2 gives a distance in [0, 1]. */
  base?: number;
}

/**
 * Jensen-Shannon distance between the binned windows, as Evidently's `jensenshannon` stat
 * test: Evidently's binning without zero fill, then `scipy.spatial.distance.jensenshannon`:
 * sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2 and 0 ln 0 = 0.
 * Natural log by default (range [0, sqrt(ln 2)]); Evidently flags drift at >= 0.1.
 *
 * @example
 * ```ts
 * jensenShannon(['a', 'a', 'b'], ['a', 'b', 'b'], { base: 2 }).value;
 * ```
 * @throws {RangeError} if a window is empty or holds an invalid value.
 */
export function jensenShannon(
  reference: NumericWindow | CategoricalWindow,
  current: NumericWindow | CategoricalWindow,
  options: JensenShannonOptions = {},
): BinnedResult {
  const { bins, nRef, nCur } = binWindows(reference, current, options);
  return { value: jensenShannonFromBins(bins, nRef, nCur, options.base), bins };
}

/** Jensen-Shannon distance of already binned windows (no zero fill); natural log unless `base`. */
export function jensenShannonFromBins(
  bins: Bins,
  nRef: number,
  nCur: number,
  base?: number,
): number {
  const p = normalize(shares(bins.referenceCounts, nRef));
  const q = normalize(shares(bins.currentCounts, nCur));
  const left = new Float64Array(p.length);
  const right = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2.0;
    left[i] = relEntr(p[i]!, m);
    right[i] = relEntr(q[i]!, m);
  }
  let js = pairwiseSum(left) + pairwiseSum(right);
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2.0);
}

function normalize(p: Float64Array): Float64Array {
  const s = pairwiseSum(p);
  for (let i = 0; i < p.length; i++) p[i]! /= s;
  return p;
}

/** scipy.special.rel_entr: x ln(x / y), 0 at x = 0. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

/**
 * First Wasserstein (earth mover's) distance between the two empirical distributions,
 * `scipy.stats.wasserstein_distance(reference, current)` = integral |F_ref(x) - F_cur(x)| dx
 * over the pooled support, plus Evidently's normed score value / max(std_ref, 0.001)
 * (population std, ddof = 0). Evidently flags drift at normed >= 0.1.
 * Copies each window once (sorted in place); sums are compensated (Neumaier).
 *
 * @example
 * ```ts
 * wasserstein([0, 1, 3], [5, 6, 8]).value; // 5
 * ```
 * @throws {RangeError} if a window is empty or holds NaN, ±Infinity or a non-number.
 */
export function wasserstein(reference: NumericWindow, current: NumericWindow): WassersteinResult {
  const a = sortedCopy(reference, 'reference');
  const b = sortedCopy(current, 'current');
  // numpy sums in the original order; so do we (the windows are validated by now)
  const std = populationStd(reference);
  const value = wassersteinSorted(a, b);
  return { value, normed: value / Math.max(std, WASSERSTEIN_STD_FLOOR) };
}

/** Wasserstein-1 distance of two sorted windows, one merge. */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let comp = 0;
  let x = Math.min(a[0]!, b[0]!);
  for (;;) {
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    let next: number;
    if (i < n1) next = j < n2 && b[j]! < a[i]! ? b[j]! : a[i]!;
    else if (j < n2) next = b[j]!;
    else break;
    const term = Math.abs(i / n1 - j / n2) * (next - x);
    const t = sum + term;
    comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    x = next;
  }
  return sum + comp;
}

/** Population standard deviation as numpy.std (ddof = 0): mean, then mean squared deviation, both pairwise sums. */
export function populationStd(a: ArrayLike<number>): number {
  const n = a.length;
  const mean = pairwiseSum(a) / n;
  return Math.sqrt(pairwiseSum(a, 0, n, mean, true) / n);
}
