import type { Bins } from './types.js';

/** Evidently switches from one bin per value to Sturges bins above this many distinct reference values. */
export const PER_VALUE_MAX_DISTINCT = 20;

/** Binning for numeric windows: Evidently's rule (default) or a fixed number of equal-width bins. */
/**
 * Binning for numeric windows: Evidently's rule (default), `{ count }` equal-width bins over the
 * combined range, or `{ quantiles }` bins at the reference's quantiles (numpy's default linear
 * interpolation, duplicates dropped), the outer edges widened to the combined min and max.
 */
export type NumericBinning = 'evidently' | { count: number } | { quantiles: number };

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
  if (binning !== 'evidently' && 'quantiles' in binning) {
    return binQuantiles(reference, current, binning.quantiles, lo, hi);
  }
  let count = 1;
  if (binning !== 'evidently') {
    count = binning.count;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`bin count must be a positive integer, got ${count}`);
    }
  }
  if (!Number.isFinite(hi - lo)) {
    throw new RangeError(
      `the windows span [${lo}, ${hi}], wider than float64 can subtract: equal-width bins cannot be built (numpy fails here too)`,
    );
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

/**
 * Edges at the reference's quantiles i/k, i = 0..k (numpy.quantile, method 'linear'), unique,
 * first and last widened to the combined min and max so every current value has a bin.
 * Counts follow numpy.histogram's rules. One sorted copy of the reference.
 */
function binQuantiles(
  reference: Float64Array,
  current: Float64Array,
  k: number,
  lo: number,
  hi: number,
): Bins {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`quantile bin count must be a positive integer, got ${k}`);
  }
  const sorted = Float64Array.from(reference).sort();
  const n = sorted.length;
  const raw: number[] = [];
  const step = 1 / k;
  for (let i = 0; i <= k; i++) {
    // np.linspace(0, 1, k + 1), and numpy's virtual index (n - 1) q for method 'linear'
    const q = i === k ? 1 : i * step;
    const index = (n - 1) * q;
    if (index >= n - 1) {
      raw.push(sorted[n - 1]!);
      continue;
    }
    const below = Math.floor(index);
    raw.push(lerp(sorted[below]!, sorted[below + 1]!, index - below));
  }
  const unique = raw.filter((e, i) => i === 0 || e !== raw[i - 1]);
  // a constant reference gives one edge: the single bin then spans the combined range
  if (unique.length === 1) unique.push(unique[0]!);
  unique[0] = Math.min(unique[0]!, lo);
  unique[unique.length - 1] = Math.max(unique[unique.length - 1]!, hi);
  const edges = Float64Array.from(unique);
  return {
    binning: 'quantiles',
    edges: Array.from(edges),
    referenceCounts: histogramSearch(reference, edges),
    currentCounts: histogramSearch(current, edges),
  };
}

/** numpy's _lerp: a + (b - a) t, computed from b when t >= 0.5 for monotonicity. */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** numpy.histogram with arbitrary sorted edges: binary search per value. */
function histogramSearch(values: Float64Array, edges: Float64Array): number[] {
  const nb = edges.length - 1;
  const counts = new Array<number>(nb).fill(0);
  const last = edges[nb]!;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x === last) {
      counts[nb - 1]!++;
      continue;
    }
    // largest i with edges[i] <= x
    let l = 0;
    let r = nb;
    while (r - l > 1) {
      const m = (l + r) >> 1;
      if (edges[m]! <= x) l = m;
      else r = m;
    }
    counts[l]!++;
  }
  return counts;
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
  const [referenceCounts, currentCounts] = histogramPair(reference, current, edges, lo, step);
  return { binning, edges: Array.from(edges), referenceCounts, currentCounts };
}

const EPS = 2.220446049250313e-16;
// Position of a value in bin units, (x - lo) / step, is trusted away from bin boundaries by this
// margin; only values closer than that are compared with the edges themselves.
const EDGE_MARGIN = 1e-6;

/**
 * Counts per bin of both windows with numpy.histogram's edge rules
 * (edges[i] <= x < edges[i+1], the last bin closed). The bin comes from (x - lo) / step; only
 * values within rounding distance of a boundary are compared with the stored edges. Both
 * windows go through one loop: two independent streams of work run faster than two loops.
 */
function histogramPair(
  a: Float64Array,
  b: Float64Array,
  edges: Float64Array,
  lo: number,
  step: number,
): [number[], number[]] {
  const nb = edges.length - 1;
  const hi = edges[nb]!;
  // Errors in bin units: the rounding of each stored edge and of (x - lo) * (1 / step).
  const errorInBins = 4 * EPS * (Math.max(Math.abs(lo), Math.abs(hi)) / step + nb + 1);
  if (!(errorInBins < EDGE_MARGIN / 10) || nb >= 2 ** 30) {
    return [histogramExact(a, edges, lo, step), histogramExact(b, edges, lo, step)];
  }
  const guarded = new Float64Array(nb + 2);
  guarded.set(edges);
  guarded[nb + 1] = Number.POSITIVE_INFINITY;
  // slot nb takes x == hi and is folded into the last bin
  const ca = new Uint32Array(nb + 1);
  const cb = new Uint32Array(nb + 1);
  const inv = 1 / step;
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const tx = (x - lo) * inv;
    const ty = (y - lo) * inv;
    let kx = tx | 0;
    let ky = ty | 0;
    const fx = tx - kx;
    const fy = ty - ky;
    if (fx < EDGE_MARGIN || fx > 1 - EDGE_MARGIN) {
      if (x < guarded[kx]!) kx--;
      else if (x >= guarded[kx + 1]!) kx++;
    }
    if (fy < EDGE_MARGIN || fy > 1 - EDGE_MARGIN) {
      if (y < guarded[ky]!) ky--;
      else if (y >= guarded[ky + 1]!) ky++;
    }
    ca[kx]!++;
    cb[ky]!++;
  }
  countTail(a, common, ca, guarded, lo, inv);
  countTail(b, common, cb, guarded, lo, inv);
  ca[nb - 1]! += ca[nb]!;
  cb[nb - 1]! += cb[nb]!;
  return [Array.from(ca.subarray(0, nb)), Array.from(cb.subarray(0, nb))];
}

function countTail(
  values: Float64Array,
  from: number,
  counts: Uint32Array,
  guarded: Float64Array,
  lo: number,
  inv: number,
): void {
  for (let i = from; i < values.length; i++) {
    const x = values[i]!;
    const t = (x - lo) * inv;
    let k = t | 0;
    const f = t - k;
    if (f < EDGE_MARGIN || f > 1 - EDGE_MARGIN) {
      if (x < guarded[k]!) k--;
      else if (x >= guarded[k + 1]!) k++;
    }
    counts[k]!++;
  }
}

/** Same counts for badly conditioned ranges (edges closer than rounding): every value is checked against the edges. */
function histogramExact(
  values: Float64Array,
  edges: Float64Array,
  lo: number,
  step: number,
): number[] {
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
