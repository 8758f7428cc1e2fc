export { type ChiSquareOptions, chiSquare } from './chi-square.js';
export {
  AUTO_CONTINUOUS_MIN_DISTINCT,
  AUTO_SMALL_REFERENCE_MAX,
  DEFAULT_THRESHOLDS,
  detectDrift,
} from './detect.js';
export {
  type JensenShannonOptions,
  jensenShannon,
  WASSERSTEIN_STD_FLOOR,
  wasserstein,
} from './distance.js';
export { type NumericBinning, PER_VALUE_MAX_DISTINCT } from './histogram.js';
export { KS_MAX_EXACT_N, type KsOptions, ks2samp } from './ks.js';
export { type PsiOptions, psi } from './psi.js';
export { chiSquareSf } from './special/gamma.js';
export { kolmogorovSf } from './special/kolmogorov.js';
export { normalCdf } from './special/normal.js';
export { smirnovSf } from './special/smirnov.js';
export type {
  BinnedResult,
  Bins,
  CategoricalWindow,
  ChiSquareResult,
  DataKind,
  DetectDriftOptions,
  DriftResult,
  DriftTest,
  KsAlternative,
  KsMethod,
  KsResult,
  NumericWindow,
  WassersteinResult,
  ZTestResult,
} from './types.js';
export type { BinningOptions } from './windows.js';
export { zTest } from './z-test.js';
