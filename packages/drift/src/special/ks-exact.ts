/**
 * Exact null distribution of the two-sample KS statistic (Hodges, "The significance
 * probability of the Smirnov two-sample test", Arkiv för Matematik 3(43), 1958), computed
 * the way scipy's `ks_2samp(method='exact')` does so the p-values agree to rounding.
 */

/**
 * P(D_{n,n} >= h/n) for two windows of equal size n: Hodges' closed form
 * 2 * sum_k (-1)^(k+1) C(2n, n - k h) / C(2n, n), evaluated from the inside out
 * (P = 2 A0 (1 - A1 (1 - A2 (...)))) so no term cancels.
 */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    const kh = k * h;
    for (let j = 0; j < h; j++) p1 = ((n - kh - j) * p1) / (n + kh + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * P(D_{m,n} >= h/lcm(m,n)) for m != n: the share of monotone lattice paths from (0,0) to
 * (m,n) that leave the band |x/m - y/n| < h/lcm(m,n), by the "inside method" recursion
 * rewritten to carry 1 - p directly (Viehmann, arXiv:2102.08037), one sliding column at a
 * time. O(m * band width) time, O(n) memory.
 */
export function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  // 1/(i + j) from a table: a multiply instead of a division in the inner loop.
  const recip = new Float64Array(m + n + 1);
  for (let s = 1; s <= m + n; s++) recip[s] = 1 / s;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    const width = maxj - minj;
    for (let jj = 0; jj < width; jj++) {
      const j = jj + minj;
      val = (A[jj + shift]! * i + val * j) * recip[i + j]!;
      A[jj] = val;
    }
    curlen = width;
    if (lastlen > curlen) A.fill(1, width, width + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** One-sided: P(D+_{n,n} >= h/n) = C(2n, n-h) / C(2n, n), as a product of ratios. */
export function probOneSidedSquare(n: number, h: number): number {
  let p = 1;
  for (let j = 0; j < h; j++) p *= (n - j) / (n + j + 1);
  return p;
}

/**
 * One-sided, m != n: the number of lattice paths from (0,0) to (m,n) that reach the line
 * m y = n x - h g (Hodges 1958, Drion/Gnedenko/Korolyuk), divided by C(m+n, n).
 * Returns NaN when the count overflows a double, as scipy then falls back to the asymptotic
 * formula.
 */
export function probOneSidedBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const total = binom(m + n, n);
  if (!Number.isFinite(total)) return Number.NaN;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj <= 0) return 1;
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let bj = binom(xj[j]! + j, j);
    for (let i = 0; i < j; i++) bj -= binom(xj[j]! - xj[i]! + j - i, j - i) * B[i]!;
    B[j] = bj;
  }
  let paths = 0;
  for (let j = 0; j < lxj; j++) paths += B[j]! * binom(m - xj[j]! + (n - j), n - j);
  if (!Number.isFinite(paths) || paths > total) return Number.NaN;
  return paths / total;
}

/** Binomial coefficient as a double (Infinity on overflow). */
function binom(a: number, b: number): number {
  if (b < 0 || b > a) return 0;
  const k = Math.min(b, a - b);
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (a - k + i)) / i;
  return r;
}
