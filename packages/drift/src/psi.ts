import { fillZeros, shares } from './histogram.js';
import { pairwiseSum } from './pairwise-sum.js';
import type { BinnedResult, Bins, CategoricalWindow, NumericWindow } from './types.js';
import { type BinningOptions, binWindows } from './windows.js';

/** Options of {@link psi}. */
export type PsiOptions = BinningOptions;

/**
 * Population Stability Index, as Evidently's `psi` stat test computes it:
 * PSI = sum_i (r_i - c_i) ln(r_i / c_i), with r_i, c_i the shares of each window in bin i,
 * Evidently's binning (see {@link binNumeric}) and its zero fill applied to each window
 * separately (zeros become min non-zero share / 1e6 if that is <= 1e-4, else 1e-4).
 * Natural log. Evidently flags drift at PSI >= 0.1.
 *
 * @example
 * ```ts
 * const { value, bins } = psi(lastWeek, today); // value >= 0.1: drift by Evidently's rule
 * ```
 * @throws {RangeError} if a window is empty or holds an invalid value.
 */
export function psi(
  reference: NumericWindow | CategoricalWindow,
  current: NumericWindow | CategoricalWindow,
  options: PsiOptions = {},
): BinnedResult {
  const { bins, nRef, nCur } = binWindows(reference, current, options);
  return { value: psiFromBins(bins, nRef, nCur), bins };
}

/** PSI of already binned windows (Evidently's zero fill, natural log). */
export function psiFromBins(bins: Bins, nRef: number, nCur: number): number {
  const r = fillZeros(shares(bins.referenceCounts, nRef));
  const c = fillZeros(shares(bins.currentCounts, nCur));
  const terms = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) terms[i] = (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return pairwiseSum(terms);
}
