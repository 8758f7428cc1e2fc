import { binPerValue } from './histogram.js';
import { chiSquareSf } from './special/gamma.js';
import type { Bins, CategoricalWindow, ChiSquareResult, NumericWindow } from './types.js';
import { checkCategorical, toFloat64 } from './validate.js';

/** Options of {@link chiSquare}. */
export interface ChiSquareOptions {
  /**
   * `contingency` (default): `scipy.stats.chi2_contingency` on the 2 x K table of counts.
   * `goodness-of-fit`: Evidently's `chisquare` test, `scipy.stats.chisquare(current counts,
   * reference counts * n_cur / n_ref)`, which treats the reference shares as exact.
   */
  variant?: 'contingency' | 'goodness-of-fit';
  /** Yates' continuity correction when dof = 1 (contingency only); default true, as scipy. */
  correction?: boolean;
}

/**
 * Chi-square test of two categorical windows over the union of their categories.
 *
 * Contingency (default, `scipy.stats.chi2_contingency`): expected e_rk = row_r col_k / N,
 * statistic sum (o - e)^2 / e, dof = K - 1, Yates' correction (|o - e| reduced by up to 0.5)
 * when dof = 1; dof = 0 (one category) gives statistic 0 and p 1.
 * Goodness of fit (Evidently's `chisquare`): expected = reference counts scaled to the current
 * size, dof = K - 1; a category absent from the reference gives statistic Infinity and p 0,
 * a single category gives p NaN (as scipy). p = chi2.sf(statistic, dof) via the regularized
 * upper incomplete gamma function. Numeric windows are treated as categories (their values).
 *
 * @example
 * ```ts
 * chiSquare(['stop', 'stop', 'length'], ['stop', 'length', 'length']).pValue;
 * ```
 * @throws {RangeError} if a window is empty or holds an invalid value.
 */
export function chiSquare(
  reference: CategoricalWindow | NumericWindow,
  current: CategoricalWindow | NumericWindow,
  options: ChiSquareOptions = {},
): ChiSquareResult {
  const bins = categoryBins(reference, current);
  const nRef = reference.length;
  const nCur = current.length;
  return options.variant === 'goodness-of-fit'
    ? goodnessOfFit(bins, nRef, nCur)
    : contingency(bins, nRef, nCur, options.correction ?? true);
}

/** Validates and counts categories; numbers are categories too. */
export function categoryBins(
  reference: CategoricalWindow | NumericWindow,
  current: CategoricalWindow | NumericWindow,
): Bins & { binning: 'per_value' } {
  if (Array.isArray(reference) && reference.length > 0 && typeof reference[0] === 'string') {
    checkCategorical(reference as CategoricalWindow, 'reference');
    checkCategorical(current as CategoricalWindow, 'current');
    return binPerValue(reference as CategoricalWindow, current as CategoricalWindow);
  }
  return binPerValue(
    toFloat64(reference as NumericWindow, 'reference'),
    toFloat64(current as NumericWindow, 'current'),
  );
}

/** chi2_contingency on the 2 x K table of already counted categories. */
export function contingency(
  bins: Bins,
  nRef: number,
  nCur: number,
  correction: boolean,
): ChiSquareResult {
  const k = bins.referenceCounts.length;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, bins };
  const total = nRef + nCur;
  const rows = [bins.referenceCounts, bins.currentCounts];
  const rowSums = [nRef, nCur];
  let statistic = 0;
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < k; c++) {
      const colSum = bins.referenceCounts[c]! + bins.currentCounts[c]!;
      const expected = (rowSums[r]! * colSum) / total;
      let observed = rows[r]![c]!;
      if (dof === 1 && correction) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, bins };
}

/** Evidently's chisquare: goodness of fit of current counts to reference shares. */
export function goodnessOfFit(bins: Bins, nRef: number, nCur: number): ChiSquareResult {
  const k = bins.referenceCounts.length;
  const norm = nCur / nRef;
  let statistic = 0;
  for (let c = 0; c < k; c++) {
    const expected = bins.referenceCounts[c]! * norm;
    statistic += (bins.currentCounts[c]! - expected) ** 2 / expected;
  }
  const dof = k - 1;
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, bins };
}
