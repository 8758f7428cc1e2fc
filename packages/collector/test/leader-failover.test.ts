// Issue 9: three full collectors (startCollector) share one PostgreSQL; the leader running
// the background jobs is SIGKILLed twice while new alert groups start firing. Another replica
// takes the jobs over, and every notification reaches the webhook receiver once, under one
// idempotency key; drift monitors and retention keep running on the new leader. A leader
// killed in the middle of a send leaves the notification to its successor, which sends it
// again under the same key.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../src/alerts/notification.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/alerts/test-receiver.js';
import { hexId, otlpJson, tempDir } from './helpers.js';
import { adminQuery, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './postgres-fixture.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RULE = 'calls-per-model';
const KILLS = 2;
/** A liveness bound for the takeover (the elector retries every 250 ms here), not a speed target. */
const TAKEOVER_LIMIT_MS = 15_000;

interface Replica {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  leading: boolean;
  /** When it last printed `leader`. */
  electedAtMs: number | null;
  stderr: () => string;
}

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', 'test/leader-child.ts'],
    { cwd: PACKAGE_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const replica: Partial<Replica> = { name, child, exited, leading: false, electedAtMs: null };
  replica.stderr = () => err;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        const m = /^listening on (http:\/\/\S+)/.exec(line);
        if (m?.[1] !== undefined) {
          replica.url = m[1];
          resolve();
        } else if (line === 'leader') {
          replica.leading = true;
          replica.electedAtMs = Date.now();
        } else if (line === 'follower') {
          replica.leading = false;
        }
        nl = out.indexOf('\n');
      }
    });
    exited.then(() => reject(new Error(`replica ${name} exited before listening: ${err}`)));
  });
  return replica as Replica;
}

/** Polls until `predicate` holds; fails after `limitMs` (a liveness bound). */
async function eventually(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  limitMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${limitMs} ms: ${what}`);
    await sleep(50);
  }
}

/** Three collectors on a fresh schema, a webhook receiver, and what the tests do with them. */
async function startCluster(
  schema: string,
  dir: string,
  receiver: WebhookReceiver,
  replicas: Replica[],
) {
  const config = path.join(dir, `alerts-${schema}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      network: { allowHttp: true, allow: ['127.0.0.1'] },
      sinks: { hook: { type: 'webhook', url: `${receiver.origin}/hook`, timeoutMs: 2_000 } },
      rules: [
        {
          id: RULE,
          projectId: 'default',
          metric: 'calls',
          comparator: '>',
          threshold: 0,
          windowSec: 900,
          groupBy: 'model',
          sinks: ['hook'],
        },
      ],
    }),
  );
  const env = {
    PL_TEST_PG_URL: TEST_DATABASE_URL,
    PL_TEST_PG_SCHEMA: schema,
    PL_TEST_ALERTS_CONFIG: config,
  };
  let started = 0;
  const mine: Replica[] = [];
  const spawnReplica = async () => {
    const r = await startReplica(`r${started++}`, env);
    mine.push(r);
    replicas.push(r); // for the suite's clean-up
    return r;
  };
  // One first (it migrates the schema), then two more.
  await spawnReplica();
  await Promise.all([spawnReplica(), spawnReplica()]);
  const alive = () => mine.filter((r) => r.child.exitCode === null && !r.child.killed);
  const leaders = () => alive().filter((r) => r.leading);
  await eventually('one leader', () => leaders().length === 1);

  let turn = 0;
  /** Posts `count` spans of `model` that started `agoMs` ago until a replica acknowledges them. */
  const ingest = async (model: string, agoMs = 120_000, count = 3) => {
    const body = JSON.stringify(
      otlpJson(
        Array.from({ length: count }, (_, i) => ({
          traceId: hexId(16),
          spanId: hexId(8),
          name: `chat ${model}`,
          startMs: Date.now() - agoMs + i,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': model,
            'gen_ai.usage.input_tokens': 10,
          },
        })),
      ),
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const targets = alive();
      const target = targets[turn++ % targets.length]!;
      const res = await fetch(`${target.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).catch(() => null);
      if (res?.status === 200) return;
      expect(res === null || res.status === 503, `status ${res?.status}`).toBe(true);
      await sleep(100);
    }
    throw new Error(`no replica acknowledged ${model}`);
  };
  const notifications = () =>
    receiver.requests.map((r) => ({
      key: String(r.headers['idempotency-key']),
      body: JSON.parse(r.body) as AlertNotification,
    }));
  const firedGroups = () =>
    new Set(
      notifications()
        .filter((n) => n.body.rule.id === RULE && n.body.event === 'alert.firing')
        .map((n) => n.body.group),
    );
  const undelivered = async () =>
    Number(
      (
        await adminQuery<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}".alert_outbox WHERE status <> 'delivered'`,
        )
      ).rows[0]?.n,
    );
  /** New groups start firing; waits until each is notified and the outbox is drained. */
  const fireGroups = async (models: string[]) => {
    for (const m of models) await ingest(m);
    await eventually(`notified ${models.join(', ')}`, () =>
      models.every((m) => firedGroups().has(m)),
    );
    await eventually('outbox drained', async () => (await undelivered()) === 0);
  };
  /** Transitions recorded per group of the rule. */
  const transitions = async () =>
    (
      await adminQuery<{ grp: string; n: string }>(
        `SELECT grp, count(*) AS n FROM "${schema}".alert_history WHERE rule_id = $1 GROUP BY grp`,
        [RULE],
      )
    ).rows
      .map((r) => [r.grp, Number(r.n)] as const)
      .sort();
  return {
    alive,
    leaders,
    spawnReplica,
    ingest,
    notifications,
    fireGroups,
    undelivered,
    transitions,
  };
}

describe('leader failover with three collectors on PostgreSQL', () => {
  const schemas: string[] = [];
  const tmp = tempDir('pilotlight-failover-');
  const replicas: Replica[] = [];
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    for (const r of receivers) await r.stop();
    for (const s of schemas) await dropSchema(s);
    tmp.remove();
  });
  const setup = async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    return {
      schema,
      receiver,
      cluster: await startCluster(schema, tmp.dir, receiver, replicas),
    };
  };

  it('moves the jobs to another replica within seconds, and loses or doubles no notification', {
    timeout: 180_000,
  }, async () => {
    const { schema, cluster } = await setup();
    const { alive, leaders, fireGroups, notifications } = cluster;

    const groups: string[] = ['m-0-a', 'm-0-b', 'm-0-c'];
    await fireGroups(groups);

    const takeoversMs: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const [leader] = leaders();
      const killedAt = Date.now();
      leader!.child.kill('SIGKILL');
      await leader!.exited;
      // Groups that start firing while no replica, then a new one, runs the jobs.
      const next = [`m-${kill}-a`, `m-${kill}-b`, `m-${kill}-c`];
      groups.push(...next);
      const firing = fireGroups(next);
      await eventually(
        'another replica leads',
        () => leaders().length === 1 && leaders()[0] !== leader,
        TAKEOVER_LIMIT_MS,
      );
      takeoversMs.push(leaders()[0]!.electedAtMs! - killedAt);
      await firing;
      // Back to three processes.
      await cluster.spawnReplica();
    }
    console.log(`takeover after SIGKILL (ms): ${takeoversMs.join(', ')}`);

    // Every group fired once: one notification, one idempotency key, delivered exactly once.
    const fired = notifications().filter((n) => n.body.rule.id === RULE);
    expect(fired.map((n) => n.body.event).every((e) => e === 'alert.firing')).toBe(true);
    expect(fired.map((n) => n.body.group).sort()).toEqual([...groups].sort());
    const perKey = new Map<string, number>();
    for (const n of fired) {
      expect(n.key).toBe(n.body.id);
      perKey.set(n.key, (perKey.get(n.key) ?? 0) + 1);
    }
    expect([...perKey.values()].every((count) => count === 1)).toBe(true);
    expect(perKey.size).toBe(groups.length);
    // …and once in the database: one transition per group, one delivered outbox entry each.
    expect(await cluster.transitions()).toEqual(groups.map((g) => [g, 1]).sort());
    const outbox = await adminQuery<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM "${schema}".alert_outbox`,
    );
    expect(outbox.rows).toHaveLength(groups.length);
    expect(outbox.rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);

    // The other jobs run on the new leader too: a new drift monitor runs on schedule…
    const api = alive()[0]!.url;
    const created = await fetch(`${api}/api/drift/monitors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `after-failover-${randomBytes(3).toString('hex')}`,
        feature: 'latency',
        referenceWindow: { type: 'previous' },
        currentWindow: { windowSec: 600 },
      }),
    });
    expect(created.status).toBe(201);
    const monitorId = ((await created.json()) as { id: string }).id;
    await eventually('a scheduled drift run', async () => {
      const res = await fetch(`${api}/api/drift/runs?monitorId=${monitorId}`);
      return ((await res.json()) as { data: unknown[] }).data.length > 0;
    });
    // …and retention deletes calls older than its 7 days.
    await cluster.ingest('m-expired', 10 * 86_400_000, 1);
    await eventually('expired call deleted', async () => {
      const { rows } = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".calls WHERE model = 'm-expired'`,
      );
      return rows[0]?.n === '0';
    });
    expect(leaders()).toHaveLength(1);
  });

  it('leaves a notification cut off mid-send by the kill to the next leader, which resends it under the same key', {
    timeout: 120_000,
  }, async () => {
    const { schema, receiver, cluster } = await setup();
    const { leaders, ingest, notifications } = cluster;
    // The receiver takes the first request in and never answers it: the send is in flight.
    let held = false;
    receiver.respond(() => {
      if (held) return 204;
      held = true;
      return { status: 204, hang: true };
    });
    await ingest('cut');
    await eventually('the send reached the receiver', () => notifications().length === 1);
    const [leader] = leaders();
    leader!.child.kill('SIGKILL');
    await leader!.exited;
    await eventually('another replica leads', () => leaders().length === 1, TAKEOVER_LIMIT_MS);
    // Once the dead leader's lease (3 s here) expires, the new leader sends it again.
    await eventually('resent', () => notifications().length === 2);
    await eventually('outbox drained', async () => (await cluster.undelivered()) === 0);

    const [first, second] = notifications();
    expect(second!.key).toBe(first!.key);
    expect(second!.body).toEqual(first!.body);
    expect(new Set(notifications().map((n) => n.body.id)).size).toBe(1);
    expect(await cluster.transitions()).toEqual([['cut', 1]]);
    const outbox = await adminQuery<{ status: string; notification_id: string }>(
      `SELECT status, notification_id FROM "${schema}".alert_outbox`,
    );
    expect(outbox.rows).toEqual([{ status: 'delivered', notification_id: first!.key }]);
  });
});
