/** Which window a value came from; error messages name it. */
export type WindowName = 'reference' | 'current';

/**
 * Copies a numeric window into a fresh `Float64Array`, checking every value in the same pass.
 * One copy of the input; callers may sort it in place.
 *
 * @throws {RangeError} if the window is empty or holds NaN, ±Infinity or a non-number.
 */
export function toFloat64(
  values: readonly number[] | Float64Array,
  window: WindowName,
): Float64Array {
  const n = values.length;
  if (n === 0)
    throw new RangeError(`${window} window is empty: drift statistics need at least one value`);
  const out = new Float64Array(n);
  if (values instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      // v - v is NaN exactly for NaN and ±Infinity
      if (v - v !== 0) throw badValue(window, i, v);
      out[i] = v;
    }
    return out;
  }
  if (!Array.isArray(values)) {
    throw new RangeError(`${window} window must be an array of numbers or a Float64Array`);
  }
  for (let i = 0; i < n; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || v - v !== 0) throw badValue(window, i, v);
    out[i] = v;
  }
  return out;
}

/**
 * Validates a numeric window for read-only use, finding its min and max in the same pass:
 * a `Float64Array` is returned as is (no copy), a plain array is copied into a new one.
 *
 * @throws {RangeError} if the window is empty or holds NaN, ±Infinity or a non-number.
 */
export function scanFloat64(
  values: readonly number[] | Float64Array,
  window: WindowName,
): { data: Float64Array; min: number; max: number } {
  const n = values.length;
  if (n === 0)
    throw new RangeError(`${window} window is empty: drift statistics need at least one value`);
  const copy = !(values instanceof Float64Array);
  if (copy && !Array.isArray(values)) {
    throw new RangeError(`${window} window must be an array of numbers or a Float64Array`);
  }
  if (!copy) {
    const data = values as Float64Array;
    const { min, max } = minMax(data);
    // Math.min/Math.max propagate NaN and keep ±Infinity: a non-finite extreme reveals any bad
    // value, and only then is the window scanned again for the first bad index.
    if (min - min !== 0 || max - max !== 0) {
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (v - v !== 0) throw badValue(window, i, v);
      }
    }
    return { data, min, max };
  }
  const data = new Float64Array(n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || v - v !== 0) throw badValue(window, i, v);
    data[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { data, min, max };
}

/**
 * Checks a categorical window (non-empty, strings only) without copying it.
 *
 * @throws {RangeError} if the window is empty or holds a non-string.
 */
export function checkCategorical(values: readonly string[], window: WindowName): void {
  if (!Array.isArray(values)) throw new RangeError(`${window} window must be an array of strings`);
  const n = values.length;
  if (n === 0)
    throw new RangeError(`${window} window is empty: drift statistics need at least one value`);
  for (let i = 0; i < n; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'string') {
      throw new RangeError(
        `${window} window, index ${i}: expected a string, got ${describe(v)} (categorical windows hold strings)`,
      );
    }
  }
}

export function badValue(window: WindowName, index: number, v: unknown): RangeError {
  return new RangeError(
    `${window} window, index ${index}: ${describe(v)} is not a finite number (NaN and ±Infinity are rejected, not dropped)`,
  );
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v === null) return 'null';
  return `a value of type ${typeof v}`;
}

/** Min and max of a non-empty Float64Array (NaN if it holds one): four independent chains. */
function minMax(d: Float64Array): { min: number; max: number } {
  let a0 = d[0]!;
  let b0 = a0;
  let a1 = a0;
  let b1 = a0;
  let a2 = a0;
  let b2 = a0;
  let a3 = a0;
  let b3 = a0;
  const n = d.length;
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const v0 = d[i]!;
    const v1 = d[i + 1]!;
    const v2 = d[i + 2]!;
    const v3 = d[i + 3]!;
    a0 = Math.min(a0, v0);
    b0 = Math.max(b0, v0);
    a1 = Math.min(a1, v1);
    b1 = Math.max(b1, v1);
    a2 = Math.min(a2, v2);
    b2 = Math.max(b2, v2);
    a3 = Math.min(a3, v3);
    b3 = Math.max(b3, v3);
  }
  for (let i = n4; i < n; i++) {
    a0 = Math.min(a0, d[i]!);
    b0 = Math.max(b0, d[i]!);
  }
  return { min: Math.min(a0, a1, a2, a3), max: Math.max(b0, b1, b2, b3) };
}

/**
 * {@link scanFloat64} for two typed windows in one loop (two independent streams run faster
 * than two loops). Falls back to the one-window scan, which names the first bad value, when
 * either window holds NaN or ±Infinity.
 *
 * @throws {RangeError} if a window is empty or holds NaN or ±Infinity.
 */
export function scanFloat64Pair(
  a: Float64Array,
  b: Float64Array,
): [
  { data: Float64Array; min: number; max: number },
  { data: Float64Array; min: number; max: number },
] {
  if (a.length === 0 || b.length === 0)
    return [scanFloat64(a, 'reference'), scanFloat64(b, 'current')];
  let a0 = a[0]!;
  let a1 = a0;
  let A0 = a0;
  let A1 = a0;
  let b0 = b[0]!;
  let b1 = b0;
  let B0 = b0;
  let B1 = b0;
  const common = Math.min(a.length, b.length) & ~1;
  for (let i = 0; i < common; i += 2) {
    const x0 = a[i]!;
    const x1 = a[i + 1]!;
    const y0 = b[i]!;
    const y1 = b[i + 1]!;
    a0 = Math.min(a0, x0);
    A0 = Math.max(A0, x0);
    a1 = Math.min(a1, x1);
    A1 = Math.max(A1, x1);
    b0 = Math.min(b0, y0);
    B0 = Math.max(B0, y0);
    b1 = Math.min(b1, y1);
    B1 = Math.max(B1, y1);
  }
  for (let i = common; i < a.length; i++) {
    a0 = Math.min(a0, a[i]!);
    A0 = Math.max(A0, a[i]!);
  }
  for (let i = common; i < b.length; i++) {
    b0 = Math.min(b0, b[i]!);
    B0 = Math.max(B0, b[i]!);
  }
  const ra = { data: a, min: Math.min(a0, a1), max: Math.max(A0, A1) };
  const rb = { data: b, min: Math.min(b0, b1), max: Math.max(B0, B1) };
  if (
    ra.min - ra.min !== 0 ||
    ra.max - ra.max !== 0 ||
    rb.min - rb.min !== 0 ||
    rb.max - rb.max !== 0
  ) {
    return [scanFloat64(a, 'reference'), scanFloat64(b, 'current')];
  }
  return [ra, rb];
}
