import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../src/alerts/outbox.js';
import { PostgresOutboxStore } from '../src/alerts/postgres-outbox-store.js';
import type { AlertSink, DeliveryContext, DeliveryOutcome } from '../src/alerts/sinks/types.js';
import { openTestStore } from './postgres-fixture.js';

/** A sink that records every send (by idempotency key) and answers with `outcome`. */
function recordingSink(
  name: string,
  outcome: (ctx: DeliveryContext) => Promise<DeliveryOutcome> = async () => ({ status: 'success' }),
) {
  const sends: string[] = [];
  const sink: AlertSink = {
    name,
    type: 'webhook',
    async send(_notification, ctx) {
      sends.push(ctx.idempotencyKey);
      return outcome(ctx);
    },
  };
  return { sink, sends };
}

const entry = (i: number, createdAtMs = 1_000) => ({
  id: `n${i}/hook`,
  notificationId: `n${i}`,
  sink: 'hook',
  payload: JSON.stringify({ id: `n${i}` }),
  createdAtMs,
});

describe('PostgresOutboxStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  /** `n` replicas sharing one schema, each with its own pool. */
  const replicas = async (n: number) => {
    const first = await openTestStore({ poolSize: 3 });
    cleanups.push(first.destroy);
    const stores = [first.store];
    for (let i = 1; i < n; i++) {
      const other = await openTestStore({ poolSize: 3, schema: first.schema });
      cleanups.push(() => other.store.close());
      stores.push(other.store);
    }
    return Promise.all(stores.map((s) => PostgresOutboxStore.open(s.pool, { schema: s.schema })));
  };

  it('stores an entry once however often it is enqueued', async () => {
    const [store] = await replicas(1);
    expect(await store!.enqueue([entry(1), entry(2)])).toBe(2);
    expect(await store!.enqueue([entry(2), entry(3)])).toBe(1);
    expect(await store!.enqueue([])).toBe(0);
    expect((await store!.list()).map((e) => e.id).sort()).toEqual([
      'n1/hook',
      'n2/hook',
      'n3/hook',
    ]);
    expect(await store!.get('n2/hook')).toEqual({
      ...entry(2),
      status: 'pending',
      attempts: 0,
      nextAttemptAtMs: 1_000,
      lastError: null,
      deliveredAtMs: null,
    });
    expect(await store!.get('missing')).toBeNull();
  });

  it('delivers every notification exactly once with three replicas delivering concurrently', async () => {
    const stores = await replicas(3);
    await stores[0]!.enqueue(Array.from({ length: 90 }, (_, i) => entry(i)));
    const { sink, sends } = recordingSink('hook');
    const outboxes = stores.map(
      (s, i) =>
        new Outbox(s, {
          sinks: new Map([['hook', sink]]),
          owner: `replica-${i}`,
          batchSize: 7,
          now: () => 2_000,
        }),
    );
    const reports = await Promise.all(
      outboxes.map(async (o) => {
        let delivered = 0;
        for (;;) {
          const r = await o.deliverDue();
          if (r.attempted === 0) return delivered;
          delivered += r.delivered;
        }
      }),
    );
    expect(reports.reduce((a, b) => a + b, 0)).toBe(90);
    expect(sends).toHaveLength(90);
    expect(new Set(sends).size).toBe(90);
    const all = await stores[1]!.list({ limit: 1000 });
    expect(all.every((e) => e.status === 'delivered' && e.attempts === 1)).toBe(true);
  });

  it('lets another replica take over an entry whose worker died mid-send, and ignores the late worker', async () => {
    const [a, b] = await replicas(2);
    await a!.enqueue([entry(1)]);
    let release: (o: DeliveryOutcome) => void = () => undefined;
    const hanging = recordingSink('hook', () => new Promise((resolve) => (release = resolve)));
    const outboxA = new Outbox(a!, {
      sinks: new Map([['hook', hanging.sink]]),
      owner: 'a',
      leaseMs: 5_000,
      now: () => 2_000,
    });
    const stuck = outboxA.deliverDue(); // a sends, then "dies" before recording the outcome
    await expect.poll(() => hanging.sends.length).toBe(1);

    const healthy = recordingSink('hook');
    let nowB = 3_000;
    const outboxB = new Outbox(b!, {
      sinks: new Map([['hook', healthy.sink]]),
      owner: 'b',
      now: () => nowB,
    });
    expect((await outboxB.deliverDue()).attempted).toBe(0); // a's lease still holds
    nowB = 8_000; // a's lease (until 7 000) expired
    expect(await outboxB.deliverDue()).toMatchObject({ attempted: 1, delivered: 1 });

    release({ status: 'retryable', reason: 'late answer' });
    await stuck;
    const stored = await b!.get('n1/hook');
    expect(stored).toMatchObject({
      status: 'delivered',
      attempts: 1,
      deliveredAtMs: 8_000,
      lastError: null,
    });
    // Both sends carried the same idempotency key, so the receiver can drop the second.
    expect([...hanging.sends, ...healthy.sends]).toEqual(['n1', 'n1']);
  });

  it('reschedules a retryable failure and records a permanent one', async () => {
    const [store] = await replicas(1);
    await store!.enqueue([entry(1), { ...entry(2), sink: 'gone', id: 'n2/gone' }]);
    let answer: DeliveryOutcome = {
      status: 'retryable',
      reason: '503 from receiver',
      retryAfterMs: 30_000,
    };
    const { sink } = recordingSink('hook', async () => answer);
    let now = 2_000;
    const outbox = new Outbox(store!, {
      sinks: new Map([['hook', sink]]),
      owner: 'r',
      now: () => now,
      random: () => 0,
    });
    expect(await outbox.deliverDue()).toMatchObject({ attempted: 2, retried: 1, failed: 1 });
    expect(await store!.get('n1/hook')).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAtMs: 32_000,
      lastError: '503 from receiver',
    });
    expect(await store!.get('n2/gone')).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await outbox.deliverDue()).attempted).toBe(0); // not due yet
    now = 32_000;
    answer = { status: 'success' };
    expect(await outbox.deliverDue()).toMatchObject({ attempted: 1, delivered: 1 });
    expect((await store!.list({ status: 'delivered' })).map((e) => [e.id, e.attempts])).toEqual([
      ['n1/hook', 2],
    ]);
  });
});
