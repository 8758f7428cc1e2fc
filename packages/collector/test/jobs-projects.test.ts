// The jobs evaluate the rules and monitors of every project, not only `default`, on both
// engines, through the same openDriftAndAlerts the collector starts with.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertsConfig } from '../src/alerts/rule.js';
import { driftMonitorSchema } from '../src/drift/monitor.js';
import { type DriftAndAlerts, openDriftAndAlerts } from '../src/drift/wiring.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { ReadSideStore, SpanStore } from '../src/store/store.js';
import { traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';
import { openTestStore } from './postgres-fixture.js';

const MIN = 60_000;

interface Engine {
  store: SpanStore & ReadSideStore;
  jobs: DriftAndAlerts;
  destroy(): Promise<void>;
}

const config = parseAlertsConfig({
  sinks: { log: { type: 'log' } },
  rules: ['default', 'acme'].map((projectId) => ({
    id: `busy-${projectId}`,
    projectId,
    metric: 'calls',
    comparator: '>',
    threshold: 10,
    windowSec: 600,
    sinks: ['log'],
  })),
});

const engines: Record<string, (now: () => number) => Promise<Engine>> = {
  SQLite: async (now) => {
    const tmp = tempDir('pilotlight-jobs-projects-');
    const store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    const jobs = openDriftAndAlerts({
      dbPath: store.path,
      store,
      projectId: 'default',
      config,
      log: () => undefined,
      now,
    });
    return {
      store,
      jobs,
      destroy: async () => {
        jobs.close();
        await store.close();
        tmp.remove();
      },
    };
  },
  PostgreSQL: async (now) => {
    const t = await openTestStore();
    const jobs = await openDriftAndAlerts({
      postgres: { pool: t.store.pool, schema: t.schema },
      store: t.store,
      projectId: 'default',
      config,
      log: () => undefined,
      now,
    });
    return {
      store: t.store,
      jobs,
      destroy: async () => {
        jobs.close();
        await t.destroy();
      },
    };
  },
};

describe.each(Object.keys(engines))('background jobs of every project: %s', (engine) => {
  let opened: Engine | undefined;
  afterEach(async () => {
    await opened?.destroy();
  });

  it('evaluates the alert rules and runs the drift monitors of each project', async () => {
    const clock = Date.UTC(2026, 10, 4, 12, 0);
    opened = await engines[engine]!(() => clock);
    const { store, jobs } = opened;
    const calls = (count: number, seed: number, fromMs: number) =>
      traffic({
        fromMs,
        toMs: fromMs + 5 * MIN,
        count,
        seed,
        latencyMs: 300,
        confidence: 0.9,
        models: ['gpt-4o-mini'],
      });
    // Busy in acme and beta, quiet in default.
    await store.insertCalls('acme', calls(50, 1, clock - 6 * MIN));
    await store.insertCalls('beta', [
      ...calls(50, 2, clock - 11 * MIN),
      ...calls(50, 3, clock - 6 * MIN),
    ]);
    await store.insertCalls('default', calls(3, 4, clock - 6 * MIN));
    // A rule created through the API for a third project.
    await jobs.alerting.putRule({
      ...config.rules[0]!,
      id: 'busy-beta',
      projectId: 'beta',
    });

    const results = await jobs.alerting.evaluate();
    expect(results.map((r) => [r.ruleId, r.transitions.map((t) => t.to), r.error]).sort()).toEqual([
      ['busy-acme', ['firing'], undefined],
      ['busy-beta', ['firing'], undefined],
      ['busy-default', [], undefined],
    ]);
    expect((await jobs.alerting.current('acme')).map((s) => [s.ruleId, s.status])).toEqual([
      ['busy-acme', 'firing'],
    ]);
    expect((await jobs.alerting.current('beta')).map((s) => s.status)).toEqual(['firing']);
    expect(await jobs.alerting.current('default')).toEqual([
      expect.objectContaining({ ruleId: 'busy-default', status: 'ok' }),
    ]);

    for (const projectId of ['acme', 'beta']) {
      await jobs.monitors.put(
        driftMonitorSchema.parse({
          id: `lat-${projectId}`,
          projectId,
          feature: 'latency',
          currentWindow: { windowSec: 300 },
          referenceWindow: { type: 'previous' },
          minSamples: 10,
        }),
      );
    }
    const runs = await jobs.monitors.runDue();
    // The current window is the last 5 minutes: 4 of the 5 minutes of the latest calls.
    expect(runs.map((r) => [r.monitorId, r.projectId, r.current.total]).sort()).toEqual([
      ['lat-acme', 'acme', 40],
      ['lat-beta', 'beta', 40],
    ]);
    // The drift store answers the drift rule for each project apart.
    expect(await jobs.monitors.store.latestRun('beta', 'lat-acme', 0, clock + 1)).toBeNull();
  });
});
