import { smirnovSf } from './smirnov.js';

// Thresholds of scipy.stats._ksstats._kolmogn (Simard & L'Ecuyer 2011, section 3).
const SMALL_N = 140;
const DMTW_MAX_N = 100_000;
const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
// Stirling series coefficients, highest power first (B_2k / (2k (2k - 1)), rounded to double).
const STIRLING = [
  -2.9550653594771242e-2, 6.41025641025641e-3, -1.9175269175269176e-3, 8.417508417508417e-4,
  -5.952380952380953e-4, 7.936507936507937e-4, -2.777777777777778e-3, 8.333333333333333e-2,
];

/**
 * Survival function of the two-sided one-sample Kolmogorov-Smirnov statistic,
 * P(D_n >= x) (`scipy.stats.kstwo.sf(x, n)`), following the method selection of Simard &
 * L'Ecuyer, "Computing the Two-Sided Kolmogorov-Smirnov Distribution", J. Stat. Softw. 39(11),
 * 2011, as scipy does: Ruben-Gambino closed forms at the ends of the support, twice the
 * one-sided Smirnov tail where the two tails cannot overlap (x >= 0.5) or barely matter,
 * the Durbin matrix (Marsaglia-Tsang-Wang) for the exact CDF at small n x^2, and the
 * Pelz-Good expansion for large n. Where scipy uses the Pomeranz recursion (n <= 140,
 * 0.754693 < n x^2 <= 4) the Durbin matrix computes the same exact CDF.
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!(n > 0) || !Number.isInteger(n) || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= SMALL_N) {
      cdf = 1;
      const f = (1 / n) * (2 * t - 1);
      for (let i = 1; i <= n; i++) cdf *= i * f;
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= SMALL_N) {
    if (nx2 <= 4) return clip01(1 - durbinMatrixCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= DMTW_MAX_N && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

/** log(n! / n^n) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const z = rn / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * z + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/**
 * P(D_n < d) by Durbin's matrix formula with Marsaglia, Tsang & Wang's scaling
 * (J. Stat. Softw. 8(18), 2003): the (k,k) entry of H^n times n!/n^n.
 */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let scratch = new Float64Array(m * m);
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  const kk = (k - 1) * m + (k - 1);
  while (nn > 0) {
    if (nn % 2) {
      matMul(P, H, scratch, m);
      const t = P;
      P = scratch;
      scratch = t;
      expnt += hExpnt;
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break;
    matMul(H, H, scratch, m);
    const t = H;
    H = scratch;
    scratch = t;
    hExpnt *= 2;
    if (Math.abs(H[kk]!) > E128) {
      for (let i = 0; i < m * m; i++) H[i]! /= E128;
      hExpnt += 128;
    }
  }
  let p = P[kk]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  return clip01(ldexp(p, expnt));
}

function matMul(a: Float64Array, b: Float64Array, out: Float64Array, m: number): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[row + l]!;
      if (ail === 0) continue;
      const brow = l * m;
      for (let j = 0; j < m; j++) out[row + j]! += ail * b[brow + j]!;
    }
  }
}

/**
 * Pelz-Good approximation to P(D_n <= x): Li-Chien/Korolyuk expansion in powers of
 * n^-1/2 with Jacobi-theta forms for small z = x sqrt(n) (Pelz & Good, JRSS B 38, 1976).
 */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  let K0 = 0;
  let K1 = 0;
  let K2 = 0;
  let K3 = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const mm = 2 * k - 1;
    const m2 = mm * mm;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K0 = K0 * qp + 1;
    K1 = K1 * qp + (k1a + k1b * m2);
    K2 = K2 * qp + (k2a + k2b * m2 + k2c * m4);
    K3 = K3 * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  K0 = (K0 * q * SQRT_2PI) / z;
  K1 = (K1 * q * SQRT_2PI) / (6 * z4);
  K2 = (K2 * q * SQRT_2PI) / (72 * z ** 7);
  K3 = (K3 * q * SQRT_2PI) / (6480 * z ** 10);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    k2extra += k2 * qk;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K2 += k2extra * ((PI2 * SQRT_2PI) / (-36 * z3));
  K3 += k3extra * ((PI2 * SQRT_2PI) / (216 * z6));
  return K0 + K1 / Math.sqrt(n) + K2 / n + K3 / n ** 1.5;
}

function ldexp(p: number, e: number): number {
  let r = p;
  let ex = e;
  while (ex > 1000) {
    r *= 2 ** 1000;
    ex -= 1000;
  }
  while (ex < -1000) {
    r *= 2 ** -1000;
    ex += 1000;
  }
  return r * 2 ** ex;
}

function clip01(p: number): number {
  return p < 0 ? 0 : Math.min(p, 1);
}
