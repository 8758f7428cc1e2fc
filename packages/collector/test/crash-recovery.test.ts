import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildCollector, startChildCollector } from './child-process.js';
import { hexId, listAll, otlpJson, tempDir } from './helpers.js';

const WRITERS = 4;
const SPANS_PER_BATCH = 20;
const KILLS = 3;
/** Time between kills: long enough for a restart plus some acknowledged batches. */
const RUN_BETWEEN_KILLS_MS = 3_000;

describe('crash recovery', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('keeps every acknowledged span, exactly once, across repeated SIGKILLs', {
    timeout: 120_000,
  }, async () => {
    const env = { PILOTLIGHT_DB: path.join(tmp.dir, 'crash.db') };
    let collector: ChildCollector = await startChildCollector(env);
    const acknowledged = new Set<string>();
    const ackedBatches: string[] = [];
    let attempts = 0;
    let failures = 0;
    let stopping = false;

    const writer = async (w: number): Promise<void> => {
      let n = 0;
      while (!stopping) {
        // Every fourth request resends an acknowledged batch, as a retrying exporter would.
        const resend = n % 4 === 3 && ackedBatches.length > 0;
        const body = resend
          ? ackedBatches[(n * 7919) % ackedBatches.length]!
          : JSON.stringify(
              otlpJson(
                Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
                  traceId: hexId(16),
                  spanId: hexId(8),
                  name: `w${w} b${n} s${i}`,
                })),
              ),
            );
        n++;
        attempts++;
        try {
          const res = await fetch(`${collector.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.status === 200) {
            if (!resend) ackedBatches.push(body);
            const parsed = JSON.parse(body) as ReturnType<typeof otlpJson>;
            for (const s of spansOf(parsed)) acknowledged.add(`${s.traceId}/${s.spanId}`);
          } else {
            failures++;
          }
        } catch {
          // Connection refused or reset while the collector is down: not acknowledged.
          failures++;
          await sleep(20);
        }
      }
    };

    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    for (let k = 0; k < KILLS; k++) {
      await sleep(RUN_BETWEEN_KILLS_MS);
      collector.child.kill('SIGKILL');
      expect((await collector.exited).signal).toBe('SIGKILL');
      collector = await startChildCollector(env);
    }
    await sleep(RUN_BETWEEN_KILLS_MS);
    stopping = true;
    await Promise.all(writers);

    const stored = await listAll(collector.url);
    const keys = stored.map((s) => `${s.traceId}/${s.spanId}`);
    const storedSet = new Set(keys);
    expect(storedSet.size).toBe(keys.length); // nothing stored twice
    const missing = [...acknowledged].filter((k) => !storedSet.has(k));
    expect(missing).toEqual([]);
    // The run really exercised the kills: batches were acknowledged in every phase and some failed.
    expect(acknowledged.size).toBeGreaterThan(KILLS * 10 * SPANS_PER_BATCH);
    expect(attempts).toBeGreaterThan(acknowledged.size / SPANS_PER_BATCH);

    // A graceful stop after all that: SIGTERM exits 0.
    collector.child.kill('SIGTERM');
    expect(await collector.exited).toEqual({ code: 0, signal: null });
    expect(collector.stdout()).toContain('SIGTERM received');
    expect(failures).toBeGreaterThan(0);
    console.info(
      `crash test: ${attempts} requests, ${failures} failed, ${acknowledged.size} spans acknowledged, ${keys.length} stored`,
    );
  });
});

function spansOf(body: ReturnType<typeof otlpJson>): { traceId: string; spanId: string }[] {
  const rs = body.resourceSpans as {
    scopeSpans: { spans: { traceId: string; spanId: string }[] }[];
  }[];
  return rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}
