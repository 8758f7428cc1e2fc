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
/** Upper limit of `maxBuckets`, so that no (corrupt) serialised sketch can demand a huge array. */
export const MAX_MAX_BUCKETS = 65_536;
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
/** Bucket layouts of the serialised form: (index delta, count) pairs, or every count in range. */
const LAYOUT_SPARSE = 0;
const LAYOUT_DENSE = 1;
/**
 * Positive values below this are counted as zeros: near the subnormal range `log`/`exp`
 * lose the precision the guarantee needs. Their absolute error is below 1e-300.
 */
export const MIN_INDEXABLE_VALUE = 1e-300;

/** Options of {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /** Relative accuracy α, in (0, 1). Defaults to {@link DEFAULT_RELATIVE_ACCURACY}. */
  relativeAccuracy?: number;
  /** Maximum number of consecutive buckets kept, 16 to {@link MAX_MAX_BUCKETS}. Defaults to {@link DEFAULT_MAX_BUCKETS}. */
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
  /**
   * Bucket `i` is `counts[i - base]`; buckets in use are `lo..hi` (none when `hi < lo`).
   * The array has headroom on both sides so that most new buckets need no copy.
   * A plain array of doubles, not a Float64Array: rollups create many small sketches, and
   * V8 allocates typed-array backing stores off-heap, which is several times slower here.
   */
  private counts: number[] = [];
  private base = 0;
  private lo = 0;
  private hi = -1;
  private zeroCountValue = 0;
  private countValue = 0;
  private sumValue = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;
  private collapsedValue = false;

  /**
   * @throws {RangeError} when `relativeAccuracy` is not in (0, 1) or `maxBuckets` is out of range.
   */
  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!(alpha > 0 && alpha < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${alpha}`);
    }
    if (!Number.isInteger(maxBuckets) || maxBuckets < 16 || maxBuckets > MAX_MAX_BUCKETS) {
      throw new RangeError(
        `maxBuckets must be an integer in [16, ${MAX_MAX_BUCKETS}], got ${maxBuckets}`,
      );
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
    for (let i = this.lo; i <= this.hi; i++) if (this.counts[i - this.base]! > 0) n++;
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
    if (other.hi >= other.lo) {
      // Widen once to the union range (collapsing if needed), then add counts.
      this.ensureRange(other.lo, other.hi);
      const counts = this.counts;
      const from = other.counts;
      if (other.lo >= this.lo) {
        const shift = other.base - this.base;
        for (let i = other.lo - other.base, end = other.hi - other.base; i <= end; i++) {
          counts[i + shift]! += from[i]!;
        }
      } else {
        // This sketch collapsed below other's range: fold the low buckets.
        for (let i = other.lo; i <= other.hi; i++) {
          counts[Math.max(i, this.lo) - this.base]! += from[i - other.base]!;
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
    for (let i = this.lo; i <= this.hi; i++) {
      cumulative += this.counts[i - this.base]!;
      if (cumulative > rank) {
        const estimate = this.bucketValue(i);
        // The exact value lies in [min, max]; clamping can only move the estimate closer.
        return Math.min(Math.max(estimate, this.minValue), this.maxValue);
      }
    }
    return this.maxValue;
  }

  /**
   * Several quantiles in one pass over the buckets; same answers as {@link quantile}.
   *
   * @throws {RangeError} when a `q` is not in [0, 1].
   */
  quantiles(qs: readonly number[]): number[] {
    for (const q of qs)
      if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
    if (this.countValue === 0) return qs.map(() => Number.NaN);
    const order = qs.map((_, i) => i).sort((a, b) => qs[a]! - qs[b]!);
    const out = new Array<number>(qs.length);
    let i = this.lo;
    let cumulative = this.zeroCountValue;
    for (const k of order) {
      const q = qs[k]!;
      if (q === 0 || q === 1) {
        out[k] = q === 0 ? this.minValue : this.maxValue;
        continue;
      }
      const rank = Math.floor(q * (this.countValue - 1));
      if (rank < this.zeroCountValue) {
        out[k] = 0;
        continue;
      }
      while (i <= this.hi && cumulative + this.counts[i - this.base]! <= rank) {
        cumulative += this.counts[i - this.base]!;
        i++;
      }
      out[k] =
        i > this.hi
          ? this.maxValue
          : Math.min(Math.max(this.bucketValue(i), this.minValue), this.maxValue);
    }
    return out;
  }

  /** Empties the sketch, keeping its allocated buckets for reuse. */
  clear(): this {
    for (let i = this.lo; i <= this.hi; i++) this.counts[i - this.base] = 0;
    this.lo = 0;
    this.hi = -1;
    this.zeroCountValue = 0;
    this.countValue = 0;
    this.sumValue = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = Number.NEGATIVE_INFINITY;
    this.collapsedValue = false;
    return this;
  }

  /** A deep copy. */
  clone(): QuantileSketch {
    const copy = new QuantileSketch({
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
    });
    copy.counts = this.counts.slice();
    copy.base = this.base;
    copy.lo = this.lo;
    copy.hi = this.hi;
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
    const w = new ByteWriter(48 + Math.max(0, this.hi - this.lo + 1) * 3);
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
    for (let i = this.lo; i <= this.hi; i++) if (this.counts[i - this.base]! > 0) nonEmpty++;
    w.varint(nonEmpty);
    if (nonEmpty > 0) {
      let first = this.lo;
      while (this.counts[first - this.base] === 0) first++;
      let last = this.hi;
      while (this.counts[last - this.base] === 0) last--;
      // Dense when empty buckets are rarer than index deltas would be: busy rows (an hour
      // of a popular model) fill almost every bucket of their range.
      const empties = last - first + 1 - nonEmpty;
      const dense = empties < nonEmpty - 1;
      w.byte(dense ? LAYOUT_DENSE : LAYOUT_SPARSE);
      // Both ends up front let a reader size its array once.
      w.varint(zigzag(first));
      w.varint(zigzag(last));
      if (dense) {
        for (let index = first; index <= last; index++) w.varint(this.counts[index - this.base]!);
      } else {
        let previous = first;
        for (let index = first; index <= last; index++) {
          const c = this.counts[index - this.base]!;
          if (c === 0) continue;
          if (index !== first) w.varint(index - previous);
          w.varint(c);
          previous = index;
        }
      }
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
    const header = readHeader(r);
    const sketch = new QuantileSketch({
      relativeAccuracy: header.relativeAccuracy,
      maxBuckets: header.maxBuckets,
    });
    sketch.addSerialized(r, header);
    return sketch;
  }

  /**
   * Merges a sketch serialised by {@link QuantileSketch.toBytes} straight from its bytes,
   * without building it first: what summaries do for every stored row.
   *
   * @throws {RangeError} when the bytes are not a valid sketch or have another accuracy
   * (corrupt bytes may leave this sketch partly merged).
   */
  mergeBytes(bytes: Uint8Array): this {
    const r = new ByteReader(bytes);
    const header = readHeader(r);
    if (header.relativeAccuracy !== this.relativeAccuracy) {
      throw new RangeError(
        `cannot merge sketches of relative accuracy ${header.relativeAccuracy} and ${this.relativeAccuracy}`,
      );
    }
    this.addSerialized(r, header);
    return this;
  }

  /** Adds the statistics and buckets of a serialised sketch (header already read). */
  private addSerialized(r: ByteReader, header: SerializedHeader): void {
    let bucketTotal = 0;
    let pos = r.pos;
    if (header.nonEmpty > 0) {
      const layout = r.byte();
      const first = unzigzag(r.varint());
      const last = unzigzag(r.varint());
      if (last < first || (layout !== LAYOUT_DENSE && layout !== LAYOUT_SPARSE)) {
        throw new RangeError('invalid quantile sketch: bad bucket range');
      }
      if (layout === LAYOUT_DENSE && last - first + 1 > 2 * header.nonEmpty + 1) {
        throw new RangeError('invalid quantile sketch: bad bucket range');
      }
      this.ensureRange(first, last);
      // The hot loop of every summary: varints decoded inline, counts added in place.
      const buf = r.buf;
      pos = r.pos;
      const counts = this.counts;
      const base = this.base;
      const lowest = this.lo;
      let index = first;
      let seen = 0;
      const steps = layout === LAYOUT_DENSE ? last - first + 1 : header.nonEmpty;
      for (let k = 0; k < steps; k++) {
        if (layout === LAYOUT_SPARSE && k > 0) {
          let b = buf[pos++]!;
          let delta = b & 0x7f;
          for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
            b = buf[pos++]!;
            delta += (b & 0x7f) * scale;
          }
          index += delta;
        } else if (k > 0) {
          index++;
        }
        let b = buf[pos++]!;
        let c = b & 0x7f;
        for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
          b = buf[pos++]!;
          c += (b & 0x7f) * scale;
        }
        if (c === 0) {
          if (layout === LAYOUT_SPARSE)
            throw new RangeError('invalid quantile sketch: empty bucket');
          continue;
        }
        if (index > last) throw new RangeError('invalid quantile sketch: bad bucket range');
        // Below the kept range only after a collapse: fold into the lowest kept bucket.
        counts[Math.max(index, lowest) - base]! += c;
        bucketTotal += c;
        seen++;
      }
      if (pos > buf.length) throw new RangeError('invalid quantile sketch: truncated');
      if (seen !== header.nonEmpty || index !== last) {
        throw new RangeError('invalid quantile sketch: bad bucket range');
      }
    }
    r.pos = pos;
    if (!r.done()) throw new RangeError('invalid quantile sketch: trailing bytes');
    if (bucketTotal + header.zeroCount !== header.count) {
      throw new RangeError('invalid quantile sketch: counts do not add up');
    }
    if (header.collapsed) this.collapsedValue = true;
    if (header.count === 0) return;
    this.zeroCountValue += header.zeroCount;
    this.countValue += header.count;
    this.sumValue += header.sum;
    if (header.min < this.minValue) this.minValue = header.min;
    if (header.max > this.maxValue) this.maxValue = header.max;
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
      offset: this.hi < this.lo ? 0 : this.lo,
      counts:
        this.hi < this.lo ? [] : this.counts.slice(this.lo - this.base, this.hi - this.base + 1),
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
    if (index < this.lo || index > this.hi) this.ensureRange(index, index);
    // After a collapse, an index below the kept range lands in the lowest kept bucket.
    this.counts[Math.max(index, this.lo) - this.base]! += count;
  }

  /**
   * Makes buckets `lo..hi` addressable, applying the collapse rule: if the union with the
   * buckets in use would span more than `maxBuckets`, the lowest buckets fold into the
   * lowest kept one. Copies only when the array has no room left.
   */
  private ensureRange(lo: number, hi: number): void {
    const empty = this.hi < this.lo;
    let newLo = empty ? lo : Math.min(lo, this.lo);
    const newHi = empty ? hi : Math.max(hi, this.hi);
    if (newHi - newLo + 1 > this.maxBuckets) {
      newLo = newHi - this.maxBuckets + 1;
      this.collapsedValue = true;
    }
    // Buckets in use below the new range must be folded into it: that needs the copy.
    const fold = !empty && this.lo < newLo;
    if (!fold && newLo >= this.base && newHi < this.base + this.counts.length) {
      this.lo = newLo;
      this.hi = newHi;
      return;
    }
    const size = newHi - newLo + 1;
    // Headroom on both sides: sketches merged together mostly cover similar ranges.
    const capacity = Math.max(INITIAL_CAPACITY, size + 2 * Math.max(8, size >> 2));
    const base = newLo - Math.floor((capacity - size) / 2);
    const next = zeros(capacity);
    if (!empty) {
      for (let i = this.lo; i <= this.hi; i++) {
        const c = this.counts[i - this.base]!;
        if (c !== 0) next[Math.max(i, newLo) - base]! += c;
      }
    }
    this.counts = next;
    this.base = base;
    this.lo = newLo;
    this.hi = newHi;
  }
}

/** The fixed part of the serialised form, before the buckets. */
interface SerializedHeader {
  relativeAccuracy: number;
  maxBuckets: number;
  collapsed: boolean;
  count: number;
  zeroCount: number;
  sum: number;
  min: number;
  max: number;
  nonEmpty: number;
}

function readHeader(r: ByteReader): SerializedHeader {
  const version = r.byte();
  if (version !== FORMAT_VERSION) {
    throw new RangeError(`unknown quantile sketch format version ${version}`);
  }
  const relativeAccuracy = r.float64();
  const maxBuckets = r.varint();
  const collapsed = r.byte() === 1;
  const count = r.varint();
  const zeroCount = r.varint();
  const sum = r.float64();
  const min = count > 0 ? r.float64() : Number.POSITIVE_INFINITY;
  const max = count > 0 ? r.float64() : Number.NEGATIVE_INFINITY;
  const nonEmpty = r.varint();
  return { relativeAccuracy, maxBuckets, collapsed, count, zeroCount, sum, min, max, nonEmpty };
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

/** Scratch space to read a little-endian double without a DataView per reader. */
const SCRATCH_BYTES = new Uint8Array(8);
const SCRATCH_DOUBLE = new Float64Array(SCRATCH_BYTES.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class ByteReader {
  pos = 0;

  constructor(readonly buf: Uint8Array) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('invalid quantile sketch: truncated');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  float64(): number {
    this.need(8);
    for (let i = 0; i < 8; i++) {
      SCRATCH_BYTES[LITTLE_ENDIAN ? i : 7 - i] = this.buf[this.pos + i]!;
    }
    this.pos += 8;
    return SCRATCH_DOUBLE[0]!;
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
