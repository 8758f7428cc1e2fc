import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import { parseAlertsConfig } from '../src/alerts/rule.js';
import { Alerting } from '../src/alerts/service.js';
import { SqliteAlertStore } from '../src/alerts/sqlite-alert-store.js';
import { createAlertRoutes } from '../src/routes/alerts.js';
import { tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 4, 0, 0);

const rule = {
  projectId: 'default',
  metric: 'calls',
  windowSec: 300,
  comparator: '<',
  threshold: 1,
  sinks: ['log'],
};

describe('createAlertRoutes', () => {
  let db: Database.Database;
  let remove: () => void;
  let app: ReturnType<typeof createAlertRoutes>;
  let alerting: Alerting;
  let clock = T0;

  beforeEach(() => {
    const tmp = tempDir('pilotlight-alert-routes-');
    remove = tmp.remove;
    db = new Database(path.join(tmp.dir, 'alerts.db'));
    clock = T0;
    alerting = new Alerting({
      store: new SqliteAlertStore(db),
      sources: { rollups: createRollupReader(() => []) }, // no traffic
      config: parseAlertsConfig({
        sinks: { log: { type: 'log' } },
        rules: [{ ...rule, id: 'from-file' }],
      }),
      now: () => clock,
      log: () => undefined,
    });
    app = createAlertRoutes({ alerting, projectId: 'default' });
  });
  afterEach(() => {
    db.close();
    remove();
  });

  const send = (method: string, url: string, body?: unknown) =>
    app.request(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('creates, lists, replaces and deletes API rules beside the config file rules', async () => {
    const created = await send('POST', '/api/alerts/rules', { ...rule, id: 'quiet' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: 'quiet', minCalls: 0, noData: 'ok' });

    // projectId defaults to the app's project, the id is assigned
    const assigned = await send('POST', '/api/alerts/rules', {
      ...rule,
      projectId: undefined,
      threshold: 5,
    });
    expect(assigned.status).toBe(201);
    const assignedId = ((await assigned.json()) as { id: string }).id;
    expect(assignedId).toMatch(/^rule-/);

    const list = (await (await app.request('/api/alerts/rules')).json()) as {
      data: { id: string; source: string }[];
    };
    expect(list.data.map((r) => [r.id, r.source])).toEqual([
      ['from-file', 'file'],
      ...[
        ['quiet', 'api'],
        [assignedId, 'api'],
      ].sort(),
    ]);

    expect((await send('POST', '/api/alerts/rules', { ...rule, id: 'quiet' })).status).toBe(409);
    expect((await send('POST', '/api/alerts/rules', { ...rule, id: 'from-file' })).status).toBe(
      409,
    );

    const replaced = await send('PUT', '/api/alerts/rules/quiet', { ...rule, threshold: 3 });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ id: 'quiet', threshold: 3 });
    expect((await send('PUT', '/api/alerts/rules/new-one', rule)).status).toBe(201);
    const fileConflict = await send('PUT', '/api/alerts/rules/from-file', rule);
    expect(fileConflict.status).toBe(409);
    expect(await fileConflict.json()).toMatchObject({ error: 'alert_rule_conflict' });

    expect((await send('DELETE', '/api/alerts/rules/quiet')).status).toBe(204);
    expect((await send('DELETE', '/api/alerts/rules/quiet')).status).toBe(404);
    expect((await send('DELETE', '/api/alerts/rules/from-file')).status).toBe(409);
  });

  it('answers 400 naming the bad field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/alerts/rules', { ...rule, windowSec: 30 }, 'windowSec'],
      ['POST', '/api/alerts/rules', { ...rule, colour: 'red' }, 'colour'],
      ['POST', '/api/alerts/rules', { ...rule, comparator: '==' }, 'comparator'],
      ['POST', '/api/alerts/rules', { ...rule, sinks: ['pager'] }, 'sinks.0'],
      ['POST', '/api/alerts/rules', { ...rule, metric: 'drift' }, 'monitorId'],
      ['PUT', '/api/alerts/rules/a', { ...rule, id: 'b' }, 'id'],
      ['PUT', '/api/alerts/rules/a', { ...rule, threshold: 'high' }, 'threshold'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await send(method, url, body);
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(400);
      const json = (await res.json()) as { error: string; issues: { path: string }[] };
      expect(json.error).toBe('invalid_request');
      expect(json.issues.map((i) => i.path)).toContain(field);
    }
    const bad = await send('POST', '/api/alerts/rules', '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_json' });
    for (const [url, field] of [
      ['/api/alerts?status=burning', 'status.0'],
      ['/api/alerts/history?limit=0', 'limit'],
      ['/api/alerts/history?from=yesterday', 'from'],
      ['/api/alerts/history?sort=asc', 'sort'],
    ] as const) {
      const res = await app.request(url);
      expect(res.status, url).toBe(400);
      const json = (await res.json()) as { issues: { path: string }[] };
      expect(json.issues.map((i) => i.path)).toContain(field);
    }
  });

  it('serves current alerts and their history, newest first, paged', async () => {
    await send('PUT', '/api/alerts/rules/quiet', rule);
    await alerting.evaluate(); // no traffic: both rules fire
    const current = (await (await app.request('/api/alerts?status=firing')).json()) as {
      data: { ruleId: string; status: string }[];
    };
    expect(current.data.map((s) => [s.ruleId, s.status]).sort()).toEqual([
      ['from-file', 'firing'],
      ['quiet', 'firing'],
    ]);
    expect(
      ((await (await app.request('/api/alerts?status=ok')).json()) as { data: unknown[] }).data,
    ).toEqual([]);

    const first = (await (await app.request('/api/alerts/history?limit=1')).json()) as {
      data: { seq: number; transition: { to: string } }[];
      nextBefore: number | null;
    };
    expect(first.data).toHaveLength(1);
    expect(first.data[0]!.transition.to).toBe('firing');
    expect(first.nextBefore).toBe(first.data[0]!.seq);
    const second = (await (
      await app.request(`/api/alerts/history?limit=1&before=${first.nextBefore}`)
    ).json()) as { data: { seq: number }[] };
    expect(second.data).toHaveLength(1);
    expect(second.data[0]!.seq).toBeLessThan(first.data[0]!.seq);
    const byRule = (await (await app.request('/api/alerts/history?ruleId=quiet')).json()) as {
      data: unknown[];
      nextBefore: number | null;
    };
    expect(byRule.data).toHaveLength(1);
    expect(byRule.nextBefore).toBeNull();
  });
});
