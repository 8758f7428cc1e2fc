// Small, seeded helpers for the demo's traffic: which questions customers ask, how long the
// (mock) model takes to answer, and a bounded-concurrency loop. Seeded so every run looks alike.

/** Questions the support bot answers. */
export const QUESTIONS = [
  'Where is my order 4411?',
  'Can I change the delivery address of my last order?',
  'How do I reset my password?',
  'Do you ship to Canada?',
  'My invoice shows the wrong VAT number, what should I do?',
  'How long does a refund take?',
  'Is the blue kettle back in stock?',
  'Can I pay with a gift card and a credit card together?',
] as const;

/** A seeded uniform generator in [0, 1) (mulberry32). */
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

/**
 * A latency drawn lognormally around `medianMs` (spread factor e^±0.25 at one sigma), the way
 * model latencies spread: most calls near the median, a long right tail.
 */
export function lognormalMs(random: () => number, medianMs: number): number {
  const normal =
    Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  return Math.round(medianMs * Math.exp(0.25 * normal));
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
