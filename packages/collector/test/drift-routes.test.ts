import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriftMonitors } from '../src/drift/monitors.js';
import type { DriftReport } from '../src/drift/report.js';
import type { DriftRun } from '../src/drift/sqlite-drift-store.js';
import { SqliteDriftStore } from '../src/drift/sqlite-drift-store.js';
import { SqliteFeatureSource } from '../src/drift/sqlite-feature-source.js';
import { openDriftAndAlerts } from '../src/drift/wiring.js';
import { createDriftRoutes } from '../src/routes/drift.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import { traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const monitor = {
  feature: 'latency',
  referenceWindow: { type: 'fixed', from: iso(T0), to: iso(T0 + 60 * MIN) },
  currentWindow: { windowSec: 1800 },
  method: 'ks',
};

describe('createDriftRoutes', () => {
  let store: SqliteSpanStore;
  let db: Database.Database;
  let reader: Database.Database;
  let remove: () => void;
  let app: ReturnType<typeof createDriftRoutes>;
  const clock = T0 + 120 * MIN;

  beforeEach(async () => {
    const tmp = tempDir('pilotlight-drift-routes-');
    remove = tmp.remove;
    store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    const models = ['gpt-4o-mini'];
    await store.insertCalls('default', [
      ...traffic({
        fromMs: T0,
        toMs: T0 + 60 * MIN,
        count: 300,
        seed: 1,
        latencyMs: 300,
        confidence: 0.9,
        models,
      }),
      ...traffic({
        fromMs: T0 + 90 * MIN,
        toMs: T0 + 120 * MIN,
        count: 150,
        seed: 2,
        latencyMs: 900,
        confidence: 0.9,
        models: ['gpt-4o-mini', 'o3'],
      }),
    ]);
    db = new Database(store.path);
    reader = new Database(store.path, { readonly: true });
    const features = new SqliteFeatureSource(reader);
    const monitors = new DriftMonitors({
      store: new SqliteDriftStore(db),
      features,
      now: () => clock,
    });
    app = createDriftRoutes({ monitors, features, projectId: 'default', now: () => clock });
  });
  afterEach(async () => {
    db.close();
    reader.close();
    await store.close();
    remove();
  });

  const send = (method: string, url: string, body?: unknown) =>
    app.request(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('creates, lists, replaces, runs and deletes monitors; runs stay readable', async () => {
    const created = await send('POST', '/api/drift/monitors', { ...monitor, id: 'lat' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: 'lat',
      projectId: 'default',
      schedule: { everySec: 3600 },
      minSamples: 30,
      sampleCap: 10_000,
      enabled: true,
    });
    expect((await send('POST', '/api/drift/monitors', { ...monitor, id: 'lat' })).status).toBe(409);
    const assigned = (await (await send('POST', '/api/drift/monitors', monitor)).json()) as {
      id: string;
    };
    expect(assigned.id).toMatch(/^mon-[0-9a-f]{12}$/);

    const replaced = await send('PUT', '/api/drift/monitors/lat', { ...monitor, method: 'psi' });
    expect(replaced.status).toBe(200);
    expect((await send('PUT', '/api/drift/monitors/other', monitor)).status).toBe(201);
    const list = (await (await app.request('/api/drift/monitors')).json()) as {
      data: { id: string; method: string }[];
    };
    expect(list.data.map((m) => m.id).sort()).toEqual([assigned.id, 'lat', 'other'].sort());
    expect(list.data.find((m) => m.id === 'lat')!.method).toBe('psi');

    const run = await send('POST', '/api/drift/monitors/lat/run');
    expect(run.status).toBe(200);
    const r = (await run.json()) as DriftRun;
    expect(r).toMatchObject({
      monitorId: 'lat',
      status: 'ok',
      method: 'psi',
      drifted: true,
      reference: { total: 300, size: 300, sampled: false, source: 'fixed' },
      current: { fromMs: T0 + 90 * MIN, toMs: T0 + 120 * MIN, total: 150, size: 150 },
    });
    expect(r.statistic).toBeGreaterThan(1);
    expect((await send('POST', '/api/drift/monitors/nope/run')).status).toBe(404);

    const runs = (await (await app.request('/api/drift/runs?monitorId=lat')).json()) as {
      data: DriftRun[];
    };
    expect(runs.data.map((x) => x.id)).toEqual([r.id]);

    expect((await send('DELETE', '/api/drift/monitors/lat')).status).toBe(204);
    expect((await send('DELETE', '/api/drift/monitors/lat')).status).toBe(404);
    const kept = (await (await app.request('/api/drift/runs?monitorId=lat')).json()) as {
      data: DriftRun[];
    };
    expect(kept.data).toHaveLength(1);
  });

  it('answers 400 naming the bad field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/drift/monitors', { ...monitor, feature: 'latencyy' }, 'feature'],
      ['POST', '/api/drift/monitors', { ...monitor, feature: 'model' }, 'method'],
      ['POST', '/api/drift/monitors', { ...monitor, method: 'magic' }, 'method'],
      [
        'POST',
        '/api/drift/monitors',
        { ...monitor, currentWindow: { windowSec: 5 } },
        'currentWindow.windowSec',
      ],
      [
        'POST',
        '/api/drift/monitors',
        { ...monitor, referenceWindow: { type: 'fixed', from: iso(T0), to: iso(T0) } },
        'referenceWindow.to',
      ],
      [
        'POST',
        '/api/drift/monitors',
        { ...monitor, referenceWindow: { type: 'last-year' } },
        'referenceWindow.type',
      ],
      ['POST', '/api/drift/monitors', { ...monitor, threshold: 2 }, 'threshold'],
      ['POST', '/api/drift/monitors', { ...monitor, minSamples: 0 }, 'minSamples'],
      ['POST', '/api/drift/monitors', { ...monitor, owner: 'me' }, 'owner'],
      ['PUT', '/api/drift/monitors/a', { ...monitor, id: 'b' }, 'id'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await send(method, url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: string; issues: { path: string }[] };
      expect(json.error).toBe('invalid_request');
      expect(
        json.issues.map((i) => i.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect((await send('POST', '/api/drift/monitors', '{')).status).toBe(400);
    const range = `reference=${T0}..${T0 + 60 * MIN}&current=${T0 + 90 * MIN}..${T0 + 120 * MIN}`;
    for (const [url, field] of [
      ['/api/drift/runs', 'monitorId'],
      ['/api/drift/runs?monitorId=a&limit=x', 'limit'],
      [`/api/drift/report?${range}`, 'feature'],
      [`/api/drift/report?feature=speed&${range}`, 'feature'],
      [`/api/drift/report?feature=latency&reference=${T0}&current=1..2`, 'reference'],
      [`/api/drift/report?feature=latency&${range}&format=pdf`, 'format'],
    ] as const) {
      const res = await app.request(url);
      expect(res.status, url).toBe(400);
      const json = (await res.json()) as { issues: { path: string }[] };
      expect(
        json.issues.map((i) => i.path),
        url,
      ).toContain(field);
    }
  });

  it('saves a baseline that a monitor then uses as its reference', async () => {
    const saved = await send('POST', '/api/drift/baselines', {
      id: 'launch',
      feature: 'latency',
      from: iso(T0),
      to: T0 + 60 * MIN,
      cap: 200,
    });
    expect(saved.status).toBe(201);
    expect(await saved.json()).toMatchObject({ id: 'launch', total: 300, sampled: true });
    const list = (await (await app.request('/api/drift/baselines')).json()) as {
      data: { id: string; feature: string }[];
    };
    expect(list.data.map((b) => [b.id, b.feature])).toEqual([['launch', 'latency']]);
    await send('PUT', '/api/drift/monitors/vs-launch', {
      ...monitor,
      referenceWindow: { type: 'baseline', baselineId: 'launch' },
    });
    const run = (await (
      await send('POST', '/api/drift/monitors/vs-launch/run')
    ).json()) as DriftRun;
    expect(run).toMatchObject({
      status: 'ok',
      drifted: true,
      reference: { source: 'baseline', baselineId: 'launch', size: 200, total: 300 },
    });
    for (const [body, field] of [
      [{ feature: 'speed', from: T0, to: T0 + MIN }, 'feature'],
      [{ feature: 'latency', from: T0 + MIN, to: T0 }, 'to'],
      [{ feature: 'latency', from: 'soon', to: T0 }, 'from'],
      [{ feature: 'latency', from: T0, to: T0 + MIN, cap: 5 }, 'cap'],
    ] as const) {
      const res = await send('POST', '/api/drift/baselines', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        ((await res.json()) as { issues: { path: string }[] }).issues.map((i) => i.path),
      ).toContain(field);
    }
  });

  it('serves a report as JSON and as self-contained HTML', async () => {
    const q = `feature=latency&feature=model,confidence&reference=${iso(T0)}..${iso(T0 + 60 * MIN)}&current=${T0 + 90 * MIN}..${T0 + 120 * MIN}`;
    const res = await app.request(`/api/drift/report?${q}`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as DriftReport;
    expect(report.features.map((f) => [f.feature, f.kind, f.drifted])).toEqual([
      ['latency', 'numeric', true],
      ['model', 'categorical', true],
      ['confidence', 'numeric', false],
    ]);
    expect(report.sampled).toBe(false);
    expect(report.generatedAt).toBe(iso(clock));

    const sampled = (await (
      await app.request(`/api/drift/report?${q}&sampleCap=100`)
    ).json()) as DriftReport;
    expect(sampled.sampled).toBe(true);
    expect(sampled.features[0]!.reference).toMatchObject({ total: 300, size: 100, sampled: true });

    const html = await app.request(`/api/drift/report?${q}&format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const text = await html.text();
    expect(text).toContain('<svg');
    expect(text).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});

describe('openDriftAndAlerts', () => {
  it('serves the drift and alert APIs over the collector database and closes once', async () => {
    const tmp = tempDir('pilotlight-drift-wiring-');
    const store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    const jobs = openDriftAndAlerts({ dbPath: store.path, store, projectId: 'default' });
    try {
      const post = (url: string, body: unknown) =>
        jobs.routes.request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('/api/drift/monitors', { ...monitor, id: 'lat' })).status).toBe(201);
      const rule = await post('/api/alerts/rules', {
        id: 'lat-drift',
        metric: 'drift',
        monitorId: 'lat',
        windowSec: 3600,
        comparator: '>=',
        threshold: 0.5,
      });
      expect(rule.status).toBe(201);
      expect(
        (
          (await (await jobs.routes.request('/api/alerts/rules')).json()) as {
            data: { id: string }[];
          }
        ).data.map((r) => r.id),
      ).toEqual(['lat-drift']);
      expect(await jobs.monitors.list()).toHaveLength(1);
      jobs.start({ evaluateEveryMs: 60_000, deliverEveryMs: 60_000, driftTickMs: 60_000 });
    } finally {
      jobs.close();
      jobs.close();
      await store.close();
      tmp.remove();
    }
  });
});
