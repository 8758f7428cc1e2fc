import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { createApp, DEFAULT_PROJECT_ID } from '../src/server.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { otlpJson } from './helpers.js';
import {
  adminQuery,
  dropSchema,
  openTestStore,
  recountRollups,
  storedRollups,
  TcpProxy,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './postgres-fixture.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPLICAS = 3;
const WRITERS = 6;
const SPANS_PER_BATCH = 20;
const KILLS = 3;
const RUN_BETWEEN_KILLS_MS = 1_500;

interface Replica {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

async function startReplica(schema: string): Promise<Replica> {
  const child = spawn(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', 'test/postgres-replica-child.ts'],
    {
      cwd: PACKAGE_DIR,
      env: { ...process.env, PL_TEST_PG_URL: TEST_DATABASE_URL, PL_TEST_PG_SCHEMA: schema },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    exited.then(() => reject(new Error(`replica exited before listening: ${err}`)));
  });
  return { url, child, exited, stderr: () => err };
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const newBatch = (tag: string): { body: string; keys: string[] } => {
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
    traceId: hex(16),
    spanId: hex(8),
    name: `${tag} s${i}`,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 10,
    },
  }));
  return {
    body: JSON.stringify(otlpJson(spans)),
    keys: spans.map((s) => `${s.traceId}/${s.spanId}`),
  };
};

async function post(url: string, body: string): Promise<Response> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(15_000),
  });
}

describe('several collectors on one PostgreSQL', () => {
  const schemas: string[] = [];
  const replicas: Replica[] = [];
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await Promise.all(schemas.map(dropSchema));
  });

  it('stores every acknowledged span exactly once while replicas are SIGKILLed and restarted', {
    timeout: 180_000,
  }, async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    // Replicas start together: one migrates, the others wait for its lock.
    replicas.push(
      ...(await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(schema)))),
    );

    const acknowledged = new Set<string>();
    const ackedBatches: { body: string; keys: string[] }[] = [];
    const statuses = new Map<number, number>();
    let stopping = false;
    const writer = async (w: number): Promise<void> => {
      for (let n = 0; !stopping; n++) {
        // Every third request resends an acknowledged batch, to another replica than the first time.
        const resend = n % 3 === 2 && ackedBatches.length > 0;
        const batch = resend
          ? ackedBatches[(n * 7919 + w) % ackedBatches.length]!
          : newBatch(`w${w} b${n}`);
        const replica = replicas[(w + n) % REPLICAS]!;
        try {
          const res = await post(replica.url, batch.body);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) {
            if (!resend) ackedBatches.push(batch);
            for (const k of batch.keys) acknowledged.add(k);
          }
        } catch {
          // The replica was killed mid-request: not acknowledged, the exporter would retry.
          await sleep(20);
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));

    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(RUN_BETWEEN_KILLS_MS);
      const index = kill % REPLICAS;
      const victim = replicas[index]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      replicas[index] = await startReplica(schema);
    }
    await sleep(RUN_BETWEEN_KILLS_MS);
    stopping = true;
    await Promise.all(writers);

    expect(statuses.get(500) ?? 0).toBe(0);
    expect([...statuses.keys()].filter((s) => s !== 200)).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(0);
    const { rows } = await adminQuery<{ k: string; n: string }>(
      `SELECT encode(trace_id, 'hex') || '/' || encode(span_id, 'hex') AS k, count(*) AS n
         FROM "${schema}".calls GROUP BY 1`,
    );
    const stored = new Map(rows.map((r) => [r.k, Number(r.n)]));
    const missing = [...acknowledged].filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    expect(rows.filter((r) => r.n !== '1')).toEqual([]);
    // Every replica answers queries over the same data.
    const counts = await Promise.all(
      replicas.map(async (r) => {
        const res = await fetch(`${r.url}/api/spans?limit=1`);
        return res.status;
      }),
    );
    expect(counts).toEqual(replicas.map(() => 200));
    for (const r of replicas) expect(r.stderr()).not.toContain('unexpected');

    // Rollups written by three replicas, across kills, equal an exact recount of the calls.
    const check = await openPostgresStore({
      connectionString: TEST_DATABASE_URL,
      schema,
      poolSize: 2,
    });
    try {
      const rollups = await storedRollups(check, DEFAULT_PROJECT_ID);
      expect(rollups).toEqual(await recountRollups(check, DEFAULT_PROJECT_ID));
      const minuteCalls = rollups
        .filter((r) => r.key.includes('|60|'))
        .reduce((n, r) => n + r.calls, 0);
      expect(minuteCalls).toBe(rows.length);
    } finally {
      await check.close();
    }
  });
});

describe('ingest while PostgreSQL is unreachable', () => {
  it('answers 503 with Retry-After (never 500), then stores the resent batch once the database is back', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    const t = await openTestStore({ connectionString: proxy.url(), connectionTimeoutMs: 2_000 });
    const unexpected: unknown[] = [];
    const app = createApp({ store: t.store, logError: (e) => unexpected.push(e) });
    const ingest = (body: string) =>
      app.request('/v1/traces', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    try {
      const a = newBatch('a');
      const b = newBatch('b');
      expect((await ingest(a.body)).status).toBe(200);

      await proxy.stop();
      const refused = await ingest(b.body);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: 'store_unavailable' });
      expect((await app.request('/api/spans?limit=5')).status).toBe(503);
      expect((await app.request('/healthz')).status).toBe(503);

      await proxy.start();
      expect((await ingest(b.body)).status).toBe(200); // the exporter's retry
      expect((await ingest(a.body)).status).toBe(200); // a duplicate resend
      expect((await app.request('/healthz')).status).toBe(200);
      const res = await app.request('/api/spans?limit=100');
      const page = (await res.json()) as { data: { traceId: string; spanId: string }[] };
      expect(page.data.map((r) => `${r.traceId}/${r.spanId}`).sort()).toEqual(
        [...a.keys, ...b.keys].sort(),
      );
      // What the app logged were the refused requests, as store errors, not crashes.
      expect(unexpected.every((e) => e instanceof StoreUnavailableError)).toBe(true);
    } finally {
      await t.destroy();
      await proxy.stop();
    }
  });
});
