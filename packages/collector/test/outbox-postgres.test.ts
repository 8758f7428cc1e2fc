import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertNotification, buildNotification } from '../src/alerts/notification.js';
import { Outbox, outboxEntryId } from '../src/alerts/outbox.js';
import { PostgresOutboxStore } from '../src/alerts/postgres-outbox-store.js';
import { alertRuleSchema } from '../src/alerts/rule.js';
import type { AlertSink } from '../src/alerts/sinks/types.js';
import { createWebhookSink } from '../src/alerts/sinks/webhook.js';
import { createTargetPolicy } from '../src/alerts/ssrf.js';
import { initialAlertState, nextAlertState } from '../src/alerts/state.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/alerts/test-receiver.js';

/** The local test database (trust auth); CI runs the same. */
const DATABASE_URL =
  process.env.PILOTLIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'pg-outbox-secret-0123456789';
const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
const policy = createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] });

function notification(i: number): AlertNotification {
  const rule = alertRuleSchema.parse({
    id: `rule-${i}`,
    projectId: 'default',
    metric: 'calls',
    windowSec: 60,
    comparator: '<',
    threshold: 1,
    sinks: ['oncall'],
  });
  const { transition } = nextAlertState(
    rule,
    initialAlertState(rule.id, '', T0),
    { ruleId: rule.id, group: '', value: 0, calls: 0, windowStartMs: T0 - 60_000, windowEndMs: T0 },
    T0,
  );
  return buildNotification(rule, transition!);
}

describe('PostgresOutboxStore', () => {
  const schema = `pl_outbox_${randomBytes(5).toString('hex')}`;
  const pools: pg.Pool[] = [];
  let receiver: WebhookReceiver;
  let clock = T0;
  const now = () => clock;

  const pool = () => {
    const p = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    pools.push(p);
    return p;
  };
  const sinks = (): Map<string, AlertSink> =>
    new Map([
      [
        'oncall',
        createWebhookSink({
          name: 'oncall',
          url: `${receiver.origin}/hook`,
          secret: SECRET,
          policy,
          now,
        }),
      ],
    ]);

  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET, now });
  });
  afterAll(async () => {
    await receiver.stop();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await Promise.all(pools.map((p) => p.end()));
  });

  it('creates its table once when several replicas start together', async () => {
    const stores = await Promise.all(
      [1, 2, 3].map(() => PostgresOutboxStore.open(pool(), { schema })),
    );
    expect(stores).toHaveLength(3);
  });

  it('delivers once across a receiver outage and a restart, with the same key', async () => {
    const n = notification(0);
    const id = outboxEntryId(n.id, 'oncall');
    await receiver.stop();
    let p = pool();
    let box = new Outbox(await PostgresOutboxStore.open(p, { schema }), {
      sinks: sinks(),
      now,
      random: () => 0.5,
    });
    expect(await box.enqueue(n, ['oncall'])).toBe(1);
    expect(await box.enqueue(n, ['oncall'])).toBe(0);
    expect(await box.deliverDue()).toMatchObject({ retried: 1 });
    const store = await PostgresOutboxStore.open(pool(), { schema });
    const pending = (await store.get(id))!;
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, createdAtMs: T0 });
    expect(pending.lastError).toContain('ECONNREFUSED');

    // Restart: a new pool and outbox; the receiver is back.
    await p.end();
    pools.splice(pools.indexOf(p), 1);
    await receiver.restart();
    p = pool();
    box = new Outbox(await PostgresOutboxStore.open(p, { schema }), { sinks: sinks(), now });
    clock = pending.nextAttemptAtMs;
    expect(await box.deliverDue()).toMatchObject({ delivered: 1 });
    clock += 86_400_000;
    expect(await box.deliverDue()).toMatchObject({ attempted: 0 });
    expect(receiver.requests.map((r) => [r.headers['idempotency-key'], r.signatureValid])).toEqual([
      [n.id, true],
    ]);
    expect(await store.get(id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('three replicas draining one outbox concurrently deliver each notification exactly once', async () => {
    receiver.requests.length = 0;
    clock = T0 + 2 * 86_400_000;
    const replicas = await Promise.all(
      ['a', 'b', 'c'].map(
        async (owner) =>
          new Outbox(await PostgresOutboxStore.open(pool(), { schema }), {
            sinks: sinks(),
            now,
            owner,
            batchSize: 7,
          }),
      ),
    );
    const notifications = Array.from({ length: 40 }, (_, i) => notification(i + 1));
    for (const n of notifications) await replicas[0]!.enqueue(n, ['oncall']);
    let delivered = 0;
    for (let round = 0; round < 10 && delivered < notifications.length; round++) {
      const reports = await Promise.all(replicas.map((r) => r.deliverDue()));
      delivered += reports.reduce((s, r) => s + r.delivered, 0);
    }
    expect(delivered).toBe(40);
    const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(40);
    expect(new Set(keys)).toEqual(new Set(notifications.map((n) => n.id)));
  });
});
