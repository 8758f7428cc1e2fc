import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlertNotification, buildNotification } from '../src/alerts/notification.js';
import { backoffDelayMs, Outbox, type OutboxOptions, outboxEntryId } from '../src/alerts/outbox.js';
import { alertRuleSchema } from '../src/alerts/rule.js';
import { type AlertLogRecord, createLogSink } from '../src/alerts/sinks/log.js';
import type { AlertSink } from '../src/alerts/sinks/types.js';
import { createWebhookSink } from '../src/alerts/sinks/webhook.js';
import { SqliteOutboxStore } from '../src/alerts/sqlite-outbox-store.js';
import { createTargetPolicy } from '../src/alerts/ssrf.js';
import { initialAlertState, nextAlertState } from '../src/alerts/state.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/alerts/test-receiver.js';

const SECRET = 'outbox-secret-0123456789';
const T0 = Date.UTC(2026, 10, 22, 2, 0, 0);
const policy = createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] });

const rule = alertRuleSchema.parse({
  id: 'errors',
  projectId: 'default',
  metric: 'error_rate',
  windowSec: 300,
  comparator: '>',
  threshold: 0.05,
  sinks: ['oncall'],
});

function firingNotification(atMs: number): AlertNotification {
  const { transition } = nextAlertState(
    rule,
    initialAlertState(rule.id, '', atMs - 60_000),
    {
      ruleId: rule.id,
      group: '',
      value: 0.2,
      calls: 500,
      windowStartMs: atMs - 300_000,
      windowEndMs: atMs,
    },
    atMs,
  );
  return buildNotification(rule, transition!);
}

const dir = mkdtempSync(join(tmpdir(), 'pilotlight-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the database file the way the collector does (WAL, full sync). */
function open(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

describe('Outbox with SQLite', () => {
  let clock = T0;
  const now = () => clock;
  let receiver: WebhookReceiver;
  let file: string;
  const handles: Database.Database[] = [];
  let n = 0;

  beforeEach(async () => {
    clock = T0;
    file = join(dir, `outbox-${++n}.db`);
    receiver = await startWebhookReceiver({ secret: SECRET, now });
  });
  afterEach(async () => {
    for (const db of handles.splice(0)) if (db.open) db.close();
    await receiver.stop();
  });

  function outbox(db: Database.Database, extra: Partial<OutboxOptions> = {}) {
    const sinks = new Map<string, AlertSink>([
      [
        'oncall',
        createWebhookSink({
          name: 'oncall',
          url: `${receiver.origin}/hook`,
          secret: SECRET,
          policy,
          now,
          timeoutMs: 2_000,
        }),
      ],
    ]);
    return new Outbox(new SqliteOutboxStore(db), { sinks, now, random: () => 0.5, ...extra });
  }
  function openDb(): Database.Database {
    const db = open(file);
    handles.push(db);
    return db;
  }

  it('stores before sending, retries while the receiver is down, survives a restart, delivers once', async () => {
    await receiver.stop(); // the receiver is down
    let db = openDb();
    let box = outbox(db);
    const notification = firingNotification(T0);
    expect(await box.enqueue(notification, ['oncall'])).toBe(1);
    expect(await box.enqueue(notification, ['oncall'])).toBe(0); // same notification: stored once
    const id = outboxEntryId(notification.id, 'oncall');
    const store = () => new SqliteOutboxStore(db);
    expect(await store().get(id)).toMatchObject({ status: 'pending', attempts: 0 });

    // Down: connection refused → retried with backoff.
    expect(await box.deliverDue()).toEqual({ attempted: 1, delivered: 0, retried: 1, failed: 0 });
    const afterFirst = (await store().get(id))!;
    expect(afterFirst).toMatchObject({ status: 'pending', attempts: 1 });
    expect(afterFirst.lastError).toContain('ECONNREFUSED');
    expect(afterFirst.nextAttemptAtMs).toBe(T0 + backoffDelayMs(1, 0.5));
    expect(await box.deliverDue()).toMatchObject({ attempted: 0 }); // not due yet

    clock = afterFirst.nextAttemptAtMs;
    expect(await box.deliverDue()).toMatchObject({ retried: 1 });

    // Up, but answering 503: still retried.
    await receiver.restart();
    receiver.respond(() => 503);
    clock = (await store().get(id))!.nextAttemptAtMs;
    expect(await box.deliverDue()).toMatchObject({ retried: 1 });
    expect((await store().get(id))!.attempts).toBe(3);

    // The collector restarts: close the database, open it again, new outbox.
    db.close();
    db = openDb();
    box = outbox(db);
    receiver.respond(() => 204);
    clock = (await store().get(id))!.nextAttemptAtMs;
    expect(await box.deliverDue()).toEqual({ attempted: 1, delivered: 1, retried: 0, failed: 0 });
    expect(await store().get(id)).toMatchObject({
      status: 'delivered',
      attempts: 4,
      deliveredAtMs: clock,
      lastError: null,
    });

    // Nothing more is sent, however long we wait.
    for (const later of [1_000, 60_000, 86_400_000]) {
      clock += later;
      expect(await box.deliverDue()).toMatchObject({ attempted: 0 });
    }
    // The receiver saw the 503 attempt and the delivery: same key, same bytes, valid signatures.
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([
      notification.id,
      notification.id,
    ]);
    expect(receiver.requests.every((r) => r.signatureValid === true)).toBe(true);
    expect(receiver.requests[0]!.body).toBe(receiver.requests[1]!.body);
    expect(JSON.parse(receiver.requests[1]!.body)).toEqual(notification);
  });

  it('retries an entry whose worker died mid-send once its lease expires, with the same key', async () => {
    let db = openDb();
    const notification = firingNotification(T0);
    await outbox(db).enqueue(notification, ['oncall']);
    // A worker claims it and dies before recording the outcome.
    const claimed = await new SqliteOutboxStore(db).claimDue(T0, 10, 'dead-worker', T0 + 60_000);
    expect(claimed.map((e) => e.notificationId)).toEqual([notification.id]);
    db.close();

    db = openDb();
    const box = outbox(db, { owner: 'survivor' });
    expect(await box.deliverDue()).toMatchObject({ attempted: 0 }); // still leased
    clock = T0 + 60_000;
    expect(await box.deliverDue()).toMatchObject({ delivered: 1 });
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([notification.id]);
    // The dead worker's late outcome is ignored: it no longer holds the lease.
    const late = new SqliteOutboxStore(db);
    expect(await late.markRetry(claimed[0]!.id, 'dead-worker', 1, T0, 'late')).toBe(false);
    expect((await late.get(claimed[0]!.id))!.status).toBe('delivered');
  });

  it('never leases one entry to two workers sharing the database file', async () => {
    const a = new SqliteOutboxStore(openDb());
    const b = new SqliteOutboxStore(openDb());
    const notification = firingNotification(T0);
    await outbox(openDb()).enqueue(notification, ['oncall']);
    const [byA, byB] = [
      await a.claimDue(T0, 10, 'a', T0 + 30_000),
      await b.claimDue(T0, 10, 'b', T0 + 30_000),
    ];
    expect(byA).toHaveLength(1);
    expect(byB).toHaveLength(0);
  });

  it('fails at once on a 4xx, a refused target or an unknown sink, without retrying', async () => {
    const db = openDb();
    receiver.respond(() => 410);
    const records: AlertLogRecord[] = [];
    const sinks = new Map<string, AlertSink>([
      [
        'oncall',
        createWebhookSink({ name: 'oncall', url: `${receiver.origin}/hook`, policy, now }),
      ],
      [
        'internal',
        createWebhookSink({ name: 'internal', url: 'https://10.0.0.1/hook', policy, now }),
      ],
      ['log', createLogSink('log', (r) => records.push(r))],
    ]);
    const box = new Outbox(new SqliteOutboxStore(db), { sinks, now });
    const notification = firingNotification(T0);
    expect(await box.enqueue(notification, ['oncall', 'internal', 'log', 'gone'])).toBe(4);
    expect(await box.deliverDue()).toEqual({ attempted: 4, delivered: 1, retried: 0, failed: 3 });
    const entries = await new SqliteOutboxStore(db).list();
    const byName = Object.fromEntries(entries.map((e) => [e.sink, [e.status, e.lastError]]));
    expect(byName).toEqual({
      oncall: ['failed', 'HTTP 410'],
      internal: ['failed', expect.stringContaining('private address')],
      log: ['delivered', null],
      gone: ['failed', 'sink "gone" is not configured'],
    });
    expect(records).toHaveLength(1);
    clock += 3_600_000;
    expect(await box.deliverDue()).toMatchObject({ attempted: 0 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('honours Retry-After and gives up after maxAttempts', async () => {
    const db = openDb();
    receiver.respond(() => ({ status: 503, headers: { 'retry-after': '120' } }));
    const box = outbox(db, { maxAttempts: 3 });
    const notification = firingNotification(T0);
    await box.enqueue(notification, ['oncall']);
    const id = outboxEntryId(notification.id, 'oncall');
    const store = new SqliteOutboxStore(db);
    await box.deliverDue();
    expect((await store.get(id))!.nextAttemptAtMs).toBe(T0 + 120_000);
    clock = T0 + 120_000;
    await box.deliverDue();
    clock += 120_000;
    expect(await box.deliverDue()).toMatchObject({ failed: 1 });
    expect(await store.get(id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'gave up after 3 attempts: HTTP 503',
    });
    expect(receiver.requests).toHaveLength(3);
  });

  it('gives up an entry older than maxAgeMs', async () => {
    const db = openDb();
    await receiver.stop();
    const box = outbox(db, { maxAgeMs: 10_000, baseDelayMs: 4_000 });
    const notification = firingNotification(T0);
    await box.enqueue(notification, ['oncall']);
    const reports = [];
    for (let i = 0; i < 5; i++) {
      reports.push(await box.deliverDue());
      clock += 8_000;
    }
    const entry = await new SqliteOutboxStore(db).get(outboxEntryId(notification.id, 'oncall'));
    expect(entry!.status).toBe('failed');
    expect(entry!.lastError).toMatch(/^gave up after \d attempts: network error/);
    expect(reports.reduce((s, r) => s + r.attempted, 0)).toBe(entry!.attempts);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base delay, with half of it jittered, up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(30, 1)).toBe(300_000);
    expect(backoffDelayMs(30, 0)).toBe(150_000);
  });
});
