import { describe, expect, it } from 'vitest';
import {
  chiSquare,
  detectDrift,
  jensenShannon,
  ks2samp,
  psi,
  wasserstein,
  zTest,
} from '../src/index.js';
import {
  closeP,
  closeStat,
  decodeNumber,
  decodeNumeric,
  type Expected,
  loadVectors,
  type VectorCase,
} from './vectors.js';

// drift-vectors.json: the shared public vectors (scipy 1.10 / numpy 1.24 reference values, each
// checked against Evidently's stat-test functions; its `definitions` state every rule).
// extra-vectors.json: our own cross-checks from fixtures/make-extra-vectors.py (scipy 1.17).
const files = ['drift-vectors.json', 'extra-vectors.json'];

const TEST_NAMES: Record<string, string> = {
  ks: 'ks',
  chisquare: 'chisquare',
  z: 'z',
  jensenshannon: 'js',
  wasserstein: 'wasserstein',
};

function expectStat(actual: number, expected: number, what: string): void {
  expect(closeStat(actual, expected), `${what}: got ${actual}, expected ${expected}`).toBe(true);
}

function expectP(actual: number, expected: number, what: string): void {
  expect(closeP(actual, expected), `${what}: got ${actual}, expected ${expected}`).toBe(true);
}

function firstBad(values: (number | string)[]): number {
  return values.findIndex((v) => typeof v !== 'number');
}

for (const file of files) {
  const cases: VectorCase[] = loadVectors(file);
  describe(`vectors: ${file}`, () => {
    it('holds cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });
    for (const c of cases) {
      if (c.expect_error) {
        it(`${c.name}: rejects invalid input with a RangeError naming the window and index`, () => {
          const ref = decodeNumeric(c.reference);
          const cur = decodeNumeric(c.current);
          const badRef = firstBad(c.reference);
          const window = badRef >= 0 || ref.length === 0 ? 'reference' : 'current';
          const index = badRef >= 0 ? badRef : firstBad(c.current);
          const pattern =
            index >= 0
              ? new RegExp(`${window}.*index ${index}\\b`)
              : new RegExp(`${window}.*empty`);
          const calls: (() => unknown)[] = [
            () => ks2samp(ref, cur),
            () => psi(ref, cur),
            () => jensenShannon(ref, cur),
            () => wasserstein(ref, cur),
            () => detectDrift(ref, cur, { kind: 'numeric' }),
            () => ks2samp(Float64Array.from(ref), Float64Array.from(cur)),
          ];
          for (const call of calls) {
            expect(call).toThrow(RangeError);
            expect(call).toThrow(pattern);
          }
        });
        continue;
      }
      const e = c.expected as Expected;
      if (c.kind === 'numeric') {
        const ref = c.reference as number[];
        const cur = c.current as number[];
        it(`${c.name}: ks2samp matches scipy (statistic, p-value, method)`, () => {
          // scipy.stats.ks_2samp(reference, current)
          const r = ks2samp(ref, cur);
          expectStat(r.statistic, e.ks_statistic!, 'statistic');
          expectP(r.pValue, e.ks_pvalue!, 'pValue');
          expect(r.method).toBe(e.ks_method);
          // scipy.stats.ks_2samp(reference, current, method='asymp')
          const asymp = ks2samp(Float64Array.from(ref), Float64Array.from(cur), {
            method: 'asymp',
          });
          expectP(asymp.pValue, decodeNumber(e.ks_pvalue_asymp!), 'asymp pValue');
        });
        it(`${c.name}: wasserstein matches scipy and Evidently's normed score`, () => {
          // scipy.stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001)
          const r = wasserstein(ref, cur);
          expectStat(r.value, e.wasserstein!, 'wasserstein');
          expectStat(r.normed, e.wasserstein_norm!, 'wasserstein_norm');
        });
      } else {
        it(`${c.name}: chiSquare matches chi2_contingency and Evidently's chisquare`, () => {
          const ref = c.reference as string[];
          const cur = c.current as string[];
          // scipy.stats.chi2_contingency([ref_counts, cur_counts])
          const r = chiSquare(ref, cur);
          expectStat(r.statistic, decodeNumber(e.chi2!.statistic), 'chi2');
          expectP(r.pValue, decodeNumber(e.chi2!.pvalue), 'chi2 p');
          expect(r.dof).toBe(e.chi2!.dof);
          const u = chiSquare(ref, cur, { correction: false });
          expectStat(u.statistic, decodeNumber(e.chi2_uncorrected!.statistic), 'chi2 uncorrected');
          expectP(u.pValue, decodeNumber(e.chi2_uncorrected!.pvalue), 'chi2 uncorrected p');
          // scipy.stats.chisquare(cur_counts, ref_counts * n_cur / n_ref)
          const g = chiSquare(ref, cur, { variant: 'goodness-of-fit' });
          expectStat(g.statistic, decodeNumber(e.chisquare_evidently!.statistic), 'chisquare');
          expectP(g.pValue, decodeNumber(e.chisquare_evidently!.pvalue), 'chisquare p');
        });
      }
      it(`${c.name}: psi and jensenShannon match Evidently, with its bins`, () => {
        const ref = c.reference as number[] | string[];
        const cur = c.current as number[] | string[];
        const p = psi(ref, cur);
        expectStat(p.value, e.psi, 'psi');
        const b = p.bins;
        expect(b.binning).toBe(e.binning.binning);
        expect(b.referenceCounts).toEqual(e.binning.reference_counts);
        expect(b.currentCounts).toEqual(e.binning.current_counts);
        if (b.binning === 'per_value') {
          // -0 and 0 are one key (pandas and Map agree); which sign is kept does not matter.
          const plusZero = (k: number | string) => (k === 0 ? 0 : k);
          expect(b.keys.map(plusZero)).toEqual(e.binning.keys!.map(plusZero));
        } else {
          expect(b.edges).toHaveLength(e.binning.n_bins + 1);
          for (const [i, edge] of b.edges.entries()) {
            expectStat(edge, e.binning.edges![i]!, `edge ${i}`);
          }
        }
        // scipy.spatial.distance.jensenshannon(ref_pct, cur_pct) (base e and base 2)
        expectStat(jensenShannon(ref, cur).value, e.jensenshannon, 'js');
        expectStat(jensenShannon(ref, cur, { base: 2 }).value, e.jensenshannon_base2, 'js base 2');
      });
      it(`${c.name}: detectDrift auto picks Evidently's default test, score and verdict`, () => {
        const d = e.evidently_default;
        const r = detectDrift(
          c.reference as number[] | string[],
          c.current as number[] | string[],
          {
            kind: c.kind,
          },
        );
        expect(r.method).toBe(TEST_NAMES[d.test]);
        expect(r.threshold).toBe(d.threshold);
        const score = decodeNumber(d.score);
        if (r.pValue !== undefined) expectP(r.pValue, score, 'score (p-value)');
        else expectStat(r.statistic, score, 'score');
        expect(r.drifted).toBe(d.drift_detected);
        if (d.test === 'z') {
          expectP(zTest(c.reference as string[], c.current as string[]).pValue, score, 'zTest');
        }
      });
    }
  });
}
