import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_INDEXABLE_VALUE, QuantileSketch } from '../src/rollups/sketch.js';

const QS = [0.5, 0.9, 0.95, 0.99] as const;
const ALPHA = 0.01;

/** Deterministic PRNG (mulberry32) so the data sets are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  // Box–Muller; 1 - rand() avoids log(0).
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** The exact lower quantile the sketch promises to approximate: rank ⌊q(n−1)⌋. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function expectWithinAlpha(values: ArrayLike<number>, sketch: QuantileSketch, qs = QS): void {
  const sorted = Float64Array.from(values).sort();
  for (const q of qs) {
    const exact = exactQuantile(sorted, q);
    const estimate = sketch.quantile(q);
    const error = Math.abs(estimate - exact);
    expect(error, `q=${q} exact=${exact} estimate=${estimate}`).toBeLessThanOrEqual(ALPHA * exact);
  }
}

function sketchOf(values: ArrayLike<number>): QuantileSketch {
  const s = new QuantileSketch();
  for (let i = 0; i < values.length; i++) s.add(values[i]!);
  return s;
}

const DATASETS: Record<string, () => number[]> = {
  // Latency-like: lognormal around 800 ms with a heavy right tail.
  lognormal: () => {
    const r = rng(1);
    return Array.from({ length: 50_000 }, () => Math.exp(Math.log(800) + 0.9 * normal(r)));
  },
  // Cache hits around 30 ms and model calls around 2.5 s.
  bimodal: () => {
    const r = rng(2);
    return Array.from({ length: 40_000 }, () =>
      r() < 0.7 ? 30 * Math.exp(0.2 * normal(r)) : 2500 * Math.exp(0.3 * normal(r)),
    );
  },
  constant: () => Array.from({ length: 10_000 }, () => 1234.5),
  tiny: () => {
    const r = rng(3);
    return Array.from({ length: 20_000 }, () => 1e-9 * (1 + 999 * r()));
  },
  huge: () => {
    const r = rng(4);
    return Array.from({ length: 20_000 }, () => 1e9 * 10 ** (6 * r()));
  },
  withZeros: () => {
    const r = rng(5);
    return Array.from({ length: 20_000 }, () => (r() < 0.3 ? 0 : 100 * r()));
  },
  uniformWide: () => {
    const r = rng(6);
    return Array.from({ length: 30_000 }, () => 10 ** (12 * r() - 6));
  },
};

describe('QuantileSketch', () => {
  for (const [name, make] of Object.entries(DATASETS)) {
    it(`keeps p50/p90/p95/p99 within 1% of the exact percentiles (${name})`, () => {
      const values = make();
      const sketch = sketchOf(values);
      expectWithinAlpha(values, sketch);
      expect(sketch.count).toBe(values.length);
      expect(sketch.min).toBe(Math.min(...values));
      expect(sketch.max).toBe(Math.max(...values));
      const exactSum = values.reduce((a, b) => a + b, 0);
      expect(Math.abs(sketch.sum - exactSum)).toBeLessThanOrEqual(1e-9 * Math.abs(exactSum));
    });
  }

  it('is exact for a constant stream and returns min and max at q=0 and q=1', () => {
    const s = sketchOf([7, 7, 7]);
    expect(s.quantile(0.5)).toBe(7);
    expect(s.quantile(0)).toBe(7);
    expect(s.quantile(1)).toBe(7);
    const t = sketchOf([3, 1, 2, 10]);
    expect(t.quantile(0)).toBe(1);
    expect(t.quantile(1)).toBe(10);
  });

  it('answers exactly 0 for quantiles that fall on zeros', () => {
    const s = sketchOf([0, 0, 0, 5]);
    expect(s.quantile(0.5)).toBe(0);
    expect(s.zeroCount).toBe(3);
    expect(Math.abs(s.quantile(0.99) - 0)).toBe(0); // rank ⌊0.99·3⌋ = 2 is still a zero
  });

  it('keeps the guarantee after merging 200 sketches of a latency stream', () => {
    const values = DATASETS.lognormal!();
    const parts = Array.from({ length: 200 }, () => new QuantileSketch());
    values.forEach((v, i) => {
      parts[(i * 7919) % 200]!.add(v);
    });
    // Merge as a tree, as the rollups do (minute → hour → day).
    let level = parts;
    while (level.length > 1) {
      const next: QuantileSketch[] = [];
      for (let i = 0; i < level.length; i += 3) {
        const acc = level[i]!.clone();
        for (const other of level.slice(i + 1, i + 3)) acc.merge(other);
        next.push(acc);
      }
      level = next;
    }
    const merged = level[0]!;
    expect(merged.count).toBe(values.length);
    expectWithinAlpha(values, merged);
    // Merging is exact: same answers as one sketch fed everything.
    const single = sketchOf(values);
    for (const q of QS) expect(merged.quantile(q)).toBe(single.quantile(q));
  });

  it('round-trips through bytes and JSON with identical answers', () => {
    const values = DATASETS.bimodal!();
    const s = sketchOf(values);
    const bytes = s.toBytes();
    const back = QuantileSketch.fromBytes(bytes);
    const fromJson = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    for (const restored of [back, fromJson]) {
      expect(restored.count).toBe(s.count);
      expect(restored.sum).toBe(s.sum);
      expect(restored.min).toBe(s.min);
      expect(restored.max).toBe(s.max);
      for (const q of [0, 0.1, ...QS, 1]) expect(restored.quantile(q)).toBe(s.quantile(q));
    }
    expect(Array.from(back.toBytes())).toEqual(Array.from(bytes));
  });

  it('merges busy sketches (dense encoding) from bytes exactly like merge()', () => {
    const busy = sketchOf(DATASETS.lognormal!());
    const other = sketchOf(DATASETS.bimodal!());
    const bytes = busy.toBytes();
    // Dense: about one byte or two per bucket, no index deltas.
    expect(bytes.length).toBeLessThan(60 + 3 * busy.bucketCount);
    const viaBytes = other.clone().mergeBytes(bytes);
    const viaMerge = other.clone().merge(busy);
    expect(Array.from(viaBytes.toBytes())).toEqual(Array.from(viaMerge.toBytes()));
    const truncated = bytes.slice(0, bytes.length - 3);
    expect(() => QuantileSketch.fromBytes(truncated)).toThrow(RangeError);
  });

  it('serialises small sketches compactly', () => {
    const r = rng(9);
    const s = new QuantileSketch();
    for (let i = 0; i < 50; i++) s.add(Math.exp(Math.log(800) + 0.9 * normal(r)));
    expect(s.toBytes().length).toBeLessThan(200);
    expect(new QuantileSketch().toBytes().length).toBeLessThan(30);
  });

  it('rejects corrupt or truncated bytes', () => {
    const bytes = sketchOf([1, 2, 3]).toBytes();
    expect(() => QuantileSketch.fromBytes(bytes.slice(0, bytes.length - 1))).toThrow(RangeError);
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 99;
    expect(() => QuantileSketch.fromBytes(wrongVersion)).toThrow(RangeError);
    expect(() => QuantileSketch.fromBytes(new Uint8Array([...bytes, 0]))).toThrow(RangeError);
  });

  it('rejects negative, NaN and infinite values and invalid q', () => {
    const s = new QuantileSketch();
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(Number.NaN)).toThrow(RangeError);
    expect(() => s.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(s.count).toBe(0);
    expect(s.quantile(0.5)).toBeNaN();
  });

  it('refuses to merge sketches of different accuracy', () => {
    const a = new QuantileSketch({ relativeAccuracy: 0.01 });
    const b = new QuantileSketch({ relativeAccuracy: 0.02 }).add(1);
    expect(() => a.merge(b)).toThrow(RangeError);
  });

  it('collapses the lowest buckets first, keeping upper quantiles within 1%', () => {
    const maxBuckets = 64;
    const s = new QuantileSketch({ maxBuckets });
    const r = rng(11);
    // 12 decades of values: far wider than 64 buckets of ~2% each can cover.
    const values = Array.from({ length: 20_000 }, () => 10 ** (12 * r() - 6));
    for (const v of values) s.add(v);
    expect(s.collapsed).toBe(true);
    expect(s.bucketCount).toBeLessThanOrEqual(maxBuckets);
    const sorted = Float64Array.from(values).sort();
    const gamma = (1 + ALPHA) / (1 - ALPHA);
    // Values within γ^(maxBuckets−2) of the maximum are in kept buckets.
    const lowestKept = s.max / gamma ** (maxBuckets - 2);
    let checkedAccurate = 0;
    for (let q = 0.01; q < 1; q += 0.01) {
      const exact = exactQuantile(sorted, q);
      const estimate = s.quantile(q);
      if (exact >= lowestKept) {
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(ALPHA * exact);
        checkedAccurate++;
      } else {
        // Collapsed quantiles are over-estimated, never under.
        expect(estimate).toBeGreaterThanOrEqual(exact);
      }
    }
    expect(checkedAccurate).toBeGreaterThan(0);
  });

  describe('properties', () => {
    const positive = fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true });
    const values = fc.array(positive, { minLength: 1, maxLength: 300 });
    const quantile = fc.double({ min: 0, max: 1, noNaN: true });

    it('every quantile is within 1% of the exact lower quantile', () => {
      fc.assert(
        fc.property(values, quantile, (xs, q) => {
          const s = sketchOf(xs);
          const exact = exactQuantile(Float64Array.from(xs).sort(), q);
          const estimate = s.quantile(q);
          // Documented exceptions: values below MIN_INDEXABLE_VALUE count as zeros, and
          // values more than γ^(maxBuckets−2) below the maximum may sit in collapsed
          // buckets, where they are over-estimated but never under-estimated.
          const gamma = (1 + ALPHA) / (1 - ALPHA);
          if (exact < s.max / gamma ** (s.maxBuckets - 2)) {
            return estimate >= exact * (1 - ALPHA) - MIN_INDEXABLE_VALUE;
          }
          return Math.abs(estimate - exact) <= Math.max(ALPHA * exact, MIN_INDEXABLE_VALUE);
        }),
        { numRuns: 1000 },
      );
    });

    it('never collapses and stays within 1% for values from 1 µs to 11 days in ms', () => {
      const latency = fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e9, noNaN: true }));
      fc.assert(
        fc.property(fc.array(latency, { minLength: 1, maxLength: 300 }), quantile, (xs, q) => {
          const s = sketchOf(xs);
          const exact = exactQuantile(Float64Array.from(xs).sort(), q);
          return !s.collapsed && Math.abs(s.quantile(q) - exact) <= ALPHA * exact;
        }),
        { numRuns: 1000 },
      );
    });

    it('merging any split equals one sketch of everything', () => {
      fc.assert(
        fc.property(values, values, quantile, (xs, ys, q) => {
          const merged = sketchOf(xs).merge(sketchOf(ys));
          const whole = sketchOf([...xs, ...ys]);
          return (
            merged.count === whole.count &&
            merged.min === whole.min &&
            merged.max === whole.max &&
            merged.quantile(q) === whole.quantile(q)
          );
        }),
        { numRuns: 300 },
      );
    });

    it('quantiles() and mergeBytes() agree with quantile() and merge()', () => {
      fc.assert(
        fc.property(values, values, fc.array(quantile, { maxLength: 6 }), (xs, ys, qs) => {
          const viaBytes = sketchOf(xs).mergeBytes(sketchOf(ys).toBytes());
          const viaMerge = sketchOf(xs).merge(sketchOf(ys));
          const batch = viaBytes.quantiles(qs);
          return (
            viaBytes.count === viaMerge.count &&
            viaBytes.sum === viaMerge.sum &&
            qs.every((q, i) => Object.is(batch[i], viaMerge.quantile(q)))
          );
        }),
        { numRuns: 300 },
      );
    });

    it('a cleared sketch answers like a fresh one', () => {
      fc.assert(
        fc.property(values, values, quantile, (xs, ys, q) => {
          const reused = sketchOf(xs).clear();
          for (const y of ys) reused.add(y);
          const fresh = sketchOf(ys);
          return (
            reused.count === fresh.count &&
            reused.min === fresh.min &&
            Object.is(reused.quantile(q), fresh.quantile(q)) &&
            Array.from(reused.toBytes()).join() === Array.from(fresh.toBytes()).join()
          );
        }),
        { numRuns: 200 },
      );
    });

    it('corrupt bytes are refused with a RangeError or read as some valid sketch', () => {
      fc.assert(
        fc.property(
          values,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (xs, flips) => {
            const bytes = sketchOf(xs).toBytes();
            for (const [at, value] of flips) bytes[at % bytes.length] = value;
            try {
              const back = QuantileSketch.fromBytes(bytes);
              return back.count >= 0 && back.bucketCount <= back.maxBuckets;
            } catch (error) {
              return error instanceof RangeError;
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it('bytes round-trip preserves every answer', () => {
      fc.assert(
        fc.property(fc.array(positive, { maxLength: 200 }), quantile, (xs, q) => {
          const s = sketchOf(xs);
          const back = QuantileSketch.fromBytes(s.toBytes());
          return (
            back.count === s.count &&
            Object.is(back.quantile(q), s.quantile(q)) &&
            Object.is(back.sum, s.sum)
          );
        }),
        { numRuns: 300 },
      );
    });
  });
});
