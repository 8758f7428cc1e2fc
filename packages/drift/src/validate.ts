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
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  if (!copy) {
    // separate monomorphic loop for typed arrays: no copy, no type checks
    const data = values as Float64Array;
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (v - v !== 0) throw badValue(window, i, v);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { data, min, max };
  }
  const data = new Float64Array(n);
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
