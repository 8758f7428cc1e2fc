import { binNumeric, binPerValue, type NumericBinning } from './histogram.js';
import type { Bins, CategoricalWindow, DataKind, NumericWindow } from './types.js';
import { checkCategorical, scanFloat64, scanFloat64Pair } from './validate.js';

/** Options shared by the binned statistics ({@link psi}, {@link jensenShannon}). */
export interface BinningOptions {
  /**
   * `numeric` or `categorical`; inferred when omitted (string windows are categorical).
   * Numeric windows declared categorical get one bin per distinct value, as in Evidently.
   */
  kind?: DataKind;
  /** Numeric binning: `evidently` (default), `{ count }` equal-width bins, or `{ quantiles }` of the reference. */
  binning?: NumericBinning;
}

/** Validates both windows and bins them; the one place that decides numeric vs categorical. */
export function binWindows(
  reference: NumericWindow | CategoricalWindow,
  current: NumericWindow | CategoricalWindow,
  options: BinningOptions,
): { bins: Bins; nRef: number; nCur: number } {
  const kind = options.kind ?? inferKind(reference);
  if (kind === 'categorical' && isStringWindow(reference)) {
    checkCategorical(reference as CategoricalWindow, 'reference');
    checkCategorical(current as CategoricalWindow, 'current');
    const bins = binPerValue(reference as CategoricalWindow, current as CategoricalWindow);
    return { bins, nRef: reference.length, nCur: current.length };
  }
  // Binning only reads: Float64Array windows are not copied; validation also finds the range.
  const [a, b] =
    reference instanceof Float64Array && current instanceof Float64Array
      ? scanFloat64Pair(reference, current)
      : [
          scanFloat64(reference as NumericWindow, 'reference'),
          scanFloat64(current as NumericWindow, 'current'),
        ];
  const range = { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
  const bins =
    kind === 'categorical'
      ? binPerValue(a.data, b.data)
      : binNumeric(a.data, b.data, options.binning, range);
  return { bins, nRef: a.data.length, nCur: b.data.length };
}

/** String windows are categorical, everything else numeric. */
export function inferKind(window: NumericWindow | CategoricalWindow): DataKind {
  return isStringWindow(window) ? 'categorical' : 'numeric';
}

function isStringWindow(window: NumericWindow | CategoricalWindow): boolean {
  return Array.isArray(window) && window.length > 0 && typeof window[0] === 'string';
}
