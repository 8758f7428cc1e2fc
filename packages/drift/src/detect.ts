import { contingency, goodnessOfFit } from './chi-square.js';
import { jensenShannonFromBins, wasserstein } from './distance.js';
import { binNumeric, binPerValue } from './histogram.js';
import { ks2samp } from './ks.js';
import { psiFromBins } from './psi.js';
import type {
  Bins,
  CategoricalWindow,
  DetectDriftOptions,
  DriftResult,
  DriftTest,
  NumericWindow,
} from './types.js';
import { checkCategorical, toFloat64 } from './validate.js';
import { zTestFromBins } from './z-test.js';

/** Evidently's default thresholds per test (legacy stattests registry). */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTest, number>> = {
  ks: 0.05,
  chi2: 0.05,
  chisquare: 0.05,
  z: 0.05,
  psi: 0.1,
  js: 0.1,
  wasserstein: 0.1,
};
/** Evidently uses small-sample tests while the reference has at most this many rows. */
export const AUTO_SMALL_REFERENCE_MAX = 1000;
/** Numeric columns with more distinct values than this (union) count as continuous. */
export const AUTO_CONTINUOUS_MIN_DISTINCT = 5;

/**
 * Tests two windows for drift and says whether it is there.
 *
 * `method: 'auto'` (default) picks the test as Evidently's default (`_get_default_stattest`):
 * with at most 1,000 reference rows, numeric data with more than 5 distinct values (union)
 * gets `ks` (drift if p <= 0.05), 3-5 values `chisquare` (p < 0.05), up to 2 values `z`
 * (p < 0.05); categorical data gets `chisquare` above 2 categories, else `z`. With more than
 * 1,000 reference rows, numeric data with more than 5 distinct values gets the normed
 * `wasserstein` (>= 0.1), otherwise and for categorical data `js` (Jensen-Shannon distance
 * >= 0.1): on large windows p-values flag negligible shifts, so distances are used.
 * `chi2` is `scipy.stats.chi2_contingency` (p < threshold), `psi` drifts at >= 0.1.
 *
 * @example
 * ```ts
 * const r = detectDrift(lastWeekLatencyMs, todayLatencyMs, { kind: 'numeric' });
 * if (r.drifted) console.log(`${r.method} flags drift`, r.statistic, r.pValue);
 * ```
 * @throws {RangeError} if a window is empty or holds an invalid value, or the method does not fit the kind.
 */
export function detectDrift(
  reference: NumericWindow | CategoricalWindow,
  current: NumericWindow | CategoricalWindow,
  options: DetectDriftOptions,
): DriftResult {
  const { kind } = options;
  if (kind !== 'numeric' && kind !== 'categorical') {
    throw new RangeError(`kind must be 'numeric' or 'categorical', got ${String(kind)}`);
  }
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && !(requested in DEFAULT_THRESHOLDS)) {
    throw new RangeError(
      `unknown method '${String(requested)}': use 'auto', ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`,
    );
  }
  if (options.threshold !== undefined && !Number.isFinite(options.threshold)) {
    throw new RangeError(`threshold must be a finite number, got ${options.threshold}`);
  }
  const nRef = reference.length;
  const nCur = current.length;
  let a: Float64Array | undefined;
  let b: Float64Array | undefined;
  if (kind === 'numeric') {
    a = toFloat64(reference as NumericWindow, 'reference');
    b = toFloat64(current as NumericWindow, 'current');
  } else {
    checkCategorical(reference as CategoricalWindow, 'reference');
    checkCategorical(current as CategoricalWindow, 'current');
  }
  const method = resolveMethod(requested, kind, nRef, a, b, reference, current);
  if (kind === 'categorical' && (method === 'ks' || method === 'wasserstein')) {
    throw new RangeError(`method '${method}' needs numeric windows, got kind 'categorical'`);
  }
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[method];
  const perValue = (): Bins =>
    a && b
      ? binPerValue(a, b)
      : binPerValue(reference as CategoricalWindow, current as CategoricalWindow);
  const bins = a && b ? binNumeric(a, b) : perValue();

  switch (method) {
    case 'ks': {
      const r = ks2samp(a!, b!);
      return {
        method,
        statistic: r.statistic,
        pValue: r.pValue,
        threshold,
        drifted: r.pValue <= threshold,
        bins,
      };
    }
    case 'wasserstein': {
      const { normed } = wasserstein(a!, b!);
      return { method, statistic: normed, threshold, drifted: normed >= threshold, bins };
    }
    case 'psi': {
      const value = psiFromBins(bins, nRef, nCur);
      return { method, statistic: value, threshold, drifted: value >= threshold, bins };
    }
    case 'js': {
      const value = jensenShannonFromBins(bins, nRef, nCur);
      return { method, statistic: value, threshold, drifted: value >= threshold, bins };
    }
    case 'chi2':
    case 'chisquare': {
      const cats = bins.binning === 'per_value' ? bins : perValue();
      const r =
        method === 'chi2' ? contingency(cats, nRef, nCur, true) : goodnessOfFit(cats, nRef, nCur);
      return {
        method,
        statistic: r.statistic,
        pValue: r.pValue,
        threshold,
        drifted: r.pValue < threshold,
        bins: cats,
      };
    }
    case 'z': {
      const cats = bins.binning === 'per_value' ? bins : perValue();
      const r = zTestFromBins(cats, nRef, nCur);
      return {
        method,
        statistic: r.statistic,
        pValue: r.pValue,
        threshold,
        drifted: r.pValue < threshold,
        bins: cats,
      };
    }
  }
}

function resolveMethod(
  method: 'auto' | DriftTest,
  kind: DetectDriftOptions['kind'],
  nRef: number,
  a: Float64Array | undefined,
  b: Float64Array | undefined,
  reference: NumericWindow | CategoricalWindow,
  current: NumericWindow | CategoricalWindow,
): DriftTest {
  if (method !== 'auto') return method;
  const distinct =
    a && b
      ? countDistinctUpTo([a, b], AUTO_CONTINUOUS_MIN_DISTINCT + 1)
      : countDistinctUpTo([reference as CategoricalWindow, current as CategoricalWindow], 3);
  if (nRef <= AUTO_SMALL_REFERENCE_MAX) {
    if (kind === 'numeric') {
      if (distinct > AUTO_CONTINUOUS_MIN_DISTINCT) return 'ks';
      return distinct > 2 ? 'chisquare' : 'z';
    }
    return distinct > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric') return distinct > AUTO_CONTINUOUS_MIN_DISTINCT ? 'wasserstein' : 'js';
  return 'js';
}

/** Distinct values across windows, counting stops at `limit`. */
function countDistinctUpTo(windows: ArrayLike<number | string>[], limit: number): number {
  const seen = new Set<number | string>();
  for (const w of windows) {
    for (let i = 0; i < w.length; i++) {
      seen.add(w[i]!);
      if (seen.size >= limit) return seen.size;
    }
  }
  return seen.size;
}
