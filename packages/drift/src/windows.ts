import { binNumeric, binPerValue, type NumericBinning } from './histogram.js';
import type { Bins, CategoricalWindow, DataKind, NumericWindow } from './types.js';
import { checkCategorical, toFloat64 } from './validate.js';

/** Options shared by the binned statistics ({@link psi}, {@link jensenShannon}). */
export interface BinningOptions {
  /**
   * `numeric` or `categorical`; inferred when omitted (string windows are categorical).
   * Numeric windows declared categorical get one bin per distinct value, as in Evidently.
   */
  kind?: DataKind;
  /** Numeric binning: `evidently` (default) or `{ count }` equal-width bins on the combined range. */
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
  const a = toFloat64(reference as NumericWindow, 'reference');
  const b = toFloat64(current as NumericWindow, 'current');
  const bins = kind === 'categorical' ? binPerValue(a, b) : binNumeric(a, b, options.binning);
  return { bins, nRef: a.length, nCur: b.length };
}

/** String windows are categorical, everything else numeric. */
export function inferKind(window: NumericWindow | CategoricalWindow): DataKind {
  return isStringWindow(window) ? 'categorical' : 'numeric';
}

function isStringWindow(window: NumericWindow | CategoricalWindow): boolean {
  return Array.isArray(window) && window.length > 0 && typeof window[0] === 'string';
}
