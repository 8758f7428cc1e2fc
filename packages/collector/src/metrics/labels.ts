/** Label value for anything beyond a label's cardinality limit. */
export const OTHER_LABEL_VALUE = 'other';
/** Label value when the dimension is unknown (null or empty). */
export const UNKNOWN_LABEL_VALUE = 'unknown';
/** Longer values are truncated: label values come from spans, i.e. from anyone with a key. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * Bounds the distinct values of one label: the first `maxValues` distinct values seen keep
 * their name, every later one folds into {@link OTHER_LABEL_VALUE}. First come, first
 * served keeps series stable: a value never changes label once exported.
 */
export class LabelLimiter {
  private readonly admitted = new Set<string>();

  /** @param maxValues distinct values kept (besides `other` and `unknown`). */
  constructor(readonly maxValues: number) {
    if (!Number.isInteger(maxValues) || maxValues < 0) {
      throw new RangeError(`maxValues must be a non-negative integer, got ${maxValues}`);
    }
  }

  /** The label value to export for `raw`. */
  value(raw: string | null | undefined): string {
    if (raw === null || raw === undefined || raw === '') return UNKNOWN_LABEL_VALUE;
    const value = raw.length > MAX_LABEL_VALUE_LENGTH ? raw.slice(0, MAX_LABEL_VALUE_LENGTH) : raw;
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.maxValues) return OTHER_LABEL_VALUE;
    this.admitted.add(value);
    return value;
  }

  /** Number of distinct values admitted so far. */
  get size(): number {
    return this.admitted.size;
  }
}
