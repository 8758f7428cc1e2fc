// numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, PW_BLOCKSIZE 128):
// below 8 values a plain loop, up to 128 eight interleaved partial sums, above that the halves
// (split at a multiple of 8) summed recursively. Used wherever scipy/numpy call np.sum, so our
// rounding is numpy's rounding, which matters where sums cancel (e.g. the std of values far
// from zero).
const BLOCK = 128;

/**
 * Sum of `a[from..to)`, or of `(a[i] - shift)^2` when `squared` is set, with numpy's pairwise
 * summation order.
 */
export function pairwiseSum(
  a: ArrayLike<number>,
  from = 0,
  to = a.length,
  shift = 0,
  squared = false,
): number {
  const n = to - from;
  const at = (i: number): number => {
    if (!squared) return a[i]!;
    const d = a[i]! - shift;
    return d * d;
  };
  if (n < 8) {
    let res = 0;
    for (let i = from; i < to; i++) res += at(i);
    return res;
  }
  if (n <= BLOCK) {
    let r0 = at(from);
    let r1 = at(from + 1);
    let r2 = at(from + 2);
    let r3 = at(from + 3);
    let r4 = at(from + 4);
    let r5 = at(from + 5);
    let r6 = at(from + 6);
    let r7 = at(from + 7);
    let i = from + 8;
    const end = to - (n % 8);
    for (; i < end; i += 8) {
      r0 += at(i);
      r1 += at(i + 1);
      r2 += at(i + 2);
      r3 += at(i + 3);
      r4 += at(i + 4);
      r5 += at(i + 5);
      r6 += at(i + 6);
      r7 += at(i + 7);
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < to; i++) res += at(i);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return (
    pairwiseSum(a, from, from + n2, shift, squared) + pairwiseSum(a, from + n2, to, shift, squared)
  );
}
