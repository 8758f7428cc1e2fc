/**
 * A mergeable quantile sketch with a relative-error guarantee, in the style of DDSketch
 * (Masson, Rim, Lee: "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
 * Relative-Error Guarantees", VLDB 2019).
 *
 * Positive values fall into logarithmic buckets: bucket `i` holds the values in
 * `(γ^(i-1), γ^i]` with `γ = (1 + α) / (1 − α)`, and reports `2γ^i / (γ + 1)`, which is
 * within a relative distance `α` of every value in the bucket. Zero has its own count.
 * Buckets only hold counts, so two sketches merge by adding counts: merging is exact and
 * associative, and the quantiles of a merge are as accurate as those of one sketch fed all
 * the values.
 *
 * Guarantee: for `q` in [0, 1], let `x` be the exact lower quantile of the values added,
 * the value at 0-based rank `⌊q·(n − 1)⌋` of the sorted values. Then `quantile(q)`
 * returns `x̂` with `|x̂ − x| ≤ α·x` (so `0` exactly when `x = 0`), as long as `x`'s bucket
 * has not been collapsed (see below). Values below {@link MIN_INDEXABLE_VALUE} (1e-300)
 * count as zeros, so for them the error is absolute and below 1e-300. `min`, `max`, `count` and `sum` are exact (up to
 * floating-point summation for `sum`).
 *
 * Collapse rule: at most `maxBuckets` consecutive bucket indices are kept. When a value
 * (or a merge) would widen the range beyond that, the LOWEST buckets are folded into the
 * lowest bucket that remains. Quantiles whose value lies within a factor
 * `γ^(maxBuckets − 1)` of the largest value keep the guarantee; only the lowest quantiles
 * of data spanning a wider range lose it (they are then over-estimated, never below the
 * true value's bucket). With the defaults (α = 1%, 2048 buckets) that factor is about
 * 6·10^17, far wider than any latency range, so in practice nothing collapses.
 */

/** Default relative accuracy α: quantiles are within 1% of the exact value. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;
/** Default bound on the number of consecutive buckets kept (see the collapse rule). */
export const DEFAULT_MAX_BUCKETS = 2048;

/**
 * The bucket mapping is built from α shrunk by this factor so that floating-point rounding
 * of `log` at a bucket edge can never push an estimate past the documented α.
 */
const ACCURACY_SAFETY_FACTOR = 1 - 1e-7;
/** Serialisation format version (first byte of `toBytes()`). */
const FORMAT_VERSION = 1;
const INITIAL_CAPACITY = 64;
/**
 * Positive values below this are counted as zeros: near the subnormal range `log`/`exp`
 * lose the precision the guarantee needs. Their absolute error is below 1e-300.
 */
export const MIN_INDEXABLE_VALUE = 1e-300;

/** Options of {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /** Relative accuracy α, in (0, 1). Defaults to {@link DEFAULT_RELATIVE_ACCURACY}. */
  relativeAccuracy?: number;
  /** Maximum number of consecutive buckets kept, at least 16. Defaults to {@link DEFAULT_MAX_BUCKETS}. */
  maxBuckets?: number;
}

/** A plain-JSON form of a sketch, for debugging and JSON APIs. */
export interface QuantileSketchJson {
  relativeAccuracy: number;
  maxBuckets: number;
  zeroCount: number;
  sum: number;
  /** `null` when the sketch is empty. */
  min: number | null;
  max: number | null;
  /** Index of the first entry of `counts`. */
  offset: number;
  /** Counts of consecutive buckets starting at `offset`. */
  counts: number[];
}

/**
 * Mergeable quantile sketch with relative error at most `relativeAccuracy` (1% by default).
 *
 * @example
 * ```ts
 * const s = new QuantileSketch();
 * for (const ms of latenciesMs) s.add(ms);
 * s.quantile(0.99); // within 1% of the exact p99
 * const restored = QuantileSketch.fromBytes(s.toBytes());
 * ```
 */
export class QuantileSketch {
  /** Relative accuracy α this sketch guarantees. */
  readonly relativeAccuracy: number;
  /** Maximum number of consecutive buckets kept. */
  readonly maxBuckets: number;

  private readonly gamma: number;
  private readonly lnGamma: number;
  private readonly invLnGamma: number;
  /** `ln(2 / (γ + 1))`, folded into the exponent so huge buckets do not overflow. */
  private readonly lnRepresentativeFactor: number;
  /** Counts of buckets `offset .. offset + length - 1`; `length` is the used part. */
  // A plain array of doubles, not a Float64Array: rollups create many small sketches, and
  // V8 allocates typed-array backing stores off-heap, which is several times slower here.
  private counts: number[] = [];
  private offset = 0;
  private length = 0;
  private zeroCountValue = 0;
  private countValue = 0;
  private sumValue = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;
  private collapsedValue = false;

  /**
   * @throws {RangeError} when `relativeAccuracy` is not in (0, 1) or `maxBuckets` < 16.
   */
  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!(alpha > 0 && alpha < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${alpha}`);
    }
    if (!Number.isInteger(maxBuckets) || maxBuckets < 16) {
      throw new RangeError(`maxBuckets must be an integer >= 16, got ${maxBuckets}`);
    }
    this.relativeAccuracy = alpha;
    this.maxBuckets = maxBuckets;
    const a = alpha * ACCURACY_SAFETY_FACTOR;
    this.gamma = (1 + a) / (1 - a);
    this.lnGamma = Math.log(this.gamma);
    this.invLnGamma = 1 / this.lnGamma;
    this.lnRepresentativeFactor = Math.log(2 / (this.gamma + 1));
  }

  /** Number of values added (zeros included). */
  get count(): number {
    return this.countValue;
  }

  /** Sum of the values added. */
  get sum(): number {
    return this.sumValue;
  }

  /** Smallest value added, `NaN` when empty. */
  get min(): number {
    return this.countValue === 0 ? Number.NaN : this.minValue;
  }

  /** Largest value added, `NaN` when empty. */
  get max(): number {
    return this.countValue === 0 ? Number.NaN : this.maxValue;
  }

  /** Mean of the values added, `NaN` when empty. */
  get mean(): number {
    return this.countValue === 0 ? Number.NaN : this.sumValue / this.countValue;
  }

  /** Number of zeros (and values below {@link MIN_INDEXABLE_VALUE}) added. */
  get zeroCount(): number {
    return this.zeroCountValue;
  }

  /** Whether low buckets were ever collapsed (the lowest quantiles may then be over-estimated). */
  get collapsed(): boolean {
    return this.collapsedValue;
  }

  /** Number of non-empty buckets, a measure of the sketch's size. */
  get bucketCount(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.counts[i]! > 0) n++;
    return n;
  }

  /**
   * Adds `value`, `count` times.
   *
   * @throws {RangeError} when `value` is negative, NaN or infinite, or `count` is not a
   * positive safe integer.
   */
  add(value: number, count = 1): this {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
      throw new RangeError(`QuantileSketch accepts finite values >= 0, got ${value}`);
    }
    if (!Number.isSafeInteger(count) || count <= 0) {
      throw new RangeError(`count must be a positive integer, got ${count}`);
    }
    if (value < MIN_INDEXABLE_VALUE) {
      this.zeroCountValue += count;
    } else {
      this.addToBucket(this.bucketIndex(value), count);
    }
    this.countValue += count;
    this.sumValue += value * count;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    return this;
  }

  /**
   * Adds every value of `other` into this sketch (exactly: bucket counts add).
   *
   * @throws {RangeError} when the sketches have a different relative accuracy.
   */
  merge(other: QuantileSketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new RangeError(
        `cannot merge sketches of relative accuracy ${other.relativeAccuracy} and ${this.relativeAccuracy}`,
      );
    }
    if (other.countValue === 0) return this;
    if (other.length > 0) {
      // Widen once to the union range (collapsing if needed), then add counts.
      let lo = other.offset;
      let hi = other.offset + other.length - 1;
      // Skip empty edges of other so the range is as narrow as possible.
      while (lo <= hi && other.counts[lo - other.offset] === 0) lo++;
      while (hi >= lo && other.counts[hi - other.offset] === 0) hi--;
      if (lo <= hi) {
        this.ensureRange(lo, hi);
        for (let i = lo; i <= hi; i++) {
          const c = other.counts[i - other.offset]!;
          if (c > 0) this.counts[Math.max(i, this.offset) - this.offset]! += c;
        }
      }
    }
    if (other.collapsedValue) this.collapsedValue = true;
    this.zeroCountValue += other.zeroCountValue;
    this.countValue += other.countValue;
    this.sumValue += other.sumValue;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    return this;
  }

  /**
   * The estimated `q`-quantile: within `relativeAccuracy` of the exact value at 0-based
   * rank `⌊q·(count − 1)⌋` of the sorted values. `quantile(0)` is `min`, `quantile(1)` is
   * `max`. Returns `NaN` when the sketch is empty.
   *
   * @throws {RangeError} when `q` is not in [0, 1].
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
    if (this.countValue === 0) return Number.NaN;
    if (q === 0) return this.minValue;
    if (q === 1) return this.maxValue;
    const rank = Math.floor(q * (this.countValue - 1));
    if (rank < this.zeroCountValue) return 0;
    let cumulative = this.zeroCountValue;
    for (let i = 0; i < this.length; i++) {
      cumulative += this.counts[i]!;
      if (cumulative > rank) {
        const estimate = this.bucketValue(i + this.offset);
        // The exact value lies in [min, max]; clamping can only move the estimate closer.
        return Math.min(Math.max(estimate, this.minValue), this.maxValue);
      }
    }
    return this.maxValue;
  }

  /** A deep copy. */
  clone(): QuantileSketch {
    const copy = new QuantileSketch({
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
    });
    copy.counts = this.counts.slice(0, this.length);
    copy.offset = this.offset;
    copy.length = this.length;
    copy.zeroCountValue = this.zeroCountValue;
    copy.countValue = this.countValue;
    copy.sumValue = this.sumValue;
    copy.minValue = this.minValue;
    copy.maxValue = this.maxValue;
    copy.collapsedValue = this.collapsedValue;
    return copy;
  }

  /**
   * Compact binary form for storage (a BLOB / BYTEA column): a version byte, α, the exact
   * statistics, then the non-empty buckets as varint (index delta, count) pairs. A sketch of
   * a few dozen latencies takes well under 200 bytes.
   */
  toBytes(): Uint8Array {
    const w = new ByteWriter(48 + this.length * 3);
    w.byte(FORMAT_VERSION);
    w.float64(this.relativeAccuracy);
    w.varint(this.maxBuckets);
    w.byte(this.collapsedValue ? 1 : 0);
    w.varint(this.countValue);
    w.varint(this.zeroCountValue);
    w.float64(this.sumValue);
    if (this.countValue > 0) {
      w.float64(this.minValue);
      w.float64(this.maxValue);
    }
    let nonEmpty = 0;
    for (let i = 0; i < this.length; i++) if (this.counts[i]! > 0) nonEmpty++;
    w.varint(nonEmpty);
    let previous = 0;
    let first = true;
    for (let i = 0; i < this.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const index = i + this.offset;
      if (first) {
        w.varint(zigzag(index));
        first = false;
      } else {
        w.varint(index - previous);
      }
      w.varint(c);
      previous = index;
    }
    return w.finish();
  }

  /**
   * Restores a sketch written by {@link QuantileSketch.toBytes}.
   *
   * @throws {RangeError} when the bytes are not a valid sketch.
   */
  static fromBytes(bytes: Uint8Array): QuantileSketch {
    const r = new ByteReader(bytes);
    const version = r.byte();
    if (version !== FORMAT_VERSION) {
      throw new RangeError(`unknown quantile sketch format version ${version}`);
    }
    const relativeAccuracy = r.float64();
    const maxBuckets = r.varint();
    const sketch = new QuantileSketch({ relativeAccuracy, maxBuckets });
    sketch.collapsedValue = r.byte() === 1;
    const count = r.varint();
    sketch.zeroCountValue = r.varint();
    sketch.sumValue = r.float64();
    if (count > 0) {
      sketch.minValue = r.float64();
      sketch.maxValue = r.float64();
    }
    const nonEmpty = r.varint();
    let index = 0;
    let bucketTotal = 0;
    for (let k = 0; k < nonEmpty; k++) {
      index = k === 0 ? unzigzag(r.varint()) : index + r.varint();
      const c = r.varint();
      if (c <= 0) throw new RangeError('invalid quantile sketch: empty bucket');
      sketch.addToBucket(index, c);
      bucketTotal += c;
    }
    if (!r.done()) throw new RangeError('invalid quantile sketch: trailing bytes');
    if (bucketTotal + sketch.zeroCountValue !== count) {
      throw new RangeError('invalid quantile sketch: counts do not add up');
    }
    sketch.countValue = count;
    return sketch;
  }

  /** Plain-JSON form (see {@link QuantileSketchJson}). */
  toJSON(): QuantileSketchJson {
    return {
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
      zeroCount: this.zeroCountValue,
      sum: this.sumValue,
      min: this.countValue === 0 ? null : this.minValue,
      max: this.countValue === 0 ? null : this.maxValue,
      offset: this.offset,
      counts: this.counts.slice(0, this.length),
    };
  }

  /**
   * Restores a sketch from {@link QuantileSketch.toJSON}.
   *
   * @throws {RangeError} when the JSON is not a valid sketch.
   */
  static fromJSON(json: QuantileSketchJson): QuantileSketch {
    const sketch = new QuantileSketch({
      relativeAccuracy: json.relativeAccuracy,
      maxBuckets: json.maxBuckets,
    });
    let total = json.zeroCount;
    json.counts.forEach((c, i) => {
      if (!Number.isSafeInteger(c) || c < 0) throw new RangeError('invalid bucket count');
      if (c > 0) sketch.addToBucket(json.offset + i, c);
      total += c;
    });
    sketch.zeroCountValue = json.zeroCount;
    sketch.countValue = total;
    sketch.sumValue = json.sum;
    if (total > 0) {
      if (json.min === null || json.max === null) throw new RangeError('missing min/max');
      sketch.minValue = json.min;
      sketch.maxValue = json.max;
    }
    return sketch;
  }

  /** Bucket index of a positive value: `⌈log_γ(value)⌉`. */
  private bucketIndex(value: number): number {
    return Math.ceil(Math.log(value) * this.invLnGamma);
  }

  /** Representative value of bucket `index`: `2γ^index / (γ + 1)`. */
  private bucketValue(index: number): number {
    return Math.exp(index * this.lnGamma + this.lnRepresentativeFactor);
  }

  private addToBucket(index: number, count: number): void {
    this.ensureRange(index, index);
    // After a collapse, an index below the kept range lands in the lowest kept bucket.
    this.counts[Math.max(index, this.offset) - this.offset]! += count;
  }

  /**
   * Makes buckets `lo..hi` addressable, growing the array and applying the collapse rule:
   * if the union range would exceed `maxBuckets`, the lowest buckets fold into the lowest
   * kept one.
   */
  private ensureRange(lo: number, hi: number): void {
    if (this.length === 0) {
      const newHi = hi;
      const newLo = Math.max(lo, newHi - this.maxBuckets + 1);
      if (newLo > lo) this.collapsedValue = true;
      this.offset = newLo;
      this.length = newHi - newLo + 1;
      if (this.counts.length < this.length) {
        this.counts = zeros(Math.max(INITIAL_CAPACITY, this.length));
      } else {
        this.counts.fill(0);
      }
      return;
    }
    const curLo = this.offset;
    const curHi = this.offset + this.length - 1;
    if (lo >= curLo && hi <= curHi) return;
    const newHi = Math.max(hi, curHi);
    let newLo = Math.min(lo, curLo);
    if (newHi - newLo + 1 > this.maxBuckets) {
      newLo = newHi - this.maxBuckets + 1;
      this.collapsedValue = true;
    }
    const newLength = newHi - newLo + 1;
    const capacity =
      newLength <= this.counts.length
        ? this.counts.length
        : Math.min(this.maxBuckets, Math.max(newLength, this.counts.length * 2));
    const next = zeros(capacity);
    for (let i = 0; i < this.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const index = Math.max(i + curLo, newLo);
      next[index - newLo]! += c;
    }
    this.counts = next;
    this.offset = newLo;
    this.length = newLength;
  }
}

function zeros(n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = 0;
  return a;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/** Little helper writing bytes; varints use arithmetic so they stay exact up to 2^53. */
class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  float64(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  varint(n: number): void {
    this.reserve(8);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
      this.reserve(1);
    }
    this.buf[this.pos++] = v;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('invalid quantile sketch: truncated');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  float64(): number {
    this.need(8);
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new RangeError('invalid quantile sketch: varint too long');
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}
