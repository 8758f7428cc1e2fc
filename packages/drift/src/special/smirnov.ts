// cephes MINLOG: log(2^-1022); exp() of anything smaller underflows.
const MIN_LOG = -708.3964185322641;
// cephes SMIRNOV_MAX_COMPUTE_N: above it scipy uses a closed-form approximation.
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const DBL_EPSILON = 2.220446049250313e-16;
const SPLITTER = 134217729; // 2^27 + 1, Dekker's splitting constant

/**
 * Survival function of the one-sided Kolmogorov-Smirnov statistic, P(D+_n >= x)
 * (`scipy.special.smirnov`, cephes `smirnov`). Exact Birnbaum-Tingey / Smirnov sum
 *   P = x * sum_{v=0}^{floor(n(1-x))} C(n,v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1)
 * of positive terms, summed in log space (cephes keeps a separate exponent for the same
 * reason); the same special cases and stopping rule as cephes. Sources: Birnbaum & Tingey,
 * Ann. Math. Statist. 1951; van Mulbregt, arXiv:1802.06966.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxfl, frac: alpha } = floorFrac(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x <= 1/n: P(D+ < x) = x (1 + x)^(n-1)
    const cdf = x * Math.exp((n - 1) * Math.log1p(x));
    return clip01(1 - cdf);
  }
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxfl >= n - 1) return clip01((1 - x) ** n);
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  const nTerms = n1mxfl + 1;
  // term 0: (1 - x)^n / x; log of C(n, v) is updated term by term.
  let logC = 0;
  let ref = n * Math.log1p(-x) - Math.log(x);
  let sum = 1; // in units of exp(ref); ref follows the largest term so nothing overflows
  for (let v = 1; v < nTerms; v++) {
    logC += Math.log((n - v + 1) / v);
    // 1 - x - v/n and x + v/n from the exact split n x = nxfl + alpha
    const lower = (n - v - nxfl - alpha) / n;
    const upper = (nxfl + v + alpha) / n;
    const logA = logC + (n - v) * Math.log(lower) + (v - 1) * Math.log(upper);
    if (logA > ref) {
      sum *= Math.exp(ref - logA);
      ref = logA;
    }
    const a = Math.exp(logA - ref);
    sum += a;
    if (4 * (nTerms - v) * a < DBL_EPSILON * sum && v !== nTerms - 1) break;
  }
  return clip01(x * Math.exp(Math.log(sum) + ref));
}

/** floor(n x) and n x - floor(n x), computed from the exact product (Dekker's two-product). */
function floorFrac(n: number, x: number): { floor: number; frac: number } {
  const p = n * x;
  const nc = SPLITTER * n;
  const nh = nc - (nc - n);
  const nl = n - nh;
  const xc = SPLITTER * x;
  const xh = xc - (xc - x);
  const xl = x - xh;
  const err = nh * xh - p + nh * xl + nl * xh + nl * xl;
  let fl = Math.floor(p);
  let frac = p - fl + err;
  if (frac < 0) {
    fl -= 1;
    frac += 1;
  }
  if (frac >= 1) {
    fl += 1;
    frac -= 1;
  }
  return { floor: fl, frac };
}

function clip01(p: number): number {
  return p < 0 ? 0 : Math.min(p, 1);
}
