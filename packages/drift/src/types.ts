/** A numeric window: plain numbers or a `Float64Array`. Every value must be finite. */
export type NumericWindow = readonly number[] | Float64Array;

/** A categorical window: one string per observation. */
export type CategoricalWindow = readonly string[];

/** What kind of data a window holds; decides binning and the automatic test choice. */
export type DataKind = 'numeric' | 'categorical';

/**
 * Which path produced a KS p-value: the exact null distribution, the asymptotic one
 * (`kstwo.sf` at the effective sample size), or the asymptotic one because the exact
 * computation failed numerically (scipy warns and does the same).
 */
export type KsMethod = 'exact' | 'asymp' | 'asymp_after_exact_failed';

/** The alternative hypothesis of a KS test, as in `scipy.stats.ks_2samp`. */
export type KsAlternative = 'two-sided' | 'less' | 'greater';

/** Result of {@link ks2samp}. */
export interface KsResult {
  /** The KS statistic D (rounded to h/lcm(n, m) on the exact path, as scipy does). */
  statistic: number;
  /** The p-value under the null hypothesis that both windows share one continuous distribution. */
  pValue: number;
  /** Which null distribution produced `pValue`. */
  method: KsMethod;
}

/**
 * Bins shared by PSI and Jensen-Shannon. `sturges` / `fixed` / `quantiles`: `edges` has one more
 * entry than the counts, bin i holds `edges[i] <= x < edges[i + 1]`, the last bin also holds `x == edges[last]`.
 * `per_value`: one bin per distinct value (`keys`, sorted ascending).
 */
export type Bins =
  | {
      binning: 'sturges' | 'fixed' | 'quantiles';
      edges: number[];
      referenceCounts: number[];
      currentCounts: number[];
    }
  | {
      binning: 'per_value';
      keys: (number | string)[];
      referenceCounts: number[];
      currentCounts: number[];
    };

/** Result of {@link psi} and {@link jensenShannon}: the value and the bins it was computed on. */
export interface BinnedResult {
  value: number;
  bins: Bins;
}

/** Result of {@link wasserstein}. */
export interface WassersteinResult {
  /** First Wasserstein (earth mover's) distance, in the data's unit. */
  value: number;
  /** `value / max(population std of reference, 0.001)`, Evidently's drift score. */
  normed: number;
}

/** Result of {@link chiSquare}. */
export interface ChiSquareResult {
  /** The chi-square statistic; `Infinity` for the goodness-of-fit variant when a category is new. */
  statistic: number;
  /** Upper-tail p-value; `NaN` for the goodness-of-fit variant with a single category. */
  pValue: number;
  /** Degrees of freedom. */
  dof: number;
  /** The categories (sorted) and both windows' counts. */
  bins: Bins;
}

/** Result of {@link zTest}. */
export interface ZTestResult {
  /** The z statistic; `NaN` when both windows are the same constant. */
  statistic: number;
  /** Two-sided p-value, computed as `2 * (1 - Phi(|z|))` like Evidently. */
  pValue: number;
}

/** The tests {@link detectDrift} can run. */
export type DriftTest = 'ks' | 'psi' | 'js' | 'wasserstein' | 'chi2' | 'chisquare' | 'z';

/** Options of {@link detectDrift}. */
export interface DetectDriftOptions {
  /** Whether the windows hold numbers or categories. */
  kind: DataKind;
  /** The test; `auto` (default) chooses as Evidently's default does. */
  method?: 'auto' | DriftTest;
  /** Drift threshold; defaults to Evidently's for the chosen test. */
  threshold?: number;
}

/** Result of {@link detectDrift}. */
export interface DriftResult {
  /** The test that ran (after resolving `auto`). */
  method: DriftTest;
  /** The test statistic: D for ks, chi-square, z, or the distance for psi/js/wasserstein (normed). */
  statistic: number;
  /** The p-value for p-value tests (ks, chi2, chisquare, z); `drifted` compares it with `threshold`. */
  pValue?: number;
  /** The threshold used. */
  threshold: number;
  /** Whether the test flags drift (p-value tests: p below the threshold; distances: at or above). */
  drifted: boolean;
  /** Histogram of both windows, for reports (Evidently's binning). */
  bins: Bins;
}
