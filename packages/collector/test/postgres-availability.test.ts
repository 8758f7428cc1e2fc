import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecord } from '@pilotlight/conventions';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { STORE_RETRY_AFTER_SEC, StoreUnavailableError } from '../src/errors.js';
import { openPostgresStore, PostgresUnavailableError } from '../src/store/postgres/index.js';
import {
  adminQuery,
  openTestStore,
  TcpProxy,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './postgres-fixture.js';
import { makeRecord } from './store-contract.js';

/** A port on which nothing listens. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const isUnavailable = (error: unknown): error is PostgresUnavailableError =>
  error instanceof PostgresUnavailableError;

describe('PostgreSQL store availability', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('fails to open with PostgresUnavailableError when nothing listens', async () => {
    const u = new URL(TEST_DATABASE_URL);
    u.host = `127.0.0.1:${await deadPort()}`;
    const error = await openPostgresStore({
      connectionString: u.toString(),
      schema: uniqueSchema(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    // The collector's own StoreUnavailableError, so the HTTP layer answers 503 + Retry-After.
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({
      reason: 'unreachable',
      retryAfterSec: STORE_RETRY_AFTER_SEC,
      status: 503,
      code: 'store_unavailable',
    });
  });

  it('rejects with PostgresUnavailableError while the database is unreachable and recovers by itself', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const t = await openTestStore({ connectionString: proxy.url(), connectionTimeoutMs: 2_000 });
    cleanups.push(t.destroy);
    const { store } = t;

    const before = makeRecord();
    expect(await store.insertCalls('p1', [before])).toMatchObject({ inserted: 1, duplicates: 0 });

    await proxy.stop();
    const during = makeRecord();
    for (const call of [
      () => store.insertCalls('p1', [during]),
      () => store.listCalls('p1', { limit: 10 }),
      () => store.getTrace('p1', before.traceId),
      () => store.ping(),
    ]) {
      const error = await call().then(
        () => 'resolved',
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect((error as PostgresUnavailableError).retryAfterSec).toBeGreaterThan(0);
    }

    await proxy.start(); // same port: the database is back
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.insertCalls('p1', [during])).toMatchObject({ inserted: 1, duplicates: 0 });
    const names = (await store.listCalls('p1', { limit: 10 })).data.map((r) => r.spanId).sort();
    expect(names).toEqual([before.spanId, during.spanId].sort());
  });

  it('gives up on a database that stops answering without closing connections, and recovers', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const t = await openTestStore({
      connectionString: proxy.url(),
      connectionTimeoutMs: 500,
      queryTimeoutMs: 500,
    });
    cleanups.push(t.destroy);
    const before = makeRecord();
    await t.store.insertCalls('p1', [before]);

    proxy.blackHoled = true;
    const during = makeRecord();
    const error = await t.store.insertCalls('p1', [during]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toMatchObject({ reason: 'unreachable' });
    const pingError = await t.store.ping().catch((e: unknown) => e);
    expect(pingError).toBeInstanceOf(PostgresUnavailableError);

    proxy.blackHoled = false;
    expect(await t.store.insertCalls('p1', [during])).toMatchObject({ inserted: 1, duplicates: 0 });
    expect((await t.store.listCalls('p1', { limit: 5 })).data.map((r) => r.spanId).sort()).toEqual(
      [before.spanId, during.spanId].sort(),
    );
  });

  it('keeps every acknowledged span, once, while its connections are terminated under load', async () => {
    const applicationName = `pl-test-${uniqueSchema()}`;
    const t = await openTestStore({ applicationName, poolSize: 3 });
    cleanups.push(t.destroy);
    const { store } = t;

    const acknowledged = new Map<string, CallRecord>();
    const outcomes = { ok: 0, unavailable: 0 };
    const unexpected: unknown[] = [];
    let stop = false;
    const writer = async (): Promise<void> => {
      while (!stop) {
        const batch = Array.from({ length: 50 }, () => makeRecord());
        try {
          await store.insertCalls('p1', batch);
          outcomes.ok++;
          for (const r of batch) acknowledged.set(r.spanId, r);
        } catch (error) {
          if (isUnavailable(error)) outcomes.unavailable++;
          else unexpected.push(error);
        }
      }
    };
    const writers = Array.from({ length: 3 }, writer);
    let killed = 0;
    for (let round = 0; round < 8; round++) {
      await sleep(40);
      const { rows } = await adminQuery<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      killed += rows.filter((r) => r.ok).length;
    }
    stop = true;
    await Promise.all(writers);

    expect(unexpected).toEqual([]);
    expect(killed).toBeGreaterThan(0);
    expect(outcomes.ok).toBeGreaterThan(0);
    // The pool replaced the dead connections: the store works without being reopened.
    await expect(store.ping()).resolves.toBeUndefined();
    const { rows } = await adminQuery<{ span: string; n: string }>(
      `SELECT encode(span_id, 'hex') AS span, count(*) AS n FROM "${t.schema}".calls GROUP BY 1`,
    );
    const stored = new Map(rows.map((r) => [r.span, Number(r.n)]));
    for (const id of acknowledged.keys()) expect(stored.get(id)).toBe(1);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('rejects as overloaded when no pooled connection frees up in time', async () => {
    const t = await openTestStore({ poolSize: 1, connectionTimeoutMs: 200 });
    cleanups.push(t.destroy);
    const held = await t.store.pool.connect();
    try {
      const error = await t.store.insertCalls('p1', [makeRecord()]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect(error).toMatchObject({ reason: 'overloaded' });
    } finally {
      held.release();
    }
    expect(await t.store.insertCalls('p1', [makeRecord()])).toMatchObject({
      inserted: 1,
      duplicates: 0,
    });
  });

  it('rejects as overloaded when a statement exceeds the statement timeout', async () => {
    const t = await openTestStore({ statementTimeoutMs: 300 });
    cleanups.push(t.destroy);
    const r = makeRecord();
    await t.store.insertCalls('p1', [r]); // creates today's partition
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${t.schema}".calls IN ACCESS EXCLUSIVE MODE`);
      const error = await t.store.listCalls('p1', { limit: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect(error).toMatchObject({ reason: 'overloaded' });
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    expect((await t.store.listCalls('p1', { limit: 1 })).data).toEqual([r]);
  });

  it('passes other database errors through unchanged and writes nothing of the batch', async () => {
    const t = await openTestStore();
    cleanups.push(t.destroy);
    // A trigger that fails on the last row of the batch, after the others were inserted.
    await adminQuery(`
      CREATE FUNCTION "${t.schema}".refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'refused %', NEW.name USING ERRCODE = 'P0001'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_boom BEFORE INSERT ON "${t.schema}".calls FOR EACH ROW EXECUTE FUNCTION "${t.schema}".refuse_boom();
    `);
    const batch = [...Array.from({ length: 9 }, () => makeRecord()), makeRecord({ name: 'boom' })];
    const error = await t.store.insertCalls('p1', batch).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'P0001', message: 'refused boom' });
    expect((await t.store.listCalls('p1', { limit: 20 })).data).toEqual([]);
  });

  it('commits synchronously and stores U+0000 in text columns as U+FFFD', async () => {
    const t = await openTestStore();
    cleanups.push(t.destroy);
    const { rows } = await t.store.pool.query<{ synchronous_commit: string }>(
      'SHOW synchronous_commit',
    );
    expect(rows[0]?.synchronous_commit).toBe('on');
    const r = makeRecord({ name: 'nul\u0000inside', input: 'nul\u0000kept in JSON' });
    await t.store.insertCalls('p1', [r]);
    const [got] = await t.store.getTrace('p1', r.traceId);
    expect(got?.name).toBe('nul\uFFFDinside');
    expect(got?.input).toBe('nul\u0000kept in JSON');
  });
});
