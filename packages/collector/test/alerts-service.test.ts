import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import { alertRuleSchema, parseAlertsConfig } from '../src/alerts/rule.js';
import { Alerting, AlertRuleConflictError } from '../src/alerts/service.js';
import type { AlertLogRecord } from '../src/alerts/sinks/log.js';
import { SqliteAlertStore } from '../src/alerts/sqlite-alert-store.js';

const T0 = Date.UTC(2026, 10, 22, 4, 0, 0);

describe('Alerting', () => {
  it('evaluates file and API rules, stores states and delivers through configured sinks', async () => {
    const db = new Database(':memory:');
    const records: AlertLogRecord[] = [];
    let clock = T0;
    const config = parseAlertsConfig({
      dashboardUrl: 'https://pilotlight.example',
      sinks: { log: { type: 'log' } },
      rules: [
        {
          id: 'no-traffic',
          projectId: 'p',
          metric: 'calls',
          windowSec: 300,
          comparator: '<',
          threshold: 1,
          sinks: ['log'],
        },
      ],
    });
    const alerting = new Alerting({
      store: new SqliteAlertStore(db),
      sources: { rollups: createRollupReader(() => []) }, // no traffic at all
      config,
      now: () => clock,
      log: (r) => records.push(r),
    });
    const apiRule = alertRuleSchema.parse({
      id: 'no-cost',
      projectId: 'p',
      metric: 'cost',
      windowSec: 3600,
      comparator: '<=',
      threshold: 0,
      forSec: 0,
      sinks: ['log'],
    });
    expect(await alerting.putRule(apiRule)).toEqual({ created: true });
    await expect(alerting.putRule({ ...apiRule, id: 'no-traffic' })).rejects.toBeInstanceOf(
      AlertRuleConflictError,
    );
    await expect(alerting.deleteRule('no-traffic')).rejects.toThrow(/config file/);
    expect(alerting.sinkIssues({ sinks: ['log', 'pager'] })).toEqual([
      { path: 'sinks.1', message: 'unknown sink "pager" (configured: log)' },
    ]);
    expect((await alerting.rules('p')).map((r) => [r.id, r.source])).toEqual([
      ['no-traffic', 'file'],
      ['no-cost', 'api'],
    ]);

    const results = await alerting.evaluate();
    expect(results.map((r) => [r.ruleId, r.transitions.map((t) => t.to)])).toEqual([
      ['no-traffic', ['firing']],
      ['no-cost', ['firing']],
    ]);
    expect(records).toEqual([]); // stored, not yet sent
    expect(await alerting.deliver()).toMatchObject({ delivered: 2 });
    expect(records.map((r) => [r.ruleId, r.event]).sort()).toEqual([
      ['no-cost', 'alert.firing'],
      ['no-traffic', 'alert.firing'],
    ]);
    expect(records.find((r) => r.ruleId === 'no-traffic')!.msg).toContain(
      'https://pilotlight.example/alerts/no-traffic',
    );

    // Evaluating again changes nothing and sends nothing.
    clock += 60_000;
    expect((await alerting.evaluate()).flatMap((r) => r.transitions)).toEqual([]);
    expect(await alerting.deliver()).toMatchObject({ attempted: 0 });

    expect((await alerting.current('p', ['firing'])).map((s) => s.ruleId).sort()).toEqual([
      'no-cost',
      'no-traffic',
    ]);
    expect(await alerting.history({ projectId: 'p', limit: 10 })).toHaveLength(2);
    expect(await alerting.deleteRule('no-cost')).toBe(true);
    expect((await alerting.current('p')).map((s) => s.ruleId)).toEqual(['no-traffic']);
    alerting.start();
    alerting.start();
    alerting.stop();
    alerting.stop();
    db.close();
  });
});
