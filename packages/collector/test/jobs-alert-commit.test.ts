// Two evaluators of the same rule at once (two replicas overlapping for a moment during a
// leader handover, or a second process on the same SQLite file) record one transition and
// one notification, never two: a commit applies only on the states it started from.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertsConfig } from '../src/alerts/rule.js';
import { type DriftAndAlerts, openDriftAndAlerts } from '../src/drift/wiring.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { ReadSideStore, SpanStore } from '../src/store/store.js';
import { traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';
import { adminQuery, openTestStore } from './postgres-fixture.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 4, 12, 0);

const config = parseAlertsConfig({
  sinks: { log: { type: 'log' } },
  rules: [
    {
      id: 'busy',
      projectId: 'default',
      metric: 'calls',
      comparator: '>',
      threshold: 0,
      windowSec: 600,
      groupBy: 'model',
      sinks: ['log'],
    },
  ],
});

interface Replicas {
  store: SpanStore & ReadSideStore;
  /** Two evaluators over the same database, whose clocks are a second apart. */
  a: DriftAndAlerts;
  b: DriftAndAlerts;
  /** The groups of the notifications in the outbox table. */
  outboxGroups(): Promise<string[]>;
  destroy(): Promise<void>;
}

const engines: Record<string, () => Promise<Replicas>> = {
  SQLite: async () => {
    const tmp = tempDir('pilotlight-alert-commit-');
    const store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    const open = (offsetMs: number) =>
      openDriftAndAlerts({
        dbPath: store.path,
        store,
        projectId: 'default',
        config,
        log: () => undefined,
        now: () => T + offsetMs,
      });
    const a = open(0);
    const b = open(1000);
    return {
      store,
      a,
      b,
      outboxGroups: async () => {
        const db = new Database(store.path, { readonly: true });
        try {
          const rows = db.prepare('SELECT payload FROM alert_outbox').all() as {
            payload: string;
          }[];
          return rows.map((row) => (JSON.parse(row.payload) as { group: string }).group);
        } finally {
          db.close();
        }
      },
      destroy: async () => {
        a.close();
        b.close();
        await store.close();
        tmp.remove();
      },
    };
  },
  PostgreSQL: async () => {
    const t = await openTestStore();
    const open = (offsetMs: number) =>
      openDriftAndAlerts({
        postgres: { pool: t.store.pool, schema: t.schema },
        store: t.store,
        projectId: 'default',
        config,
        log: () => undefined,
        now: () => T + offsetMs,
      });
    const a = await open(0);
    const b = await open(1000);
    return {
      store: t.store,
      a,
      b,
      outboxGroups: async () =>
        (
          await adminQuery<{ payload: string }>(`SELECT payload FROM "${t.schema}".alert_outbox`)
        ).rows.map((row) => (JSON.parse(row.payload) as { group: string }).group),
      destroy: t.destroy,
    };
  },
};

describe.each(Object.keys(engines))('concurrent evaluations of one rule: %s', (engine) => {
  let r: Replicas | undefined;
  afterEach(async () => {
    await r?.destroy();
  });

  it('record each transition and notification once', async () => {
    r = await engines[engine]!();
    const { store, a, b } = r;
    const models = ['m1', 'm2', 'm3'];
    for (let round = 0; round < models.length; round++) {
      // A new group starts breaching, and both evaluators run at once.
      await store.insertCalls(
        'default',
        traffic({
          fromMs: T - 5 * MIN,
          toMs: T - 4 * MIN,
          count: 5,
          seed: round,
          latencyMs: 100,
          confidence: 0.9,
          models: [models[round]!],
        }),
      );
      const [ra, rb] = await Promise.all([a.alerting.evaluate(), b.alerting.evaluate()]);
      const fired = [...ra, ...rb].flatMap((x) => x.transitions.map((t) => t.group));
      expect(fired).toEqual([models[round]]);
      // The loser, if the two overlapped, reports the conflict instead of a transition.
      for (const x of [...ra, ...rb]) {
        if (x.error !== undefined) expect(x.error).toMatch(/evaluated concurrently/);
      }
    }
    const history = await a.alerting.history({ projectId: 'default', limit: 100 });
    expect(history.map((h) => h.transition.group).sort()).toEqual(models);
    expect((await r.outboxGroups()).sort()).toEqual(models);
  });
});
