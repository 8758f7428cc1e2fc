import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALERT_METRICS,
  AlertConfigError,
  loadAlertsConfig,
  parseAlertRule,
  parseAlertRuleInput,
} from '../src/alerts/rule.js';
import { createSinks } from '../src/alerts/sinks/index.js';

const valid = {
  id: 'p95-slow',
  projectId: 'default',
  metric: 'latency_p95',
  windowSec: 300,
  comparator: '>',
  threshold: 2000,
};

function issuesOf(input: unknown) {
  const r = parseAlertRule(input);
  if (r.ok) throw new Error('expected a validation failure');
  return r.issues;
}

describe('alert rule schema', () => {
  it('applies documented defaults', () => {
    const r = parseAlertRule(valid);
    expect(r).toEqual({
      ok: true,
      value: {
        ...valid,
        enabled: true,
        filters: {},
        minCalls: 0,
        noData: 'ok',
        forSec: 0,
        cooldownSec: 0,
        notifyPending: false,
        sinks: [],
      },
    });
  });

  it.each(ALERT_METRICS.filter((m) => m !== 'drift'))('accepts metric %s', (metric) => {
    expect(parseAlertRule({ ...valid, metric }).ok).toBe(true);
  });

  it('accepts every filter, groupBy and option', () => {
    const r = parseAlertRule({
      ...valid,
      name: 'Slow chat',
      filters: { model: 'gpt-4o', provider: 'openai', service: 'api', operation: 'chat' },
      groupBy: 'model',
      warningThreshold: 1000,
      minCalls: 20,
      noData: 'keep',
      forSec: 120,
      cooldownSec: 900,
      sinks: ['oncall'],
    });
    expect(r.ok).toBe(true);
  });

  it.each([
    [{ metric: 'latency_p90' }, 'metric'],
    [{ comparator: '==' }, 'comparator'],
    [{ windowSec: 59 }, 'windowSec'],
    [{ windowSec: 7 * 86_400 + 60 }, 'windowSec'],
    [{ windowSec: 90 }, 'windowSec'],
    [{ threshold: 'high' }, 'threshold'],
    [{ threshold: Number.NaN }, 'threshold'],
    [{ minCalls: -1 }, 'minCalls'],
    [{ noData: 'alert' }, 'noData'],
    [{ cooldownSec: 1.5 }, 'cooldownSec'],
    [{ filters: { region: 'eu' } }, 'filters.region'],
    [{ groupBy: 'region' }, 'groupBy'],
    [{ projectId: '' }, 'projectId'],
    [{ id: 'has space' }, 'id'],
    [{ sinks: ['a', 'a'] }, 'sinks'],
    [{ warningThreshold: 3000 }, 'warningThreshold'],
    [{ comparator: '<', threshold: 0.3, warningThreshold: 0.2 }, 'warningThreshold'],
    [{ metric: 'drift' }, 'monitorId'],
    [{ monitorId: 'm1' }, 'monitorId'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses %j, naming %s', (patch, field) => {
    const issues = issuesOf({ ...valid, ...patch });
    expect(issues.map((i) => i.path)).toContain(field);
  });

  it('names every missing required field at once', () => {
    const issues = issuesOf({ id: 'x' });
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['comparator', 'metric', 'projectId', 'threshold', 'windowSec'].sort(),
    );
  });

  it('says that the unknown key is unknown', () => {
    expect(issuesOf({ ...valid, treshold: 5 })).toEqual([
      { path: 'treshold', message: 'unknown key "treshold"' },
    ]);
  });

  it('accepts a drift rule with its monitor', () => {
    expect(
      parseAlertRule({ ...valid, metric: 'drift', monitorId: 'latency-shift', threshold: 0.2 }).ok,
    ).toBe(true);
  });

  it('lets the API create a rule without an id', () => {
    const { id: _id, ...withoutId } = valid;
    expect(parseAlertRuleInput(withoutId).ok).toBe(true);
    expect(parseAlertRule(withoutId).ok).toBe(false);
  });
});

describe('loadAlertsConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilotlight-alerts-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const failure = async (file: string): Promise<AlertConfigError> => {
    const err = await loadAlertsConfig(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AlertConfigError);
    return err as AlertConfigError;
  };

  const yaml = `
dashboardUrl: https://pilotlight.example
network:
  allowHttp: true
  allow: [127.0.0.1, hooks.internal, 10.0.0.0/8]
sinks:
  oncall:
    type: webhook
    url: https://hooks.example/pilotlight
    secretEnv: ONCALL_SECRET
  chat:
    type: slack
    url: https://hooks.slack.com/services/T/B/X
  log:
    type: log
rules:
  - id: p95-slow
    projectId: default
    metric: latency_p95
    filters: { model: gpt-4o }
    windowSec: 300
    comparator: ">"
    threshold: 2000
    warningThreshold: 1500
    minCalls: 20
    sinks: [oncall, chat, log]
`;

  it('reads YAML and JSON into the same configuration', async () => {
    const fromYaml = await loadAlertsConfig(write('pilotlight.config.yaml', yaml));
    expect(fromYaml.rules[0]).toMatchObject({
      id: 'p95-slow',
      filters: { model: 'gpt-4o' },
      minCalls: 20,
    });
    expect(fromYaml.network).toEqual({
      allowHttp: true,
      allow: ['127.0.0.1', 'hooks.internal', '10.0.0.0/8'],
    });
    const fromJson = await loadAlertsConfig(
      write('pilotlight.config.json', JSON.stringify(fromYaml)),
    );
    expect(fromJson).toEqual(fromYaml);
    const sinks = createSinks(fromYaml, { env: { ONCALL_SECRET: 'a-long-enough-secret' } });
    expect([...sinks.values()].map((s) => [s.name, s.type])).toEqual([
      ['oncall', 'webhook'],
      ['chat', 'slack'],
      ['log', 'log'],
    ]);
  });

  it('refuses unknown keys, naming them and the file', async () => {
    const err = await failure(
      write(
        'unknown.json',
        JSON.stringify({ rules: [{ ...valid, severity: 'high' }], alerting: {} }),
      ),
    );
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { path: 'alerting', message: 'unknown key "alerting"' },
        { path: 'rules.0.severity', message: 'unknown key "severity" in rules.0' },
      ]),
    );
    expect(err.message).toContain('unknown.json');
  });

  it('names the field of a bad rule inside the file', async () => {
    const err = await failure(
      write('bad-window.yaml', `rules:\n  - ${JSON.stringify({ ...valid, windowSec: 30 })}\n`),
    );
    expect(err.issues).toEqual([
      { path: 'rules.0.windowSec', message: 'window must be at least 60 seconds (1 minute)' },
    ]);
  });

  it('refuses a rule pointing at an undefined sink and duplicate rule ids', async () => {
    const err = await failure(
      write(
        'refs.json',
        JSON.stringify({
          sinks: { log: { type: 'log' } },
          rules: [
            { ...valid, sinks: ['log', 'pager'] },
            { ...valid, sinks: [] },
          ],
        }),
      ),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['rules.0.sinks.1', 'rules.1.id']);
    expect(err.issues[0]!.message).toContain('unknown sink "pager"');
  });

  it('refuses a bad sink definition', async () => {
    const err = await failure(
      write(
        'sinks.json',
        JSON.stringify({ sinks: { hook: { type: 'webhook', url: 'not a url', secret: 'short' } } }),
      ),
    );
    expect(err.issues.map((i) => i.path).sort()).toEqual(['sinks.hook.secret', 'sinks.hook.url']);
  });

  it('reports syntax errors, duplicate YAML keys, unknown extensions and missing files', async () => {
    expect((await failure(write('broken.json', '{"rules": ['))).message).toContain('broken.json');
    const dup = await failure(write('dup.yaml', 'rules: []\nrules: []\n'));
    expect(dup.message).toMatch(/unique|duplicate/i);
    expect((await failure(write('config.toml', 'rules = []'))).message).toContain('.toml');
    expect((await failure(join(dir, 'missing.json'))).message).toContain('cannot read');
  });

  it('refuses malformed network allow-list entries, naming each', async () => {
    const err = await failure(
      write(
        'allow.json',
        JSON.stringify({
          network: { allow: ['10.0.0.0/8', '10.0.0.0/33', '127.0.0.1:8080', 'ok.host'] },
        }),
      ),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['network.allow.1', 'network.allow.2']);
  });

  it('refuses a webhook whose secret variable is unset', async () => {
    const config = await loadAlertsConfig(write('env.yaml', yaml));
    expect(() => createSinks(config, { env: {} })).toThrow(/ONCALL_SECRET is not set/);
  });
});
