/**
 * Where drift monitors read feature values: the stored calls of one window, sampled
 * uniformly at random (with a seed) when the window holds more than a cap.
 */
import { type FeatureSpec, outputTextLength } from './features.js';

/** Exact-match filters on the calls, like the alert rules' filters. */
export interface FeatureFilters {
  model?: string | undefined;
  provider?: string | undefined;
  service?: string | undefined;
  operation?: string | undefined;
}

/** The values of one window. */
export type FeatureSample = (
  | { kind: 'numeric'; values: Float64Array }
  | { kind: 'categorical'; values: string[] }
) & {
  /** Calls in the window that have a value for the feature. */
  total: number;
  /** Whether `values` is a random sample of `total` (true) or all of them (false). */
  sampled: boolean;
};

/** Reads feature values of stored calls. */
export interface FeatureSource {
  /**
   * The feature's values over calls that started in `[fromMs, toMs)`. When more than `cap`
   * calls have a value, a uniform random sample of `cap` of them, chosen by `seed` (the
   * same seed over the same data gives the same sample).
   *
   * @param onProgress called now and then with the calls read so far (for progress bars).
   */
  sample(
    projectId: string,
    feature: FeatureSpec,
    filters: FeatureFilters,
    fromMs: number,
    toMs: number,
    cap: number,
    seed: number,
    onProgress?: (read: number) => void,
  ): Promise<FeatureSample>;
}

/**
 * A small seeded generator (mulberry32): 32-bit state, uniform doubles in [0, 1). Not
 * cryptographic; used so that a run's sample can be reproduced from its seed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit FNV-1a hash of a string, to derive seeds from monitor ids and times. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Reservoir sampling (Vitter's algorithm R): after `offer`ing every item, `items` is a
 * uniform random sample of `min(cap, seen)` of them, in one pass and `cap` memory.
 */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  private readonly random: () => number;

  constructor(
    private readonly cap: number,
    seed: number,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`cap must be >= 1, got ${cap}`);
    this.random = seededRandom(seed);
  }

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.cap) {
      this.items.push(item);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.cap) this.items[j] = item;
  }
}

/**
 * The engine-independent half of a {@link FeatureSource}: turns each raw column value (as
 * the driver returns it) into the feature's value, skips calls without one, samples into a
 * {@link Reservoir} and builds the {@link FeatureSample}. Each engine only writes its SQL.
 */
export class FeatureSampler {
  readonly reservoir: Reservoir<number | string>;
  private readonly numeric: boolean;
  private readonly isOutput: boolean;

  /**
   * @param outputOf turns the stored `output` column into the value `outputTextLength`
   *   reads (SQLite returns JSON text, node-postgres the parsed value).
   */
  constructor(
    feature: FeatureSpec,
    cap: number,
    seed: number,
    private readonly outputOf: (raw: unknown) => unknown,
  ) {
    this.reservoir = new Reservoir<number | string>(cap, seed);
    this.numeric = feature.kind === 'numeric';
    this.isOutput = !('attribute' in feature) && feature.builtin === 'output_length';
  }

  /** One row's raw value; `null`, non-finite numbers and calls without text are skipped. */
  add(raw: unknown): void {
    let v: number | string | null;
    if (this.isOutput) v = outputTextLength(this.outputOf(raw));
    else if (this.numeric) v = raw === null ? null : Number(raw);
    else v = raw === null ? null : String(raw);
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return;
    this.reservoir.offer(v);
  }

  sample(): FeatureSample {
    const { items, seen: total } = this.reservoir;
    const sampled = total > items.length;
    return this.numeric
      ? { kind: 'numeric', values: Float64Array.from(items as number[]), total, sampled }
      : { kind: 'categorical', values: items as string[], total, sampled };
  }
}
