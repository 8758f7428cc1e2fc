import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcStatus } from '../src/otlp/proto.js';
import { ingestRoutes } from '../src/routes/ingest.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { startChildCollector } from './child-process.js';
import { hexId, otlpJson, tempDir } from './helpers.js';

const SPANS_PER_REQUEST = 50;

interface Harness {
  url: string;
  store: SqliteSpanStore;
  dbPath: string;
  pending: { spans: number };
  close: () => Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/**
 * A real SQLite store behind the ingest route on a real port, with the given limits. The
 * time bound is off unless asked for, so that the count bounds are tested alone.
 */
async function start(limits: {
  maxPendingSpans?: number;
  maxPendingBytes?: number;
  maxWaitMs?: number;
}) {
  const tmp = tempDir('pilotlight-admission-');
  const dbPath = path.join(tmp.dir, 'pl.db');
  const store = openSqliteStore({ path: dbPath });
  const pending = { spans: 0 };
  const app = new Hono();
  app.route(
    '/',
    ingestRoutes({ store, projectId: 'default', pending, maxWaitMs: Infinity, ...limits }),
  );
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const h: Harness = {
    url: `http://127.0.0.1:${port}`,
    store,
    dbPath,
    pending,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await store.close();
      tmp.remove();
    },
  };
  open.push(h);
  return h;
}

function batch(n = SPANS_PER_REQUEST) {
  const spans = Array.from({ length: n }, () => ({ traceId: hexId(16), spanId: hexId(8) }));
  return { spans, body: JSON.stringify(otlpJson(spans)) };
}

async function post(url: string, body: string | Uint8Array, type = 'application/json') {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), res };
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  expect(check()).toBe(true);
}

async function storedIds(store: SqliteSpanStore): Promise<Set<string>> {
  const page = await store.listCalls('default', { limit: 1000 });
  return new Set(page.data.map((r) => r.spanId));
}

describe('ingest admission control', () => {
  it('refuses with 503 and Retry-After while the writer is behind, and stores every span it accepted', {
    timeout: 30_000,
  }, async () => {
    const h = await start({ maxPendingSpans: 4 * SPANS_PER_REQUEST });
    // The writer thread is up before the flood.
    expect((await post(h.url, batch(1).body)).status).toBe(200);

    // Another connection holds SQLite's write lock: the writer stalls, as on a slow disk.
    const blocker = new Database(h.dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    const accepted = Array.from({ length: 4 }, () => batch());
    const acceptedAnswers = accepted.map((b) => post(h.url, b.body));
    await waitFor(() => h.pending.spans === 4 * SPANS_PER_REQUEST);

    const refused = Array.from({ length: 6 }, () => batch());
    const refusals = await Promise.all(refused.map((b) => post(h.url, b.body)));
    for (const r of refusals) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBe('1');
      expect(await r.res.json()).toMatchObject({
        error: 'overloaded',
        message: expect.stringContaining('200 spans waiting to be stored'),
      });
    }
    // Protobuf exporters get a google.rpc.Status (UNAVAILABLE), as the OTLP spec asks.
    const proto = await post(h.url, new Uint8Array(), 'application/x-protobuf');
    expect(proto.status).toBe(503);
    expect(proto.retryAfter).toBe('1');
    const status = RpcStatus.toObject(
      RpcStatus.decode(new Uint8Array(await proto.res.arrayBuffer())),
    ) as { code: number; message: string };
    expect(status.code).toBe(14);
    expect(status.message).toContain('overloaded');

    blocker.exec('COMMIT');
    blocker.close();
    for (const answer of await Promise.all(acceptedAnswers)) expect(answer.status).toBe(200);

    const stored = await storedIds(h.store);
    for (const b of accepted) for (const s of b.spans) expect(stored.has(s.spanId)).toBe(true);
    for (const b of refused) for (const s of b.spans) expect(stored.has(s.spanId)).toBe(false);
    expect(stored.size).toBe(1 + 4 * SPANS_PER_REQUEST);

    // Once the queue has drained, the refused batches are accepted on retry.
    expect(h.pending.spans).toBe(0);
    for (const b of refused) expect((await post(h.url, b.body)).status).toBe(200);
    expect((await storedIds(h.store)).size).toBe(1 + 10 * SPANS_PER_REQUEST);
  });

  it('bounds the bytes waiting to be parsed, yet admits one large body when nothing else waits', {
    timeout: 30_000,
  }, async () => {
    const slow = batch();
    const h = await start({ maxPendingBytes: slow.body.length + 100 });
    const { port } = new URL(h.url);
    // A client that declared its body but sent only half of it so far.
    const half = Math.floor(slow.body.length / 2);
    const slowAnswer = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/traces',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': slow.body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(slow.body.slice(0, half));
      setTimeout(() => req.end(slow.body.slice(half)), 1_000);
    });
    await sleep(200);
    const second = batch();
    const refusal = await post(h.url, second.body);
    expect(refusal.status).toBe(503);
    expect(refusal.retryAfter).toBe('1');
    expect(await slowAnswer).toBe(200);

    // Alone, a body over the limit is still admitted: the bound never blocks a big batch.
    const big = batch(2 * SPANS_PER_REQUEST);
    expect(big.body.length).toBeGreaterThan(slow.body.length + 100);
    expect((await post(h.url, big.body)).status).toBe(200);
    const stored = await storedIds(h.store);
    for (const s of [...slow.spans, ...big.spans]) expect(stored.has(s.spanId)).toBe(true);
    for (const s of second.spans) expect(stored.has(s.spanId)).toBe(false);
  });
});

describe('ingest admission control on time', () => {
  it('refuses once the queued spans have waited longer than maxWaitMs, far below the span limit', {
    timeout: 30_000,
  }, async () => {
    const h = await start({ maxPendingSpans: 100_000, maxWaitMs: 100 });
    expect((await post(h.url, batch(1).body)).status).toBe(200);

    const blocker = new Database(h.dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    const waiting = batch();
    const waitingAnswer = post(h.url, waiting.body);
    await waitFor(() => h.pending.spans === SPANS_PER_REQUEST);
    // Nothing commits for longer than the target: 50 queued spans are already too late.
    await sleep(300);
    const late = batch();
    const refusal = await post(h.url, late.body);
    expect(refusal.status).toBe(503);
    expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(Number(refusal.retryAfter))).toBe(true);
    expect(await refusal.res.json()).toMatchObject({
      error: 'overloaded',
      message: expect.stringMatching(
        /50 spans waiting to be stored.*expected wait \d+ ms, at most 100 ms/,
      ),
    });

    blocker.exec('COMMIT');
    blocker.close();
    expect((await waitingAnswer).status).toBe(200);
    // Once the writer moves again, the refused batch is accepted.
    expect((await post(h.url, late.body)).status).toBe(200);
    const stored = await storedIds(h.store);
    for (const s of [...waiting.spans, ...late.spans]) expect(stored.has(s.spanId)).toBe(true);
  });
});

describe('ingest admission settings', () => {
  it('pilotlight serve refuses at PILOTLIGHT_INGEST_MAX_PENDING_SPANS', {
    timeout: 60_000,
  }, async () => {
    const tmp = tempDir('pilotlight-admission-serve-');
    const collector = await startChildCollector({
      PILOTLIGHT_DB: path.join(tmp.dir, 'pl.db'),
      PILOTLIGHT_INGEST_MAX_PENDING_SPANS: '100',
    });
    try {
      expect((await post(collector.url, batch(1).body)).status).toBe(200);
      const queueDepth = async () => {
        const text = await (await fetch(`${collector.url}/metrics`)).text();
        return Number(/^pilotlight_ingest_queue_depth (\S+)$/m.exec(text)?.[1]);
      };
      // The writer stalls behind another connection's write lock; two batches fill the queue.
      const blocker = new Database(collector.dbPath);
      blocker.exec('BEGIN IMMEDIATE');
      const accepted = [batch(), batch()];
      const answers = accepted.map((b) => post(collector.url, b.body));
      for (let i = 0; i < 500 && (await queueDepth()) < 100; i++) await sleep(10);
      expect(await queueDepth()).toBe(100);

      // The default (5,000) would take this batch; the configured 100 refuses it.
      const refused = batch();
      const refusal = await post(collector.url, refused.body);
      expect(refusal.status).toBe(503);
      expect(refusal.retryAfter).toBe('1');
      expect(await refusal.res.json()).toMatchObject({ error: 'overloaded' });

      blocker.exec('COMMIT');
      blocker.close();
      for (const a of await Promise.all(answers)) expect(a.status).toBe(200);
      expect((await post(collector.url, refused.body)).status).toBe(200);
    } finally {
      collector.child.kill('SIGTERM');
      await collector.exited;
      tmp.remove();
    }
  });
});
