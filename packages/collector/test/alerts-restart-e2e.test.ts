// Issue 7: an alert fires while the webhook receiver is down, the collector restarts (its
// stores and alerting closed and reopened on the same SQLite file), and the receiver comes
// back: the notification arrives exactly once, signed, with the idempotency key it was
// given before the restart.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import type { AlertNotification } from '../src/alerts/notification.js';
import { alertRuleSchema, parseAlertsConfig } from '../src/alerts/rule.js';
import { Alerting } from '../src/alerts/service.js';
import { SqliteAlertStore } from '../src/alerts/sqlite-alert-store.js';
import { startWebhookReceiver } from '../src/alerts/test-receiver.js';
import { fromStoredRollupRow } from '../src/rollups/rollup.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';

const SECRET = 'restart-e2e-secret-0123456789';
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

/** One collector lifetime: the span store and alerting over the same SQLite file. */
function openCollector(file: string, hookUrl: string, now: () => number) {
  const store: SqliteSpanStore = openSqliteStore({ path: file });
  const db = new Database(file);
  const alertStore = new SqliteAlertStore(db);
  const alerting = new Alerting({
    store: alertStore,
    sources: {
      rollups: createRollupReader(async (p, ranges) =>
        (await store.readRollups(p, ranges)).map(fromStoredRollupRow),
      ),
    },
    config: parseAlertsConfig({
      network: { allowHttp: true, allow: ['127.0.0.1'] },
      sinks: { oncall: { type: 'webhook', url: hookUrl, secret: SECRET } },
    }),
    now,
  });
  return {
    store,
    alertStore,
    alerting,
    async close() {
      db.close();
      await store.close();
    },
  };
}

describe('alert delivery across a receiver outage and a collector restart', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delivers the firing notification once the receiver is back, same key, exactly once', async () => {
    const tmp = tempDir('pilotlight-alert-restart-');
    cleanups.push(tmp.remove);
    const file = path.join(tmp.dir, 'pl.db');
    let clock = T0 + 30 * MIN;
    const now = () => clock;

    // The receiver's port is known, but nothing listens there while it is "down".
    const receiver = await startWebhookReceiver({ secret: SECRET, now });
    cleanups.push(() => receiver.stop());
    await receiver.stop();
    const hookUrl = `${receiver.origin}/hook`;

    // First lifetime: slow traffic, a latency rule fires, delivery fails (connection refused).
    let collector = openCollector(file, hookUrl, now);
    await collector.store.insertCalls(
      'default',
      traffic({
        fromMs: T0,
        toMs: T0 + 30 * MIN,
        count: 300,
        seed: 7,
        latencyMs: 2_000,
        confidence: 0.8,
        models: ['gpt-4o'],
      }),
    );
    await collector.alerting.putRule(
      alertRuleSchema.parse({
        id: 'slow-p95',
        projectId: 'default',
        metric: 'latency_p95',
        windowSec: 900,
        comparator: '>',
        threshold: 1_000,
        minCalls: 10,
        sinks: ['oncall'],
      }),
    );
    await collector.alerting.evaluate();
    await collector.alerting.deliver();
    expect(receiver.requests).toHaveLength(0);
    const pending = await collector.alertStore.outbox.list();
    expect(pending).toHaveLength(1);
    const key = pending[0]!.notificationId;
    await collector.close();

    // Second lifetime on the same file, later; the receiver is back.
    clock += 10 * MIN;
    await receiver.restart();
    collector = openCollector(file, hookUrl, now);
    cleanups.push(() => collector.close());
    await collector.alerting.deliver();
    clock += 10 * MIN;
    await collector.alerting.deliver();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.signatureValid).toBe(true);
    expect(request!.headers['idempotency-key']).toBe(key);
    const body = JSON.parse(request!.body) as AlertNotification;
    expect(body.event).toBe('alert.firing');
    expect(body.rule.id).toBe('slow-p95');
    expect(body.value).toBeGreaterThan(1_000);
  });
});
