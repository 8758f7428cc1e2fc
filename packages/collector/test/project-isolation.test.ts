/**
 * Two projects on one collector, on each engine: a record is never returned, changed or
 * linked through another project's key — every query route, guessed ids included — and
 * a span lands in its key's project whatever its attributes say.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand, runProjectsCommand } from '../src/auth/cli.js';
import { type CollectorHandle, startCollector } from '../src/start.js';
import { hexId, otlpJson, tempDir } from './helpers.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from './postgres-fixture.js';

interface Engine {
  name: string;
  env: () => Record<string, string>;
  start: () => Promise<CollectorHandle>;
  cleanup: () => Promise<void>;
}

/** An alerts config with a `log` sink (no sink is configured by default). */
function alertsConfig(dir: string): string {
  const file = path.join(dir, 'pilotlight.config.json');
  writeFileSync(file, JSON.stringify({ sinks: { log: { type: 'log' } } }));
  return file;
}

function sqliteEngine(): Engine {
  const tmp = tempDir();
  const db = path.join(tmp.dir, 'pilotlight.db');
  return {
    name: 'SQLite',
    env: () => ({ PILOTLIGHT_DB: db }),
    start: () => startCollector({ dbPath: db, port: 0, alertsConfigFile: alertsConfig(tmp.dir) }),
    cleanup: async () => tmp.remove(),
  };
}

function postgresEngine(): Engine {
  const schema = uniqueSchema();
  const tmp = tempDir();
  return {
    name: 'PostgreSQL',
    env: () => ({ PILOTLIGHT_DATABASE_URL: TEST_DATABASE_URL, PILOTLIGHT_DATABASE_SCHEMA: schema }),
    start: () =>
      startCollector({
        dbPath: '',
        databaseUrl: TEST_DATABASE_URL,
        databaseSchema: schema,
        port: 0,
        alertsConfigFile: alertsConfig(tmp.dir),
      }),
    cleanup: async () => {
      tmp.remove();
      await dropSchema(schema);
    },
  };
}

const quiet = { out: () => undefined, err: () => undefined };

describe.each([
  ['SQLite', sqliteEngine],
  ['PostgreSQL', postgresEngine],
])('project isolation on %s', (_name, makeEngine) => {
  const engine = makeEngine();
  let collector: CollectorHandle;
  let base: string;
  let keyA: string;
  let keyB: string;
  const traceA = hexId(16);
  const spanA = hexId(8);
  const traceB = hexId(16);
  const t0 = Date.now() - 60_000;

  async function newKey(project: string): Promise<string> {
    let out = '';
    const code = await runKeysCommand(['create', '--project', project], engine.env(), {
      ...quiet,
      out: (t) => {
        out += t;
      },
    });
    expect(code).toBe(0);
    return out.trim();
  }

  const call = (key: string, method: string, route: string, body?: unknown) =>
    fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const getJson = async <T>(key: string, route: string): Promise<{ status: number; body: T }> => {
    const res = await call(key, 'GET', route);
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    for (const p of ['acme', 'globex']) {
      expect(await runProjectsCommand(['create', p], engine.env(), quiet)).toBe(0);
    }
    keyA = await newKey('acme');
    keyB = await newKey('globex');
    collector = await engine.start();
    base = collector.url;
    const send = async (key: string, body: unknown) => {
      const res = await call(key, 'POST', '/v1/traces', body);
      expect(res.status).toBe(200);
    };
    await send(
      keyA,
      otlpJson(
        [
          {
            traceId: traceA,
            spanId: spanA,
            startMs: t0,
            attributes: {
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.provider.name': 'openai',
              'gen_ai.operation.name': 'chat',
              'gen_ai.usage.input_tokens': 10,
              'gen_ai.usage.output_tokens': 5,
            },
          },
        ],
        'svc-acme',
      ),
    );
    // B's span names project acme in every attribute a sender might use: it stays B's.
    const bodyB = otlpJson(
      [
        {
          traceId: traceB,
          spanId: hexId(8),
          startMs: t0 + 1_000,
          attributes: {
            'gen_ai.request.model': 'claude-sonnet-4-5',
            'gen_ai.provider.name': 'anthropic',
            'gen_ai.operation.name': 'chat',
            'pilotlight.project.id': 'acme',
            'project.id': 'acme',
            'langfuse.project.id': 'acme',
          },
        },
      ],
      'svc-globex',
    ) as { resourceSpans: { resource: { attributes: unknown[] } }[] };
    bodyB.resourceSpans[0]!.resource.attributes.push(
      { key: 'pilotlight.project.id', value: { stringValue: 'acme' } },
      { key: 'project.id', value: { stringValue: 'acme' } },
    );
    await send(keyB, bodyB);
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await engine.cleanup();
  });

  it('a span sent with B’s key lands in B even when its attributes name A', async () => {
    const b = await getJson<{ data: { traceId: string; projectId: string }[] }>(keyB, '/api/spans');
    expect(b.body.data.map((r) => [r.traceId, r.projectId])).toEqual([[traceB, 'globex']]);
    const a = await getJson<{ data: { traceId: string; projectId: string }[] }>(keyA, '/api/spans');
    expect(a.body.data.map((r) => [r.traceId, r.projectId])).toEqual([[traceA, 'acme']]);
  });

  it('lists, filters and exports only the key’s project', async () => {
    const byTrace = await getJson<{ data: unknown[] }>(keyB, `/api/spans?traceId=${traceA}`);
    expect(byTrace).toEqual({ status: 200, body: { data: [], nextCursor: null } });
    const bySvc = await getJson<{ data: unknown[] }>(keyB, '/api/spans?service=svc-acme');
    expect(bySvc.body.data).toEqual([]);
    for (const format of ['ndjson', 'csv']) {
      const res = await call(keyB, 'GET', `/api/export?format=${format}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain(traceB);
      expect(text).not.toContain(traceA);
      expect(text).not.toContain('svc-acme');
    }
  });

  it('answers another project’s trace as an unknown one (404), guessed ids included', async () => {
    const theirs = await getJson<{ error: string }>(keyB, `/api/traces/${traceA}`);
    const unknown = await getJson<{ error: string }>(keyB, `/api/traces/${hexId(16)}`);
    expect(theirs.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(Object.keys(theirs.body)).toEqual(Object.keys(unknown.body));
    expect(theirs.body.error).toBe(unknown.body.error);
    expect((await getJson(keyA, `/api/traces/${traceA}`)).status).toBe(200);
  });

  it('refuses feedback on another project’s call as on an unknown one', async () => {
    const onTheirs = await call(keyB, 'POST', '/api/feedback', {
      traceId: traceA,
      spanId: spanA,
      score: 0,
    });
    expect(onTheirs.status).toBe(404);
    const onOwn = await call(keyA, 'POST', '/api/feedback', {
      traceId: traceA,
      spanId: spanA,
      score: 1,
    });
    expect(onOwn.status).toBe(201);
    const trace = await getJson<{ feedback: { score: number }[] }>(keyA, `/api/traces/${traceA}`);
    expect(trace.body.feedback.map((f) => f.score)).toEqual([1]);
  });

  it('summarises and inventories only the key’s project; its models are not editable', async () => {
    const range = `from=${new Date(t0 - 3_600_000).toISOString()}&to=${new Date(t0 + 3_600_000).toISOString()}`;
    const summary = await getJson<{ groups: { key: string; total: { calls: number } }[] }>(
      keyB,
      `/api/summary?groupBy=model&${range}`,
    );
    expect(summary.status).toBe(200);
    expect(summary.body.groups.map((g) => [g.key, g.total.calls])).toEqual([
      ['claude-sonnet-4-5', 1],
    ]);
    const models = await getJson<{ data: { id: string }[] }>(keyB, '/api/models');
    expect(models.body.data.map((m) => m.id)).toEqual(['claude-sonnet-4-5']);
    const put = await call(keyB, 'PUT', '/api/models/gpt-4o', { owner: 'mallory' });
    expect(put.status).toBe(404);
    const own = await getJson<{ data: { id: string; owner: string | null }[] }>(
      keyA,
      '/api/models',
    );
    expect(own.body.data).toEqual([expect.objectContaining({ id: 'gpt-4o', owner: null })]);
  });

  it('keeps each project’s audit log to itself', async () => {
    const idA = keyA.split('_')[1]!;
    const idB = keyB.split('_')[1]!;
    const audit = await getJson<{ data: { keyId: string | null; route: string }[] }>(
      keyB,
      '/api/audit?limit=1000',
    );
    // B's own reads (under B's key id) and B's creation from the command line (no key).
    const who = new Set(audit.body.data.map((e) => e.keyId ?? e.route));
    expect(who).toEqual(new Set([idB, 'pilotlight projects create', 'pilotlight keys create']));
    const theirs = await getJson<{ data: unknown[] }>(keyB, `/api/audit?keyId=${idA}`);
    expect(theirs.body.data).toEqual([]);
  });

  it('scopes alert rules, alerts and history to the key’s project', async () => {
    // Served on both engines: no feature exists on one only.
    expect((await call(keyA, 'GET', '/api/alerts/rules')).status).toBe(200);
    const rule = { metric: 'calls', windowSec: 300, comparator: '<', threshold: 1, sinks: ['log'] };
    const created = await call(keyA, 'POST', '/api/alerts/rules', { ...rule, id: 'acme-rule' });
    expect(created.status, await created.clone().text()).toBe(201);
    const listB = await getJson<{ data: { id: string }[] }>(keyB, '/api/alerts/rules');
    expect(listB.body.data.map((r) => r.id)).not.toContain('acme-rule');
    expect((await call(keyB, 'DELETE', '/api/alerts/rules/acme-rule')).status).toBe(404);
    expect(
      (await call(keyB, 'PUT', '/api/alerts/rules/acme-rule', { ...rule, threshold: 99 })).status,
    ).toBe(409);
    const listA = await getJson<{ data: { id: string; threshold: number; projectId: string }[] }>(
      keyA,
      '/api/alerts/rules',
    );
    expect(listA.body.data.find((r) => r.id === 'acme-rule')).toMatchObject({
      threshold: 1,
      projectId: 'acme',
    });
    // Naming another project is refused, naming one's own is fine.
    for (const route of ['/api/alerts/rules', '/api/alerts', '/api/alerts/history']) {
      const foreign = await getJson<{ issues: { path: string }[] }>(
        keyB,
        `${route}?projectId=acme`,
      );
      expect(foreign.status).toBe(400);
      expect(foreign.body.issues[0]!.path).toBe('projectId');
      expect((await call(keyB, 'GET', `${route}?projectId=globex`)).status).toBe(200);
    }
    const posted = await call(keyB, 'POST', '/api/alerts/rules', { ...rule, projectId: 'acme' });
    expect(posted.status).toBe(400);
  });

  it('scopes drift monitors, runs, baselines and reports to the key’s project', async () => {
    // Served on both engines: no feature exists on one only.
    expect((await call(keyA, 'GET', '/api/drift/monitors')).status).toBe(200);
    const monitor = {
      id: 'acme-latency',
      feature: 'latency',
      referenceWindow: {
        type: 'fixed',
        from: new Date(t0 - 3_600_000).toISOString(),
        to: new Date(t0 - 1_800_000).toISOString(),
      },
      currentWindow: { windowSec: 1800 },
      method: 'ks',
    };
    expect((await call(keyA, 'POST', '/api/drift/monitors', monitor)).status).toBe(201);
    expect((await call(keyA, 'POST', '/api/drift/monitors/acme-latency/run')).status).toBe(200);
    const listB = await getJson<{ data: { id: string }[] }>(keyB, '/api/drift/monitors');
    expect(listB.body.data.map((m) => m.id)).not.toContain('acme-latency');
    expect((await call(keyB, 'POST', '/api/drift/monitors/acme-latency/run')).status).toBe(404);
    expect((await call(keyB, 'DELETE', '/api/drift/monitors/acme-latency')).status).toBe(404);
    expect((await call(keyB, 'PUT', '/api/drift/monitors/acme-latency', monitor)).status).toBe(409);
    const runsB = await getJson<{ data: unknown[] }>(
      keyB,
      '/api/drift/runs?monitorId=acme-latency',
    );
    expect(runsB.body.data).toEqual([]);
    const runsA = await getJson<{ data: unknown[] }>(
      keyA,
      '/api/drift/runs?monitorId=acme-latency',
    );
    expect(runsA.body.data).toHaveLength(1);

    const window = `${new Date(t0 - 600_000).toISOString()}..${new Date(t0 + 600_000).toISOString()}`;
    const report = await getJson<{ issues: { path: string }[] }>(
      keyB,
      `/api/drift/report?feature=latency&reference=${window}&current=${window}&projectId=acme`,
    );
    expect(report.status).toBe(400);
    expect(report.body.issues[0]!.path).toBe('projectId');
    const baseline = await call(keyB, 'POST', '/api/drift/baselines', {
      projectId: 'acme',
      feature: 'latency',
      from: t0 - 600_000,
      to: t0 + 600_000,
    });
    expect(baseline.status).toBe(400);

    // Baselines: another project's id is neither replaced nor readable through a monitor.
    const own = { id: 'acme-base', feature: 'latency', from: t0 - 600_000, to: t0 + 600_000 };
    expect((await call(keyA, 'POST', '/api/drift/baselines', own)).status).toBe(201);
    expect((await call(keyB, 'POST', '/api/drift/baselines', own)).status).toBe(409);
    const listed = await getJson<{ data: { id: string }[] }>(keyB, '/api/drift/baselines');
    expect(listed.body.data.map((x) => x.id)).not.toContain('acme-base');
    const thief = {
      ...monitor,
      id: 'globex-thief',
      referenceWindow: { type: 'baseline', baselineId: 'acme-base' },
    };
    expect((await call(keyB, 'POST', '/api/drift/monitors', thief)).status).toBe(201);
    const run = await call(keyB, 'POST', '/api/drift/monitors/globex-thief/run');
    const result = (await run.json()) as { status: string; message?: string };
    expect(result).toMatchObject({ status: 'error', message: 'baseline acme-base does not exist' });
  });
});
