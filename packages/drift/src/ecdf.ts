import { sortedCopy } from './sort.js';

/**
 * Extremes of the ECDF difference F_a(x) - F_b(x) over the pooled values, the core of the KS
 * statistic. Differences are tracked exactly as the integer i n2 - j n1 (i, j: values <= x in
 * each window; below 2^53 for any realistic size); the float returned for an extreme is
 * i/n1 - j/n2, computed as scipy does, and among points with the same integer difference the
 * largest float wins, as scipy's argmax over floats would pick it.
 */
export interface EcdfExtremes {
  /** max(0, max_x F_a(x) - F_b(x)) */
  maxS: number;
  /** clip(-min_x (F_a(x) - F_b(x)), 0, 1) */
  minS: number;
}

/** Running extremes; `see` is called at every pooled value once all its copies are counted. */
class Tracker {
  best = 0;
  bestFloat = 0;
  worst = 0;
  worstFloat = 0;
  constructor(
    readonly n1: number,
    readonly n2: number,
  ) {}

  see(diff: number, i: number, j: number): void {
    if (diff >= this.best && diff > 0) {
      const f = i / this.n1 - j / this.n2;
      if (diff > this.best || f > this.bestFloat) this.bestFloat = f;
      this.best = diff;
    }
    if (diff <= this.worst && diff < 0) {
      const f = i / this.n1 - j / this.n2;
      if (diff < this.worst || f < this.worstFloat) this.worstFloat = f;
      this.worst = diff;
    }
  }

  result(): EcdfExtremes {
    return { maxS: this.bestFloat, minS: Math.min(1, Math.max(0, -this.worstFloat)) };
  }
}

/** Merge walk over two sorted windows from counts (i, j), until both are exhausted. */
function walk(a: Float64Array, b: Float64Array, t: Tracker, i0: number, j0: number): void {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let diff = i0 * t.n2 - j0 * t.n1;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i] === x) {
      i++;
      diff += t.n2;
    }
    while (j < n2 && b[j] === x) {
      j++;
      diff -= t.n1;
    }
    t.see(diff, i0 + i, j0 + j);
  }
}

/** Extremes of two sorted windows, one merge. */
export function ecdfExtremesSorted(a: Float64Array, b: Float64Array): EcdfExtremes {
  const t = new Tracker(a.length, b.length);
  walk(a, b, t, 0, 0);
  return t.result();
}

// Buckets per value range: 2^18 counters (1 MB per window) keep the counting passes mostly in
// cache and leave a handful of values per bucket at 10^6 values.
const MAX_BUCKETS = 2 ** 18;

/**
 * Extremes of two unsorted windows, mostly without sorting them. Values are bucketed by
 * floor((x - min) * scale) over the pooled range: monotone in x (so buckets are ordered value
 * ranges and equal values, -0 and 0 included, share one). Bucket ends are exact evaluation
 * points. Inside a bucket the difference can rise by at most its count in `a` and fall by at
 * most its count in `b`, so only buckets whose bound reaches the best end value are sorted and
 * walked. O(n) passes plus sorts of a few small buckets. When the grid does not suit the data
 * (heavy tails: a few outliers stretch the range and the bulk shares a few buckets, seen on a
 * strided sample or in the flagged counts) both windows are radix-sorted and merged instead.
 */
export function ecdfExtremesBucketed(
  a: Float64Array,
  b: Float64Array,
  range: { min: number; max: number },
  /** false: never fall back to sorting whole windows (tests exercise the bucket logic with it) */
  fallback = true,
): EcdfExtremes {
  const n1 = a.length;
  const n2 = b.length;
  const lo = range.min;
  const width = range.max - lo;
  const usable = width > 0 && Number.isFinite(width) && Number.isFinite(MAX_BUCKETS / width);
  // an empty or overflowing range puts everything in one bucket (then it is a plain sort)
  const nb = usable ? Math.max(1, Math.min(MAX_BUCKETS, (n1 + n2) >>> 2)) : 1;
  const scale = usable ? nb / width : 0;
  if (fallback && concentrated(a, b, lo, scale, nb)) {
    return ecdfExtremesSorted(sortedCopy(a, 'reference'), sortedCopy(b, 'current'));
  }
  const ca = countBuckets(a, lo, scale, nb);
  const cb = countBuckets(b, lo, scale, nb);

  const t = new Tracker(n1, n2);
  // Pass 1: exact values at bucket ends.
  let i = 0;
  let j = 0;
  for (let k = 0; k < nb; k++) {
    const da = ca[k]!;
    const db = cb[k]!;
    if (da === 0 && db === 0) continue;
    i += da;
    j += db;
    t.see(i * n2 - j * n1, i, j);
  }
  // Pass 2: buckets whose interior could reach the extremes found so far.
  const flagged = new Int32Array(nb).fill(-1);
  const startI: number[] = [];
  const startJ: number[] = [];
  const offA = [0];
  const offB = [0];
  i = 0;
  j = 0;
  for (let k = 0; k < nb; k++) {
    const da = ca[k]!;
    const db = cb[k]!;
    if (da === 0 && db === 0) continue;
    const start = i * n2 - j * n1;
    const up = start + da * n2;
    const down = start - db * n1;
    // Reaching the best value again only matters for the float tie-break, so only when best != 0.
    const mayRise = da > 0 && (up > t.best || (t.best > 0 && up === t.best));
    const mayFall = db > 0 && (down < t.worst || (t.worst < 0 && down === t.worst));
    if (da + db > 1 && (mayRise || mayFall)) {
      flagged[k] = startI.length;
      startI.push(i);
      startJ.push(j);
      offA.push(offA[offA.length - 1]! + da);
      offB.push(offB[offB.length - 1]! + db);
    }
    i += da;
    j += db;
  }
  if (startI.length === 0) return t.result();
  // Heavy tails put most values in a few buckets of a linear grid: then sorting everything
  // (radix) is cheaper than gathering and sorting those buckets.
  if (fallback && offA[offA.length - 1]! + offB[offB.length - 1]! > (n1 + n2) / 4) {
    return ecdfExtremesSorted(sortedCopy(a, 'reference'), sortedCopy(b, 'current'));
  }
  const ga = gather(a, lo, scale, nb, flagged, offA);
  const gb = gather(b, lo, scale, nb, flagged, offB);
  for (let q = 0; q < startI.length; q++) {
    // big buckets (heavy tails stretch the range) go through the radix sort
    const sa = sortSegment(ga.subarray(offA[q]!, offA[q + 1]!));
    const sb = sortSegment(gb.subarray(offB[q]!, offB[q + 1]!));
    walk(sa, sb, t, startI[q]!, startJ[q]!);
  }
  return t.result();
}

// A strided sample of this many values decides whether the linear grid suits the data.
const SAMPLE = 2048;

/**
 * True when a strided sample of both windows piles into few buckets (heavy tails: a few
 * outliers stretch the range and the bulk shares a handful of buckets). Spread data puts a
 * sample of 2,048 values into almost as many distinct buckets.
 */
function concentrated(
  a: Float64Array,
  b: Float64Array,
  lo: number,
  scale: number,
  nb: number,
): boolean {
  if (nb === 1) return true;
  const seen = new Set<number>();
  const last = nb - 1;
  for (const x of [a, b]) {
    const stride = Math.max(1, Math.floor(x.length / (SAMPLE / 2)));
    for (let i = 0; i < x.length; i += stride) seen.add(bucketOf(x[i]!, lo, scale, last));
  }
  const sampled = Math.min(a.length, SAMPLE / 2) + Math.min(b.length, SAMPLE / 2);
  return seen.size < sampled / 2;
}

function sortSegment(x: Float64Array): Float64Array {
  return x.length === 0 ? x : sortedCopy(x, 'reference');
}

function bucketOf(x: number, lo: number, scale: number, last: number): number {
  const k = Math.floor((x - lo) * scale);
  // biome-ignore lint/complexity/useMathMinMax: Math.min would keep NaN; this maps it to `last`
  return k < last ? k : last; // also maps NaN (an infinite range with scale 0) to the one bucket
}

function countBuckets(x: Float64Array, lo: number, scale: number, nb: number): Uint32Array {
  const counts = new Uint32Array(nb);
  const last = nb - 1;
  for (let i = 0; i < x.length; i++) counts[bucketOf(x[i]!, lo, scale, last)]!++;
  return counts;
}

function gather(
  x: Float64Array,
  lo: number,
  scale: number,
  nb: number,
  flagged: Int32Array,
  offsets: number[],
): Float64Array {
  const fill = offsets.slice(0, -1);
  const values = new Float64Array(offsets[offsets.length - 1]!);
  const last = nb - 1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const q = flagged[bucketOf(v, lo, scale, last)]!;
    if (q >= 0) values[fill[q]!++] = v === 0 ? 0 : v;
  }
  return values;
}
