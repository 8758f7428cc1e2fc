const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
// Below this the all-positive erf series is used, above it the erfc continued fraction.
const SERIES_LIMIT = 2.5;
const EPS = 1e-17;
const MAX_TERMS = 500;

/**
 * Complementary error function erfc(x) for x >= 0, to about 1e-15 relative:
 * erf by the series 2/sqrt(pi) e^{-x^2} sum 2^k x^{2k+1} / (1*3*...*(2k+1)) (all terms
 * positive, DLMF 7.6.2) below 2.5; above, the continued fraction of DLMF 7.9.2 evaluated
 * by the modified Lentz method.
 */
export function erfcPositive(x: number): number {
  if (x < SERIES_LIMIT) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let k = 1; k < MAX_TERMS; k++) {
      term *= (2 * x2) / (2 * k + 1);
      sum += term;
      if (term < sum * EPS) break;
    }
    const erf = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    return 1 - erf;
  }
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < MAX_TERMS; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** Standard normal CDF Phi(z) (`scipy.stats.norm.cdf`, cephes `ndtr`). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = z * SQRT1_2;
  if (x >= 0) return 1 - 0.5 * erfcPositive(x);
  return 0.5 * erfcPositive(-x);
}
