/** Confidence derived from token log-probabilities. */
export interface LogprobConfidence {
  /** Mean token probability: (1/n)·Σ exp(logprobᵢ). */
  mean: number;
  /** Minimum token probability: minᵢ exp(logprobᵢ). */
  min: number;
}

/**
 * Mean and minimum token probability of a response, from the natural-log probabilities the
 * provider returned for each generated token. Null when there are none (the call then
 * records no confidence rather than a made-up one). Non-finite values are skipped.
 *
 * @example confidenceFromLogprobs([Math.log(0.9), Math.log(0.5)]) // { mean: 0.7, min: 0.5 }
 */
export function confidenceFromLogprobs(logprobs: ArrayLike<number>): LogprobConfidence | null {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < logprobs.length; i++) {
    const lp = logprobs[i];
    if (lp === undefined || !Number.isFinite(lp)) continue;
    const p = Math.min(1, Math.exp(lp));
    sum += p;
    if (p < min) min = p;
    n++;
  }
  return n === 0 ? null : { mean: sum / n, min };
}

/** A user extractor's value, kept only when it is a finite number in [0, 1]. */
export function validConfidence(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1
    ? value
    : null;
}
