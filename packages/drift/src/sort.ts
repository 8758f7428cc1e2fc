import { badValue, type WindowName } from './validate.js';

// Below this length the engine's built-in sort beats the radix passes.
const RADIX_MIN_LENGTH = 50_000;
// 11-bit digits: 2048 counters per pass stay in L1 cache; 3 passes per 32-bit word.
const BUCKETS = 2048;
const PASSES = 6;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Validates a numeric window and returns a sorted copy (ascending; -0 becomes 0).
 * The input is not modified. Large windows go through an LSD radix sort on the IEEE-754 bit
 * patterns under an order-preserving transform (negative numbers flip every bit, others flip
 * the sign bit): validation, copy, transform and digit counting happen in one pass, the last
 * scatter pass decodes; passes whose digit is constant are skipped. Memory: the sorted copy
 * plus one scratch buffer of the same size while sorting.
 *
 * @throws {RangeError} if the window is empty or holds NaN, ±Infinity or a non-number.
 */
export function sortedCopy(
  values: readonly number[] | Float64Array,
  window: WindowName,
): Float64Array {
  const n = values.length;
  if (n === 0)
    throw new RangeError(`${window} window is empty: drift statistics need at least one value`);
  const typed = values instanceof Float64Array;
  if (!typed && !Array.isArray(values)) {
    throw new RangeError(`${window} window must be an array of numbers or a Float64Array`);
  }
  if (n < RADIX_MIN_LENGTH || !LITTLE_ENDIAN) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v: unknown = values[i];
      if (typeof v !== 'number' || v - v !== 0) throw badValue(window, i, v);
      out[i] = v === 0 ? 0 : v;
    }
    return out.sort();
  }
  const keysBuffer = new Float64Array(n);
  if (typed) {
    const src = values as Float64Array;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v - v !== 0) throw badValue(window, i, v);
    }
    keysBuffer.set(src);
  } else {
    for (let i = 0; i < n; i++) {
      const v: unknown = values[i];
      if (typeof v !== 'number' || v - v !== 0) throw badValue(window, i, v);
      keysBuffer[i] = v;
    }
  }
  const keys = new Uint32Array(keysBuffer.buffer);
  const counts = new Uint32Array(PASSES * BUCKETS);
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = keys[i]!;
    let hi = keys[i + 1]!;
    if (hi & 0x80000000) {
      if (lo === 0 && hi === 0x80000000) {
        hi = 0x80000000; // -0 sorts (and compares) as +0
      } else {
        lo = ~lo >>> 0;
        hi = ~hi >>> 0;
      }
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    keys[i] = lo;
    keys[i + 1] = hi;
    counts[lo & 0x7ff]!++;
    counts[BUCKETS + ((lo >>> 11) & 0x7ff)]!++;
    counts[2 * BUCKETS + (lo >>> 22)]!++;
    counts[3 * BUCKETS + (hi & 0x7ff)]!++;
    counts[4 * BUCKETS + ((hi >>> 11) & 0x7ff)]!++;
    counts[5 * BUCKETS + (hi >>> 22)]!++;
  }
  return radixPasses(keysBuffer, counts, n);
}

function radixPasses(keysBuffer: Float64Array, counts: Uint32Array, n: number): Float64Array {
  const active: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const base = pass * BUCKETS;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b]!;
      if (c !== 0) {
        // a digit shared by every key leaves the order unchanged: skip that pass
        if (c !== n) active.push(pass);
        break;
      }
    }
  }
  let srcBuffer: Float64Array = keysBuffer;
  let dstBuffer: Float64Array = new Float64Array(n);
  for (let p = 0; p < active.length; p++) {
    const pass = active[p]!;
    const base = pass * BUCKETS;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b]!;
      counts[base + b] = sum;
      sum += c;
    }
    const src = new Uint32Array(srcBuffer.buffer);
    const dst = new Uint32Array(dstBuffer.buffer);
    const word = pass < 3 ? 0 : 1;
    const shift = (pass % 3) * 11;
    const mask = pass % 3 === 2 ? 0x3ff : 0x7ff;
    if (p < active.length - 1) scatter(src, dst, counts, base, word, shift, mask, n);
    else scatterDecode(src, dst, counts, base, word, shift, mask, n);
    const t = srcBuffer;
    srcBuffer = dstBuffer;
    dstBuffer = t;
  }
  if (active.length === 0) {
    const k = new Uint32Array(srcBuffer.buffer);
    for (let i = 0; i < 2 * n; i += 2) {
      const hi = k[i + 1]!;
      if (hi & 0x80000000) {
        k[i + 1] = hi & 0x7fffffff;
      } else {
        k[i] = ~k[i]!;
        k[i + 1] = ~hi;
      }
    }
  }
  return srcBuffer;
}

function scatter(
  src: Uint32Array,
  dst: Uint32Array,
  counts: Uint32Array,
  base: number,
  word: number,
  shift: number,
  mask: number,
  n: number,
): void {
  for (let i = 0; i < 2 * n; i += 2) {
    const at = 2 * counts[base + ((src[i + word]! >>> shift) & mask)]!++;
    dst[at] = src[i]!;
    dst[at + 1] = src[i + 1]!;
  }
}

/** The last pass: scatter and undo the order-preserving transform. */
function scatterDecode(
  src: Uint32Array,
  dst: Uint32Array,
  counts: Uint32Array,
  base: number,
  word: number,
  shift: number,
  mask: number,
  n: number,
): void {
  for (let i = 0; i < 2 * n; i += 2) {
    const lo = src[i]!;
    const hi = src[i + 1]!;
    const at = 2 * counts[base + ((src[i + word]! >>> shift) & mask)]!++;
    if (hi & 0x80000000) {
      dst[at] = lo;
      dst[at + 1] = hi & 0x7fffffff;
    } else {
      dst[at] = ~lo;
      dst[at + 1] = ~hi;
    }
  }
}
