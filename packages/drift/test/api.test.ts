import { describe, expect, it } from 'vitest';
import { chiSquare, detectDrift, kolmogorovSf, ks2samp, psi, wasserstein } from '../src/index.js';
import { roundHalfEven } from '../src/ks.js';

describe('invalid input', () => {
  it('rejects a non-number in a numeric window, naming the window and index', () => {
    const bad = [1, 2, '3'] as unknown as number[];
    expect(() => ks2samp([1, 2], bad)).toThrow(/current window, index 2: the string "3"/);
    expect(() => psi(bad, [1])).toThrow(RangeError);
  });

  it('rejects NaN and infinities in a Float64Array', () => {
    expect(() => wasserstein(new Float64Array([1, Number.NaN]), [1])).toThrow(
      /reference window, index 1: NaN is not a finite number/,
    );
    expect(() => ks2samp([1], new Float64Array([0, 0, -Infinity]))).toThrow(
      /current window, index 2/,
    );
  });

  it('names the first bad value when both typed windows are scanned together', () => {
    const ref = new Float64Array([1, 2, 3, 4, 5]);
    const cur = new Float64Array([1, 2, 3, Number.POSITIVE_INFINITY, Number.NaN]);
    expect(() => psi(ref, cur)).toThrow(/current window, index 3: Infinity/);
    expect(() => psi(cur, ref)).toThrow(/reference window, index 3: Infinity/);
    expect(() => ks2samp(new Float64Array(60_000).fill(1), cur)).toThrow(/current window, index 3/);
  });

  it('rejects empty windows', () => {
    expect(() => ks2samp([], [1])).toThrow(/reference window is empty/);
    expect(() => chiSquare(['a'], [])).toThrow(/current window is empty/);
  });

  it('rejects a non-string in a categorical window', () => {
    const bad = ['a', null] as unknown as string[];
    expect(() => detectDrift(['a'], bad, { kind: 'categorical' })).toThrow(
      /current window, index 1: expected a string, got null/,
    );
  });

  it('refuses unknown methods and kinds and non-finite thresholds', () => {
    const opts = (o: object) => o as Parameters<typeof detectDrift>[2];
    expect(() => detectDrift([1], [2], opts({ kind: 'numeric', method: 'anderson' }))).toThrow(
      /unknown method 'anderson'/,
    );
    expect(() => detectDrift([1], [2], opts({ kind: 'ordinal' }))).toThrow(/kind must be/);
    expect(() => detectDrift([1], [2], { kind: 'numeric', threshold: Number.NaN })).toThrow(
      /threshold/,
    );
  });

  it('refuses numeric-only tests on categorical windows', () => {
    expect(() => detectDrift(['a'], ['b'], { kind: 'categorical', method: 'ks' })).toThrow(
      RangeError,
    );
  });
});

describe('ks2samp', () => {
  it('reproduces the textbook exact p-value 2 / C(6, 3)', () => {
    // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6]) -> (1.0, 0.1)
    const r = ks2samp([1, 2, 3], [4, 5, 6]);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(0.1, 15);
    expect(r.method).toBe('exact');
  });

  it('does not modify its inputs', () => {
    const a = [3, 1, 2];
    const b = new Float64Array([9, 8, 7]);
    ks2samp(a, b);
    expect(a).toEqual([3, 1, 2]);
    expect(Array.from(b)).toEqual([9, 8, 7]);
  });

  it('rejects unknown options as scipy does', () => {
    const bad = { method: 'fast' } as unknown as Parameters<typeof ks2samp>[2];
    expect(() => ks2samp([1], [2], bad)).toThrow(/method must be/);
    const alt = { alternative: 'two_sided' } as unknown as Parameters<typeof ks2samp>[2];
    expect(() => ks2samp([1], [2], alt)).toThrow(/alternative must be/);
  });

  it('can force either path', () => {
    expect(ks2samp([1, 2, 3], [4, 5, 6], { method: 'asymp' }).method).toBe('asymp');
    const big = Array.from({ length: 10_001 }, (_, i) => i);
    expect(ks2samp(big, [0.5, 1.5], { method: 'exact' }).method).toBe('exact');
    expect(ks2samp(big, [0.5, 1.5]).method).toBe('asymp');
  });

  it('rounds the effective n half to even, as numpy does', () => {
    expect(roundHalfEven(5000.5)).toBe(5000);
    expect(roundHalfEven(10.5)).toBe(10);
    expect(roundHalfEven(11.5)).toBe(12);
    expect(roundHalfEven(7.4999)).toBe(7);
  });

  it('uses the one-sample Kolmogorov distribution at the effective n', () => {
    // scipy.stats.kstwo.sf(0.05, 400) -> 0.26121244607129124
    expect(kolmogorovSf(400, 0.05)).toBeCloseTo(0.26121244607129124, 12);
  });
});

describe('detectDrift', () => {
  it('returns bins a report can draw', () => {
    const r = detectDrift(['a', 'b', 'b'], ['b', 'c'], { kind: 'categorical', method: 'psi' });
    expect(r.bins).toEqual({
      binning: 'per_value',
      keys: ['a', 'b', 'c'],
      referenceCounts: [1, 2, 0],
      currentCounts: [0, 1, 1],
    });
  });

  it('honours a custom threshold', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = a.map((x) => x + 5);
    const loose = detectDrift(a, b, { kind: 'numeric', method: 'wasserstein', threshold: 1 });
    expect(loose.threshold).toBe(1);
    expect(loose.drifted).toBe(false);
    expect(detectDrift(a, b, { kind: 'numeric', method: 'wasserstein' }).drifted).toBe(true);
  });
});

describe('extreme ranges', () => {
  it('refuses equal-width bins over a range float64 cannot subtract, with a clear message', () => {
    const ref = Array.from({ length: 30 }, (_, i) => (i - 15) * 1e307);
    expect(() => psi(ref, [1e308, -1e308])).toThrow(/wider than float64 can subtract/);
  });

  it('still computes KS on such windows (it needs no bins)', () => {
    const ref = [-1.5e308, 0, 1.5e308];
    expect(ks2samp(ref, [1e308]).statistic).toBeCloseTo(2 / 3, 12);
  });
});

describe('psi binning options', () => {
  it('bins at reference quantiles as numpy does', () => {
    const ref = [0.5, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    const cur = [-1, 0, 2, 4, 8, 16, 32, 64, 128];
    // e = np.unique(np.quantile(ref, np.linspace(0, 1, k + 1))); e[0] = min(e[0], cur.min());
    // e[-1] = max(e[-1], cur.max()); np.histogram(ref, e), np.histogram(cur, e); Evidently's fill
    const four = psi(ref, cur, { binning: { quantiles: 4 } });
    expect(four.bins).toEqual({
      binning: 'quantiles',
      edges: [-1, 1.75, 6.5, 24.25, 128],
      referenceCounts: [3, 3, 3, 3],
      currentCounts: [2, 2, 2, 3],
    });
    expect(four.value).toBeCloseTo(0.033788759009013694, 14);
    const ten = psi(ref, cur, { binning: { quantiles: 10 } });
    expect(ten.bins).toMatchObject({
      edges: [
        -1, 1, 1.2000000000000002, 2.3000000000000007, 3.8000000000000007, 6.5, 11.000000000000007,
        18.60000000000001, 31.40000000000001, 52.900000000000006, 128,
      ],
      referenceCounts: [1, 2, 1, 1, 1, 1, 1, 1, 1, 2],
      currentCounts: [2, 0, 1, 0, 1, 1, 1, 0, 1, 2],
    });
    expect(ten.value).toBeCloseTo(2.547413291883036, 13);
  });

  it('supports a fixed number of equal-width bins', () => {
    const r = psi([0, 1, 2, 3], [0, 0, 3, 3], { binning: { count: 3 } });
    expect(r.bins).toMatchObject({
      binning: 'fixed',
      edges: [0, 1, 2, 3],
      referenceCounts: [1, 1, 2],
    });
  });
});
