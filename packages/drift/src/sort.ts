// Below this length the engine's built-in sort is as fast as a radix pass.
const RADIX_MIN_LENGTH = 100_000;
const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Sorts a `Float64Array` of finite numbers ascending, in place, and returns it.
 * Large arrays use an LSD radix sort on the IEEE-754 bit patterns (order-preserving key
 * transform), which allocates one scratch buffer of the same size while it runs.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN_LENGTH || !LITTLE_ENDIAN) return a.sort();
  let src: Uint32Array = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  let dst: Uint32Array = new Uint32Array(2 * n);
  const counts = new Uint32Array(4 * BUCKETS);
  // Order-preserving transform: negative numbers flip every bit, others flip the sign bit.
  for (let i = 0; i < 2 * n; i += 2) {
    const hi = src[i + 1]!;
    if (hi & 0x80000000) {
      src[i] = ~src[i]!;
      src[i + 1] = ~hi;
    } else {
      src[i + 1] = hi | 0x80000000;
    }
    const lo = src[i]!;
    const h = src[i + 1]!;
    counts[lo & 0xffff]!++;
    counts[BUCKETS + (lo >>> 16)]!++;
    counts[2 * BUCKETS + (h & 0xffff)]!++;
    counts[3 * BUCKETS + (h >>> 16)]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * BUCKETS;
    // A digit that is the same for every key leaves the order unchanged: skip the pass.
    let single = false;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b]!;
      if (c !== 0) {
        single = c === n;
        break;
      }
    }
    if (single) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b]!;
      counts[base + b] = sum;
      sum += c;
    }
    const word = pass >> 1;
    const shift = (pass & 1) * DIGIT_BITS;
    for (let i = 0; i < 2 * n; i += 2) {
      const digit = (src[i + word]! >>> shift) & 0xffff;
      const at = 2 * counts[base + digit]!++;
      dst[at] = src[i]!;
      dst[at + 1] = src[i + 1]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // Undo the transform, writing into `a` if the last pass left the data in the scratch buffer.
  const out = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 0; i < 2 * n; i += 2) {
    const hi = src[i + 1]!;
    if (hi & 0x80000000) {
      out[i] = src[i]!;
      out[i + 1] = hi & 0x7fffffff;
    } else {
      out[i] = ~src[i]!;
      out[i + 1] = ~hi;
    }
  }
  return a;
}
