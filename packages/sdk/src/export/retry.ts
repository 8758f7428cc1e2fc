/** Outcome of one delivery attempt: outbound calls return a result, never throw. */
export type AttemptResult =
  | { kind: 'success' }
  | { kind: 'failure'; reason: string }
  | { kind: 'retryable'; reason: string; retryAfterMs?: number };

/** HTTP statuses worth retrying (as the OTLP specification lists them). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Options of {@link retryUntilDeadline}. */
export interface RetryOptions {
  deadlineMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Waits; the caller decides whether the timer keeps the process alive. */
  sleep(ms: number): Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the deadline would pass. Backoff is
 * exponential with ±20 % jitter, capped at `maxBackoffMs`; a server's `Retry-After` replaces
 * the computed delay (it may exceed the cap, never the deadline).
 */
export async function retryUntilDeadline(
  attempt: (remainingMs: number) => Promise<AttemptResult>,
  options: RetryOptions,
): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const deadline = now() + options.deadlineMs;
  let backoff = options.initialBackoffMs;
  for (;;) {
    const result = await attempt(Math.max(1, deadline - now()));
    if (result.kind !== 'retryable') return result;
    const jittered = Math.min(backoff, options.maxBackoffMs) * (0.8 + 0.4 * random());
    const delay = result.retryAfterMs ?? jittered;
    if (now() + delay >= deadline)
      return { kind: 'failure', reason: `${result.reason} (retry deadline reached)` };
    await options.sleep(delay);
    backoff *= 2;
  }
}
