import path from 'node:path';
import type { CallRecord, SummaryResponse } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import {
  planSummary,
  type SummaryFilter,
  type SummaryOptions,
  summarize,
} from '../src/rollups/summary.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { hexId, tempDir } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 8, 1);
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', ''];
const SERVICES = ['checkout', 'search', 'batch'];
const OPERATIONS = ['chat', 'embeddings'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function calls(n: number, seed: number): CallRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const startMs = START + Math.floor(r() * 9 * DAY);
    const model = MODELS[Math.floor(r() * MODELS.length)]!;
    const durationMs = 50 + r() * 3000;
    return {
      traceId: hexId(16),
      spanId: hexId(8),
      parentSpanId: null,
      projectId: 'default',
      name: 'chat',
      operation: OPERATIONS[Math.floor(r() * OPERATIONS.length)]!,
      provider: model.startsWith('claude') ? 'anthropic' : 'openai',
      model: model === '' ? null : model,
      responseModel: null,
      responseId: null,
      finishReasons: null,
      serviceName: SERVICES[Math.floor(r() * SERVICES.length)]!,
      startTime: new Date(startMs).toISOString(),
      endTime: new Date(startMs + durationMs).toISOString(),
      startTimeUnixNano: `${startMs}000000`,
      durationMs,
      ttftMs: r() < 0.5 ? durationMs / 3 : null,
      inputTokens: Math.floor(r() * 1000),
      outputTokens: Math.floor(r() * 300),
      cacheReadInputTokens: r() < 0.2 ? 10 : null,
      cacheCreationInputTokens: null,
      reasoningOutputTokens: null,
      tokensEstimated: false,
      costUsd: r() * 0.01,
      costSource: 'sdk',
      confidence: r() < 0.3 ? r() : null,
      status: r() < 0.1 ? 'error' : 'ok',
      errorType: null,
      input: null,
      output: null,
      sourceDialect: null,
      warnings: [],
      attributes: {},
    } satisfies CallRecord;
  });
}

/** The summary from the full rows only: what every store answers without marginals. */
async function fromFullRows(store: SqliteSpanStore, o: SummaryOptions) {
  const { projectId: _, ...dimensions } = o.filter ?? {};
  return summarize(await store.readRollups('default', planSummary(o).ranges, dimensions), o);
}

function comparable(s: SummaryResponse) {
  const round = (x: number) => Math.round(x * 1e9) / 1e9;
  return s.groups.map((g) => ({
    key: g.key,
    points: [g.total, ...g.points].map((p) => ({ ...p, costUsd: round(p.costUsd) })),
  }));
}

const SHAPES: {
  query: string;
  options: Omit<SummaryOptions, 'filter' | 'from' | 'to'> & {
    filter?: Omit<SummaryFilter, 'projectId'>;
  };
  /** Answerable from one-dimension rows (else from the full rows). */
  marginal?: false;
}[] = [
  // Ragged edges (minutes and 5-minute tiers at both ends) around the hour/day middle.
  { query: 'groupBy=model&interval=1h', options: { groupBy: 'model', intervalSec: 3600 } },
  { query: 'groupBy=provider&interval=1d', options: { groupBy: 'provider', intervalSec: 86400 } },
  { query: 'groupBy=service&interval=3h', options: { groupBy: 'service', intervalSec: 10800 } },
  { query: 'groupBy=operation', options: { groupBy: 'operation' } },
  { query: 'interval=1h', options: { intervalSec: 3600 } },
  { query: '', options: {} },
  {
    query: 'groupBy=model&interval=1h&model=gpt-4o',
    options: { groupBy: 'model', intervalSec: 3600, filter: { model: 'gpt-4o' } },
  },
  {
    query: 'interval=1d&service=search',
    options: { intervalSec: 86400, filter: { service: 'search' } },
  },
  // Not answerable from one-dimension rows: falls back to the full rows.
  {
    query: 'groupBy=model&interval=1h&service=search',
    options: { groupBy: 'model', intervalSec: 3600, filter: { service: 'search' } },
    marginal: false,
  },
];

describe('one-dimension rollups', () => {
  const tmp = tempDir('pilotlight-marginals-');
  const file = path.join(tmp.dir, 'pl.db');
  let store: SqliteSpanStore;
  const from = START + 37 * 60_000 + 13_000;
  const to = START + 8 * DAY + 5 * HOUR + 22 * 60_000;

  beforeAll(async () => {
    store = openSqliteStore({ path: file, synchronous: 'normal' });
    const all = calls(3000, 7);
    for (let i = 0; i < all.length; i += 250)
      await store.insertCalls('default', all.slice(i, i + 250));
    // A resent batch changes nothing, in either kind of row.
    await store.insertCalls('default', all.slice(0, 250));
  });
  afterAll(async () => {
    await store.close();
    tmp.remove();
  });

  it('answer every summary shape exactly as the full rows do, from fewer rows', async () => {
    const app = createApp({ store });
    for (const shape of SHAPES) {
      const { query, options } = shape;
      const res = await app.request(`/api/summary?from=${from}&to=${to}&${query}`);
      expect(res.status, query).toBe(200);
      const body = (await res.json()) as SummaryResponse & { rowsUsed: number };
      const o: SummaryOptions = {
        ...options,
        from,
        to,
        filter: { projectId: 'default', ...options.filter },
      };
      const expected = await fromFullRows(store, o);
      expect(comparable(body), query).toEqual(comparable(expected));
      expect(body.groups.length, query).toBeGreaterThan(0);
      if (shape.marginal === false) expect(body.rowsUsed, query).toBe(expected.rowsUsed);
      else expect(body.rowsUsed, query).toBeLessThan(expected.rowsUsed);
    }
  });

  it('fold rows stored before they existed in once, at start-up', async () => {
    const app = createApp({ store });
    const url = `/api/summary?from=${from}&to=${to}&groupBy=model&interval=1h`;
    const before = (await (await app.request(url)).json()) as SummaryResponse;
    await store.close();
    // A database from before migration 6: no one-dimension rows, backfill pending.
    const raw = new Database(file);
    raw.exec('DELETE FROM rollup_marginals; INSERT INTO rollup_marginals_backfill VALUES (1)');
    raw.close();
    store = openSqliteStore({ path: file, synchronous: 'normal' });
    const after = (await (await createApp({ store }).request(url)).json()) as SummaryResponse;
    // Equal but for the last bits of float sums added in another order.
    expect(comparable(after)).toEqual(comparable(before));
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT COUNT(*) AS n FROM rollup_marginals_backfill').get()).toEqual({
      n: 0,
    });
    check.close();
  });

  it('expire with the full rows of their tier', async () => {
    const count = (table: string) => {
      const db = new Database(file, { readonly: true });
      const n = (
        db
          .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE bucket_start_ms < ?`)
          .get(START + 3 * DAY) as { n: number }
      ).n;
      db.close();
      return n;
    };
    expect(count('rollup_marginals')).toBeGreaterThan(0);
    while ((await store.deleteRollupsBefore(START + 3 * DAY, 50)) === 50) {}
    expect(count('rollups')).toBe(0);
    expect(count('rollup_marginals')).toBe(0);
    const db = new Database(file, { readonly: true });
    expect(
      (db.prepare('SELECT COUNT(*) AS n FROM rollup_marginals').get() as { n: number }).n,
    ).toBeGreaterThan(0);
    db.close();
  });
});
