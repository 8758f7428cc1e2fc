import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import type { AlertNotification } from '../src/alerts/notification.js';
import { alertRuleSchema, parseAlertsConfig } from '../src/alerts/rule.js';
import { Alerting } from '../src/alerts/service.js';
import { SqliteAlertStore } from '../src/alerts/sqlite-alert-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/alerts/test-receiver.js';
import { driftMonitorSchema } from '../src/drift/monitor.js';
import { DriftMonitors } from '../src/drift/monitors.js';
import type { DriftRun } from '../src/drift/sqlite-drift-store.js';
import { SqliteDriftStore } from '../src/drift/sqlite-drift-store.js';
import { SqliteFeatureSource } from '../src/drift/sqlite-feature-source.js';
import { fromStoredRollupRow } from '../src/rollups/rollup.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';

const SECRET = 'drift-e2e-secret-0123456789';
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const NORMAL = { latencyMs: 400, confidence: 0.85, models: ['gpt-4o-mini', 'gpt-4o'] };
const SHIFTED = {
  latencyMs: 800,
  confidence: 0.65,
  models: ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'],
};

describe('drift monitors feeding drift alert rules', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('detects a latency, confidence and model shift, fires once per transition and resolves', async () => {
    const tmp = tempDir('pilotlight-drift-e2e-');
    cleanups.push(tmp.remove);
    const store: SqliteSpanStore = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    cleanups.push(() => store.close());
    // Reference hour, normal, then 60 minutes shifted, then normal again: 10 calls a minute.
    const periods: [number, number, typeof NORMAL][] = [
      [0, 90, NORMAL],
      [90, 150, SHIFTED],
      [150, 200, NORMAL],
    ];
    for (const [i, [from, to, shape]] of periods.entries()) {
      await store.insertCalls(
        'default',
        traffic({
          fromMs: T0 + from * MIN,
          toMs: T0 + to * MIN,
          count: (to - from) * 10,
          seed: i + 1,
          ...shape,
        }),
      );
    }

    let clock = T0;
    const now = () => clock;
    const db = new Database(store.path);
    const reader = new Database(store.path, { readonly: true });
    cleanups.push(() => {
      db.close();
      reader.close();
    });
    const driftStore = new SqliteDriftStore(db);
    const monitors = new DriftMonitors({
      store: driftStore,
      features: new SqliteFeatureSource(reader),
      now,
    });
    const common = {
      projectId: 'default',
      referenceWindow: {
        type: 'fixed',
        from: new Date(T0).toISOString(),
        to: new Date(T0 + 60 * MIN).toISOString(),
      },
      currentWindow: { windowSec: 600 },
      schedule: { everySec: 600 },
      minSamples: 50,
    } as const;
    // Thresholds sit well above the noise of a 100-call window against a 600-call reference
    // (PSI up to ~0.4, JS up to ~0.1 here) and well below the shift (PSI ~11, JS ~0.3).
    const specs = [
      { id: 'latency', feature: 'latency', method: 'psi', threshold: 1, rule: 1 },
      { id: 'confidence', feature: 'confidence', method: 'ks', threshold: 0.01, rule: 0.3 },
      { id: 'model', feature: 'model', method: 'js', threshold: 0.2, rule: 0.2 },
    ] as const;
    for (const s of specs) {
      await monitors.put(
        driftMonitorSchema.parse({
          ...common,
          id: s.id,
          feature: s.feature,
          method: s.method,
          threshold: s.threshold,
        }),
      );
    }

    const receiver: WebhookReceiver = await startWebhookReceiver({ secret: SECRET, now });
    cleanups.push(() => receiver.stop());
    const alerting = new Alerting({
      store: new SqliteAlertStore(db),
      sources: {
        rollups: createRollupReader(async (p, ranges) =>
          (await store.readRollups(p, ranges)).map(fromStoredRollupRow),
        ),
        drift: driftStore,
      },
      config: parseAlertsConfig({
        network: { allowHttp: true, allow: ['127.0.0.1'] },
        sinks: { oncall: { type: 'webhook', url: `${receiver.origin}/hook`, secret: SECRET } },
      }),
      now,
    });
    for (const s of specs) {
      await alerting.putRule(
        alertRuleSchema.parse({
          id: `drift-${s.id}`,
          projectId: 'default',
          metric: 'drift',
          monitorId: s.id,
          windowSec: 900,
          comparator: '>=',
          threshold: s.rule,
          minCalls: 50,
          forSec: 600,
          notifyPending: true,
          sinks: ['oncall'],
        }),
      );
    }

    // The jobs, every 5 minutes from T0+60 to T0+180.
    const runs: DriftRun[] = [];
    for (let t = 60; t <= 180; t += 5) {
      clock = T0 + t * MIN;
      runs.push(...(await monitors.runDue()));
      await alerting.evaluate();
      await alerting.deliver();
    }

    // Each monitor ran every 10 minutes and flagged exactly the runs whose window was shifted.
    for (const s of specs) {
      const mine = runs.filter((r) => r.monitorId === s.id);
      expect(mine.map((r) => (r.ranAtMs - T0) / MIN)).toEqual([
        60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180,
      ]);
      const flagged = mine.filter((r) => r.drifted).map((r) => (r.ranAtMs - T0) / MIN);
      // The run at 100 is the first whose window [90, 100) holds shifted calls only.
      expect(flagged, s.id).toEqual([100, 110, 120, 130, 140, 150]);
      expect(mine.every((r) => r.status === 'ok' && r.method === s.method)).toBe(true);
      expect(mine.every((r) => r.current.size === 100 && r.reference.size === 600)).toBe(true);
    }

    // One signed notification per notified transition of each rule: pending, firing, resolved.
    expect(receiver.requests.every((r) => r.signatureValid === true)).toBe(true);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as AlertNotification);
    const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length);
    for (const s of specs) {
      const mine = bodies.filter((b) => b.rule.id === `drift-${s.id}`);
      expect(
        mine.map((b) => [b.event, b.status, (Date.parse(b.occurredAt) - T0) / MIN]),
        s.id,
      ).toEqual([
        ['alert.pending', 'pending', 105],
        ['alert.firing', 'firing', 115],
        ['alert.resolved', 'resolved', 165],
      ]);
      const firing = mine[1]!;
      expect(firing.value).toBeGreaterThanOrEqual(s.rule);
      expect(firing.threshold).toBe(s.rule);
    }
    expect(receiver.requests).toHaveLength(9);
    expect((await alerting.current('default')).map((a) => a.status)).toEqual(['ok', 'ok', 'ok']);
  });
});
