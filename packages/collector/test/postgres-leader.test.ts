import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createLeaderElector, type LeaderElector } from '../src/store/postgres/index.js';
import { adminQuery, TcpProxy, TEST_DATABASE_URL } from './postgres-fixture.js';

/** Polls until `predicate` holds; fails after `limitMs` (a liveness bound, not a speed measurement). */
async function eventually(
  predicate: () => boolean | Promise<boolean>,
  limitMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

describe('leader election', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const setup = () => {
    const lockKey = `pilotlight.test.${randomBytes(6).toString('hex')}`;
    const events: string[] = [];
    const electors = new Map<string, LeaderElector>();
    /** Starts replica `name`'s elector, connecting through `connectionString`. */
    const start = (name: string, connectionString = TEST_DATABASE_URL): LeaderElector => {
      // Like a replica's store pool; the elector only borrows its settings for a dedicated connection.
      const pool = new pg.Pool({ connectionString, max: 1 });
      const elector = createLeaderElector({
        pool,
        lockKey,
        checkIntervalMs: 100,
        applicationName: `${lockKey}.${name}`,
        onElected: () => {
          events.push(`${name} elected`);
        },
        onDemoted: () => {
          events.push(`${name} demoted`);
        },
      });
      electors.set(name, elector);
      cleanups.push(async () => {
        await elector.stop();
        await pool.end();
      });
      return elector;
    };
    const leaders = () => [...electors].filter(([, e]) => e.isLeader).map(([n]) => n);
    /** Sessions holding the advisory lock, as PostgreSQL sees them. */
    const holders = async () =>
      (
        await adminQuery<{ app: string }>(
          `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE $1`,
          [`${lockKey}.%`],
        )
      ).rows.map((r) => r.app.slice(lockKey.length + 1));
    return { lockKey, events, start, leaders, holders };
  };

  it('elects exactly one leader among several replicas', async () => {
    const { events, start, leaders, holders } = await setup();
    start('a');
    await eventually(() => leaders().length === 1);
    start('b');
    start('c');
    await sleep(400); // several campaign rounds of b and c
    expect(leaders()).toEqual(['a']);
    expect(await holders()).toEqual(['a']);
    expect(events).toEqual(['a elected']);
  });

  it('hands over to another replica when the leader loses its database connection', async () => {
    const { events, start, leaders, holders } = await setup();
    const proxy = new TcpProxy();
    await proxy.start();
    cleanups.push(() => proxy.stop());
    start('a', proxy.url());
    await eventually(() => leaders().length === 1);
    const b = start('b');
    await sleep(300);
    expect(leaders()).toEqual(['a']);

    // a's network to the database dies: its session ends, the lock is released, and a cannot reconnect.
    await proxy.stop();
    await eventually(() => events.includes('b elected') && events.includes('a demoted'));
    expect(leaders()).toEqual(['b']);
    expect(await holders()).toEqual(['b']);

    // a's network comes back: it campaigns as a follower, and takes over when b steps down.
    await proxy.start();
    await sleep(300);
    expect(leaders()).toEqual(['b']);
    await b.stop();
    await eventually(() => leaders().length === 1);
    expect(leaders()).toEqual(['a']);
    // a's demotion and b's election race each other; everything else is ordered.
    expect(events[0]).toBe('a elected');
    expect(events.slice(1, 3).sort()).toEqual(['a demoted', 'b elected']);
    expect(events.slice(3)).toEqual(['b demoted', 'a elected']);
  });

  it('steps down when its session is terminated, and one replica leads afterwards', async () => {
    const { lockKey, events, start, leaders, holders } = await setup();
    start('a');
    await eventually(() => leaders().length === 1);
    start('b');
    await sleep(300);
    const { rows } = await adminQuery<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [`${lockKey}.a`],
    );
    expect(rows).toEqual([{ ok: true }]);
    await eventually(() => events.includes('a demoted'));
    // a reconnects at once and competes again: either replica may win, but only one.
    await eventually(async () => leaders().length === 1 && (await holders()).length === 1);
    expect(await holders()).toEqual(leaders());
  });

  it('releases the lock on stop so a follower takes over', async () => {
    const { events, start, leaders } = await setup();
    const a = start('a');
    await eventually(() => leaders().length === 1);
    start('b');
    await a.stop();
    // b may win the released lock at once; what must hold is the order: a is demoted
    // before b is elected (never two leaders).
    expect(events.slice(0, 2)).toEqual(['a elected', 'a demoted']);
    await eventually(() => leaders().length === 1);
    expect(leaders()).toEqual(['b']);
    await a.stop();
    expect(events).toEqual(['a elected', 'a demoted', 'b elected']);
  });
});
