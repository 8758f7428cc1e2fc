import type { Bins } from './types.js';

/** Evidently switches from one bin per value to Sturges bins above this many distinct reference values. */
export const PER_VALUE_MAX_DISTINCT = 20;

/** Binning for numeric windows: Evidently's rule (default) or a fixed number of equal-width bins. */
export type NumericBinning = 'evidently' | { count: number };

/**
 * Bins two numeric windows as Evidently's `get_binned_data` does: one bin per distinct value
 * of the union when the reference has at most 20 distinct values, else
 * `numpy.histogram_bin_edges(concat(reference, current), bins='sturges')`:
 * lo/hi = min/max of the combined data, width = (hi - lo) / (log2(n) + 1),
 * bins = ceil((hi - lo) / width) in float64 (so n a power of two can give one bin more than
 * log2(n) + 1), edges[i] = i (hi - lo) / bins + lo, edges[bins] = hi; bin i holds
 * edges[i] <= x < edges[i+1] and the last bin also holds hi (numpy.histogram).
 * O(n) after validation: no sort, no copy.
 */
export function binNumeric(
  reference: Float64Array,
  current: Float64Array,
  binning: NumericBinning = 'evidently',
  range?: { min: number; max: number },
): Bins {
  if (binning === 'evidently' && !hasMoreDistinctThan(reference, PER_VALUE_MAX_DISTINCT)) {
    return binPerValue(reference, current);
  }
  let { min: lo, max: hi } = range ?? combinedRange(reference, current);
  let count = 1;
  if (binning !== 'evidently') {
    count = binning.count;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`bin count must be a positive integer, got ${count}`);
    }
  }
  if (lo === hi) {
    // numpy widens an empty range by 0.5 each side
    lo -= 0.5;
    hi += 0.5;
  } else if (binning === 'evidently') {
    const width = (hi - lo) / (Math.log2(reference.length + current.length) + 1);
    count = width ? Math.ceil((hi - lo) / width) : 1;
  }
  return binEqualWidth(
    reference,
    current,
    lo,
    hi,
    count,
    binning === 'evidently' ? 'sturges' : 'fixed',
  );
}

function combinedRange(a: Float64Array, b: Float64Array): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const w of [a, b]) {
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max };
}

function binEqualWidth(
  reference: Float64Array,
  current: Float64Array,
  lo: number,
  hi: number,
  count: number,
  binning: 'sturges' | 'fixed',
): Bins {
  const step = (hi - lo) / count;
  const edges = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) edges[i] = i * step + lo;
  edges[count] = hi;
  return {
    binning,
    edges: Array.from(edges),
    referenceCounts: histogram(reference, edges, lo, step),
    currentCounts: histogram(current, edges, lo, step),
  };
}

/** Counts per bin with numpy.histogram's edge rules; the arithmetic guess is corrected against the edges. */
function histogram(values: Float64Array, edges: Float64Array, lo: number, step: number): number[] {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  const last = nb - 1;
  const inv = 1 / step;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    // a guess only: the edge comparisons below make the bin exact
    let k = Math.floor((x - lo) * inv);
    if (!(k >= 0)) k = 0;
    else if (k > last) k = last;
    while (k > 0 && x < edges[k]!) k--;
    while (k < last && x >= edges[k + 1]!) k++;
    counts[k]!++;
  }
  return Array.from(counts);
}

function hasMoreDistinctThan(values: Float64Array, limit: number): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    seen.add(values[i]!);
    if (seen.size > limit) return true;
  }
  return false;
}

/** One bin per distinct value of the union, keys ascending (numbers numerically, strings by code unit). */
export function binPerValue(
  reference: ArrayLike<number> | readonly string[],
  current: ArrayLike<number> | readonly string[],
): Bins & { binning: 'per_value' } {
  const counts = new Map<number | string, [number, number]>();
  const add = (w: ArrayLike<number | string>, slot: 0 | 1) => {
    for (let i = 0; i < w.length; i++) {
      const key = w[i]!;
      let c = counts.get(key);
      if (c === undefined) {
        c = [0, 0];
        counts.set(key, c);
      }
      c[slot]++;
    }
  };
  add(reference, 0);
  add(current, 1);
  const keys = [...counts.keys()];
  keys.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return {
    binning: 'per_value',
    keys,
    referenceCounts: keys.map((k) => counts.get(k)![0]),
    currentCounts: keys.map((k) => counts.get(k)![1]),
  };
}

/** Shares per bin: counts / window size. */
export function shares(counts: readonly number[], size: number): Float64Array {
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / size;
  return out;
}

/**
 * Evidently's zero fill, applied to one window's shares in place: zeros become
 * m / 1e6 when the smallest non-zero share m is at most 1e-4, else 1e-4.
 */
export function fillZeros(p: Float64Array): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  let hasZero = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v === 0) hasZero = true;
    else if (v < min) min = v;
  }
  if (!hasZero) return p;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) p[i] = fill;
  return p;
}
