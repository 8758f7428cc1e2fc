import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BackgroundJob,
  type BackgroundJobs,
  jobsLockKey,
  runBackgroundJobs,
} from '../src/jobs/background-jobs.js';
import { TcpProxy } from './postgres-fixture.js';

/** Polls until `predicate` holds; fails after `limitMs` (a liveness bound, not a speed measurement). */
async function eventually(predicate: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${predicate.toString()}`);
    await sleep(25);
  }
}

/**
 * A proxy to the test database that can also play a host that vanished: once `vanish()` is
 * called, nothing passes in either direction and the database side of every connection stays
 * open and silent, whatever the client does, as when a machine loses power.
 */
class VanishingProxy {
  constructor(private readonly target: URL) {}

  private readonly server = net.createServer((client) => {
    const target = this.target;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    this.upstreams.add(upstream);
    for (const sock of [client, upstream]) sock.on('error', () => undefined);
    client.on('data', (d: Buffer) => {
      if (!this.vanished) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!this.vanished) client.write(d);
    });
    client.on('close', () => {
      if (!this.vanished) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  private readonly upstreams = new Set<net.Socket>();
  private vanished = false;

  async url(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const u = new URL(this.target.toString());
    u.host = `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return u.toString();
  }

  vanish(): void {
    this.vanished = true;
    this.server.close();
  }

  async close(): Promise<void> {
    for (const u of this.upstreams) u.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A job that ticks every 20 ms while started, counting its ticks and how often it ran. */
function tickingJob(name: string, log: string[]): BackgroundJob & { ticks: number } {
  const job = {
    name,
    ticks: 0,
    start() {
      log.push(`${name} start`);
      const timer = setInterval(() => {
        job.ticks++;
      }, 20);
      return {
        stop: () => {
          clearInterval(timer);
          log.push(`${name} stop`);
        },
      };
    },
  };
  return job;
}

describe('background jobs', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('run at once in a single process (SQLite) and stop once', async () => {
    const log: string[] = [];
    const jobs = runBackgroundJobs([tickingJob('retention', log), tickingJob('alerts', log)]);
    expect(jobs.isLeader).toBe(true);
    expect(log).toEqual(['retention start', 'alerts start']);
    await jobs.stop();
    await jobs.stop();
    expect(jobs.isLeader).toBe(false);
    expect(log).toEqual(['retention start', 'alerts start', 'retention stop', 'alerts stop']);
  });

  it('run on exactly one replica sharing PostgreSQL, and move when the leader dies or leaves', async () => {
    const schema = `pl_test_${randomBytes(6).toString('hex')}`;
    const replicas = new Map<
      string,
      { jobs: BackgroundJobs; job: { ticks: number }; proxy: TcpProxy; vanishing: VanishingProxy }
    >();
    const log: string[] = [];
    const start = async (name: string) => {
      // Each replica reaches the database through a proxy the test can cut, as a crash or a
      // network partition would: the replica cannot reconnect, its session ends.
      const proxy = new TcpProxy();
      await proxy.start();
      // …behind one that can play a vanished host.
      const vanishing = new VanishingProxy(new URL(proxy.url()));
      const pool = new pg.Pool({ connectionString: await vanishing.url(), max: 1 });
      const job = tickingJob(name, log);
      const jobs = runBackgroundJobs([job], {
        leaderElection: {
          pool,
          lockKey: jobsLockKey(schema),
          checkIntervalMs: 100,
          sessionTimeoutMs: 1_500,
        },
      });
      replicas.set(name, { jobs, job, proxy, vanishing });
      cleanups.push(async () => {
        await jobs.stop();
        await pool.end();
        await vanishing.close();
        await proxy.stop();
      });
    };
    const leaders = () => [...replicas].filter(([, r]) => r.jobs.isLeader).map(([n]) => n);
    for (const name of ['a', 'b', 'c']) await start(name);
    await eventually(() => leaders().length === 1);
    const first = leaders()[0]!;
    // The others stay followers: the jobs do not start anywhere else.
    await sleep(400);
    expect(leaders()).toEqual([first]);
    expect(log).toEqual([`${first} start`]);

    // The leader loses the database: another replica takes over, the old one stops its jobs.
    await replicas.get(first)!.proxy.stop();
    await eventually(() => leaders().length === 1 && leaders()[0] !== first);
    const second = leaders()[0]!;
    await eventually(() => log.includes(`${first} stop`));
    const ticks = replicas.get(second)!.job.ticks;
    await eventually(() => replicas.get(second)!.job.ticks > ticks);

    // The new leader's host vanishes: its connection to the database stays open and silent.
    // The server ends the silent session after the session timeout, so the lock is not held
    // for the hours TCP would take; the old leader stops its jobs when its checks time out.
    replicas.get(second)!.vanishing.vanish();
    await eventually(() => leaders().length === 1 && leaders()[0] !== second);
    await eventually(() => log.includes(`${second} stop`));
    const third = leaders()[0]!;

    // The first replica reaches the database again; the leader shuts down and hands over.
    await replicas.get(first)!.proxy.start();
    await replicas.get(third)!.jobs.stop();
    await eventually(() => log.includes(`${third} stop`));
    await eventually(() => leaders().length === 1);
    expect(leaders()).toEqual([first]);
    expect(log.filter((l) => l.endsWith('start'))).toHaveLength(4);
  });
});
