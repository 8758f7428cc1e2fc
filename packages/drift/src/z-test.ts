import { categoryBins } from './chi-square.js';
import { normalCdf } from './special/normal.js';
import type { Bins, CategoricalWindow, NumericWindow, ZTestResult } from './types.js';

/**
 * Evidently's `z` test for binary data: two-proportion z-test on the indicator
 * "value is not the smallest value of the union" (sorted union, first value -> 0, others -> 1):
 * z = (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2)), P the pooled share,
 * p = 2 (1 - Phi(|z|)) computed as 1 - cdf, as Evidently does. When both windows are the same
 * constant the p-value is 1 (statistic 0).
 *
 * @example
 * ```ts
 * zTest(['stop', 'length'], ['stop', 'stop']).pValue;
 * ```
 * @throws {RangeError} if a window is empty or holds an invalid value.
 */
export function zTest(
  reference: CategoricalWindow | NumericWindow,
  current: CategoricalWindow | NumericWindow,
): ZTestResult {
  const bins = categoryBins(reference, current);
  return zTestFromBins(bins, reference.length, current.length);
}

/** {@link zTest} on counted categories (keys ascending). */
export function zTestFromBins(bins: Bins, n1: number, n2: number): ZTestResult {
  if (bins.referenceCounts.length === 1) return { statistic: 0, pValue: 1 };
  // indicator 0 for the first (smallest) key, 1 otherwise
  const p1 = (n1 - bins.referenceCounts[0]!) / n1;
  const p2 = (n2 - bins.currentCounts[0]!) / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}
