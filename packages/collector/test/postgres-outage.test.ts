// Issue 9: a whole collector (startCollector: ingest, queries, readiness, leader-run jobs)
// reaches PostgreSQL through a proxy that the test cuts three times while clients keep
// posting. While the database is gone: 503 with Retry-After, never a 500, /readyz 503. Once
// it is back, without a restart: ingest, readiness and the leader's jobs resume, and every
// span that was acknowledged with a 200 is stored exactly once, with exact rollups.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectorHandle, startCollector } from '../src/start.js';
import { hexId, otlpJson } from './helpers.js';
import {
  adminQuery,
  dropSchema,
  openTestStore,
  recountRollups,
  storedRollups,
  TcpProxy,
  uniqueSchema,
} from './postgres-fixture.js';

const CLIENTS = 4;
const SPANS_PER_BATCH = 20;
const OUTAGES = 3;

async function eventually(what: string, predicate: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 20_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await sleep(50);
  }
}

describe('a collector on PostgreSQL while the database goes away and comes back', () => {
  const schema = uniqueSchema();
  const proxy = new TcpProxy();
  let collector: CollectorHandle | undefined;
  afterAll(async () => {
    await collector?.close();
    await proxy.stop();
    await dropSchema(schema);
  });

  it('answers 503 with Retry-After, never 500, loses no acknowledged span and recovers without a restart', {
    timeout: 120_000,
  }, async () => {
    await proxy.start();
    const leadership: boolean[] = [];
    collector = await startCollector({
      dbPath: '',
      databaseUrl: proxy.url(),
      databaseSchema: schema,
      databasePoolSize: 4,
      port: 0,
      jobs: { leaderCheckIntervalMs: 200 },
      onLeaderChange: (leading) => leadership.push(leading),
    });
    const url = collector.url;
    await eventually('leader', () => collector!.isLeader);

    const acknowledged = new Set<string>();
    const statuses = new Map<number, number>();
    const badRetryAfter: (string | null)[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
          traceId: hexId(16),
          spanId: hexId(8),
          name: `chat ${i}`,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': i % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
            'gen_ai.usage.input_tokens': 10 + i,
          },
        }));
        const res = await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(otlpJson(spans)),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) for (const s of spans) acknowledged.add(`${s.traceId}/${s.spanId}`);
        if (res.status === 503) {
          const retryAfter = res.headers.get('retry-after');
          if (!(Number(retryAfter) > 0)) badRetryAfter.push(retryAfter);
          await sleep(50);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    const readyz = async () => (await fetch(`${url}/readyz`)).status;

    for (let outage = 0; outage < OUTAGES; outage++) {
      await sleep(500);
      const acknowledgedBefore = acknowledged.size;
      const refusedBefore = statuses.get(503) ?? 0;
      await proxy.stop(); // connections cut, new ones refused
      await eventually('ingest refused', () => (statuses.get(503) ?? 0) > refusedBefore);
      expect(await readyz()).toBe(503);
      // Queries of every kind: spans, alerts, drift monitors.
      for (const route of ['/api/spans?limit=1', '/api/alerts', '/api/drift/monitors']) {
        const res = await fetch(`${url}${route}`);
        expect([route, res.status]).toEqual([route, 503]);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      await sleep(1_000);
      await proxy.start(); // same port: the database is back
      await eventually('ready again', async () => (await readyz()) === 200);
      await eventually('ingest acknowledged again', () => acknowledged.size > acknowledgedBefore);
    }
    stop = true;
    await Promise.all(clients);

    expect([...statuses.keys()].sort()).toEqual([200, 503]);
    expect(badRetryAfter).toEqual([]);
    // The jobs came back too: the elector lost its session with the database and won again.
    await eventually('leader again', () => collector!.isLeader);
    expect(leadership.filter((l) => !l).length).toBeGreaterThan(0);

    const { rows } = await adminQuery<{ k: string; n: string }>(
      `SELECT encode(trace_id, 'hex') || '/' || encode(span_id, 'hex') AS k, count(*) AS n
         FROM "${schema}".calls GROUP BY 1`,
    );
    const stored = new Map(rows.map((r) => [r.k, Number(r.n)]));
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    const lost = [...acknowledged].filter((k) => !stored.has(k));
    expect(lost).toEqual([]);
    // Rollups equal an exact recount of the stored calls.
    const reader = await openTestStore({ schema });
    try {
      expect(await storedRollups(reader.store, 'default')).toEqual(
        await recountRollups(reader.store, 'default'),
      );
    } finally {
      await reader.store.close();
    }
  });
});
