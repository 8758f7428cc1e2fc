import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import type { Hono } from 'hono';
import { createApp, openSqliteStore, type SqliteSpanStore } from '../src/index.js';
import { hexId, type JsonSpanSpec, otlpJson, tempDir } from './helpers.js';

/** A seeded PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An app over a SQLite file in a temp directory (requests through `app.request`). */
export function testApp(options: Partial<Parameters<typeof createApp>[0]> = {}): {
  app: Hono;
  store: SqliteSpanStore;
  close: () => Promise<void>;
} {
  const tmp = tempDir();
  const store = openSqliteStore({
    path: path.join(tmp.dir, 'pilotlight.db'),
    synchronous: 'normal',
  });
  const app = createApp({ store, ...options });
  return {
    app,
    store,
    close: async () => {
      await store.close();
      tmp.remove();
    },
  };
}

export const MODELS = [
  { model: 'gpt-4o-mini', provider: 'openai' },
  { model: 'gpt-4o', provider: 'openai' },
  { model: 'claude-sonnet-4', provider: 'anthropic' },
] as const;

/**
 * `count` GenAI calls spread over `[startMs, startMs + spanMs)`, log-normal latencies,
 * some streamed (TTFT), some with confidence, about 10% errors.
 */
export function genAiSpans(
  seed: number,
  count: number,
  startMs: number,
  spanMs: number,
): JsonSpanSpec[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const { model, provider } = MODELS[Math.floor(r() * MODELS.length)]!;
    const normal = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const durationMs = Math.max(1, 500 * Math.exp(0.8 * normal));
    const attributes: Record<string, string | number | boolean> = {
      'gen_ai.operation.name': r() < 0.8 ? 'chat' : 'embeddings',
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': 1 + Math.floor(r() * 2000),
      'gen_ai.usage.output_tokens': Math.floor(r() * 500),
    };
    if (r() < 0.5) attributes['pilotlight.time_to_first_token_ms'] = durationMs * (0.1 + 0.5 * r());
    if (r() < 0.4) attributes['pilotlight.confidence'] = r();
    if (r() < 0.1) attributes['error.type'] = 'timeout';
    return {
      traceId: hexId(16),
      spanId: hexId(8),
      name: `chat ${model}`,
      startMs: startMs + Math.floor(r() * spanMs),
      durationMs,
      attributes,
    };
  });
}

/** POSTs spans as OTLP JSON through `app.request`; returns the status. */
export async function ingest(
  app: Hono,
  spans: JsonSpanSpec[],
  service = 'test-service',
): Promise<number> {
  const res = await app.request('/v1/traces', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlpJson(spans, service)),
  });
  return res.status;
}

/** Every stored span, via `/api/spans` pages. */
export async function allSpans(
  app: Hono,
  params: Record<string, string> = {},
): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ ...params, limit: '1000' });
    if (cursor !== null) q.set('cursor', cursor);
    const res = await app.request(`/api/spans?${q}`);
    const body = (await res.json()) as { data: CallRecord[]; nextCursor: string | null };
    out.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return out;
}

/** The exact lower quantile the sketches approximate: 0-based rank ⌊q(n−1)⌋. */
export function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}
