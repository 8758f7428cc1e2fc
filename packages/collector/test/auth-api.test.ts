import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { Auth } from '../src/auth/auth.js';
import { runKeysCommand, runProjectsCommand } from '../src/auth/cli.js';
import { LOCAL_ONLY_MESSAGE } from '../src/auth/http.js';
import { parseKey } from '../src/auth/keys.js';
import { openSqliteKeyStore } from '../src/auth/sqlite-key-store.js';
import { RpcStatus } from '../src/otlp/proto.js';
import { createApp } from '../src/server.js';
import { InsecureBindError, startCollector } from '../src/start.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { hexId, otlpJson, tempDir } from './helpers.js';

interface Cli {
  code: number;
  out: string;
  err: string;
}

/** Runs a `pilotlight projects|keys` command against the SQLite file `db`. */
async function cli(db: string, command: 'projects' | 'keys', ...argv: string[]): Promise<Cli> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      err += t;
    },
  };
  const env = { PILOTLIGHT_DB: db };
  const code =
    command === 'projects'
      ? await runProjectsCommand(argv, env, io)
      : await runKeysCommand(argv, env, io);
  return { code, out, err };
}

async function newKey(db: string, ...argv: string[]): Promise<string> {
  const r = await cli(db, 'keys', 'create', ...argv);
  expect(r.code, r.err).toBe(0);
  return r.out.trim();
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDb(): string {
  const tmp = tempDir();
  cleanups.push(tmp.remove);
  return path.join(tmp.dir, 'pilotlight.db');
}

async function start(db: string, host = '127.0.0.1') {
  const collector = await startCollector({ dbPath: db, port: 0, host, driftAndAlerts: false });
  cleanups.push(() => collector.close());
  return { ...collector, base: `http://127.0.0.1:${collector.port}` };
}

function ingest(base: string, key: string | null, traceId = hexId(16)) {
  return fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(
      otlpJson([{ traceId, spanId: hexId(8), attributes: { 'gen_ai.request.model': 'gpt-4o' } }]),
    ),
  });
}

function get(base: string, route: string, key: string | null) {
  return fetch(`${base}${route}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
}

describe('zero-config local mode (no key exists)', () => {
  it('serves loopback requests into the default project and says so', async () => {
    const c = await start(tempDb());
    expect(c.authMode).toBe('local');
    expect((await ingest(c.base, null)).status).toBe(200);
    const res = await get(c.base, '/api/spans', null);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { projectId: string }[] };
    expect(body.data.map((r) => r.projectId)).toEqual(['default']);
    expect(await (await get(c.base, '/api/whoami', null)).json()).toEqual({
      projectId: 'default',
      keyId: null,
      mode: 'local',
    });
  });

  it('refuses a request that does not come from this machine', async () => {
    const db = tempDb();
    const store = openSqliteStore({ path: db });
    const keys = openSqliteKeyStore(db);
    cleanups.push(() => store.close());
    cleanups.push(() => keys.close());
    // app.request has no socket: the peer is unknown, so it is not loopback.
    const app = createApp({ store, auth: new Auth(keys) });
    const res = await app.request('/api/spans');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe(LOCAL_ONLY_MESSAGE);
  });

  it('refuses to bind a non-loopback interface until a key exists', async () => {
    const db = tempDb();
    await expect(
      startCollector({ dbPath: db, port: 0, host: '0.0.0.0', driftAndAlerts: false }),
    ).rejects.toThrow(InsecureBindError);
    await expect(
      startCollector({ dbPath: db, port: 0, host: '0.0.0.0', driftAndAlerts: false }),
    ).rejects.toThrow(/without API keys.*pilotlight keys create --project/s);

    expect((await cli(db, 'projects', 'create', 'acme')).code).toBe(0);
    const key = await newKey(db, '--project', 'acme');
    const c = await start(db, '0.0.0.0');
    expect(c.authMode).toBe('keys');
    expect((await ingest(c.base, key)).status).toBe(200);
  });
});

describe('API keys', () => {
  it('answers the same 401 for a missing, malformed, unknown, wrong or revoked key', async () => {
    const db = tempDb();
    await cli(db, 'projects', 'create', 'acme');
    const key = await newKey(db, '--project', 'acme');
    const revoked = await newKey(db, '--project', 'acme');
    const revokedId = parseKey(revoked)!.id;
    expect((await cli(db, 'keys', 'revoke', revokedId)).code).toBe(0);
    const c = await start(db);

    const { id } = parseKey(key)!;
    const otherSecret = parseKey((await cli(db, 'keys', 'create', '--admin')).out.trim())!.secret;
    const bad: (string | null)[] = [
      null,
      'not-a-key',
      `pl_${'0'.repeat(16)}_${'A'.repeat(43)}`, // well-formed, unknown id
      `pl_${id}_${otherSecret}`, // known id, wrong secret
      revoked,
    ];
    const answers = await Promise.all(
      bad.map(async (k) => {
        const res = await get(c.base, '/api/spans', k);
        return {
          status: res.status,
          challenge: res.headers.get('www-authenticate'),
          body: await res.text(),
        };
      }),
    );
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(401);
    expect(answers[0]!.challenge).toMatch(/^Bearer/);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ error: 'unauthorized' });
    // The ingest route too, including the OTLP protobuf error body (UNAUTHENTICATED).
    expect((await ingest(c.base, null)).status).toBe(401);
    const proto = await fetch(`${c.base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    });
    expect(proto.status).toBe(401);
    const status = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await proto.arrayBuffer())));
    expect((status as { code: number }).code).toBe(16);
    // And the right key works; /api/whoami says for which project.
    expect((await get(c.base, '/api/spans', key)).status).toBe(200);
    expect(await (await get(c.base, '/api/whoami', key)).json()).toEqual({
      projectId: 'acme',
      keyId: id,
      mode: 'keys',
    });
  });

  it('stores no plaintext key or secret anywhere in the database files', async () => {
    const db = tempDb();
    await cli(db, 'projects', 'create', 'acme');
    const keys = [
      await newKey(db, '--project', 'acme'),
      await newKey(db, '--admin'),
      await newKey(db, '--project', 'default'),
    ];
    const c = await start(db);
    const admin = keys[1]!;
    const res = await fetch(`${c.base}/api/projects/acme/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(201); // acme's second live key, made over HTTP
    keys.push(((await res.json()) as { key: string }).key);
    for (const k of keys) expect((await get(c.base, '/api/audit', k)).status).not.toBe(401);
    await c.close();

    const files = ['', '-wal', '-shm'].map((suffix) => {
      try {
        return readFileSync(db + suffix);
      } catch {
        return Buffer.alloc(0);
      }
    });
    const bytes = Buffer.concat(files);
    expect(bytes.length).toBeGreaterThan(0);
    for (const k of keys) {
      const { id, secret } = parseKey(k)!;
      expect(bytes.includes(k)).toBe(false);
      expect(bytes.includes(secret)).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'base64url'))).toBe(false);
      expect(bytes.includes(id)).toBe(true); // the public id is stored, to look the key up
    }
  });

  it('rotates with two live keys and no gap; a revoked key fails at once', async () => {
    const db = tempDb();
    await cli(db, 'projects', 'create', 'acme');
    const admin = await newKey(db, '--admin');
    const c = await start(db);
    const createKey = async () => {
      const res = await fetch(`${c.base}/api/projects/acme/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ label: 'ci' }),
      });
      return { status: res.status, body: (await res.json()) as { key: string; id: string } };
    };
    const old = await createKey();
    expect(old.status).toBe(201);
    // Traffic keeps flowing with whichever key the app holds during the whole rotation.
    let current = old.body.key;
    let failures = 0;
    let sent = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        sent++;
        if ((await ingest(c.base, current)).status !== 200) failures++;
      }
    })();
    const next = await createKey();
    expect(next.status).toBe(201);
    expect((await createKey()).status).toBe(409); // a third live key is refused
    expect((await ingest(c.base, old.body.key)).status).toBe(200); // both live now
    expect((await ingest(c.base, next.body.key)).status).toBe(200);
    current = next.body.key; // the app switches…
    await new Promise((r) => setTimeout(r, 50));
    const revoke = await fetch(`${c.base}/api/projects/acme/keys/${old.body.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoke.status).toBe(204); // …then the old key is revoked
    stop = true;
    await traffic;
    expect(sent).toBeGreaterThan(0);
    expect(failures).toBe(0);
    expect((await ingest(c.base, old.body.key)).status).toBe(401);
    expect((await ingest(c.base, next.body.key)).status).toBe(200);
    expect((await createKey()).status).toBe(201); // room for the next rotation
  });

  it('a key revoked by the CLI (another connection) stops working within the cache time', async () => {
    const db = tempDb();
    await cli(db, 'projects', 'create', 'acme');
    const key = await newKey(db, '--project', 'acme');
    const c = await start(db);
    expect((await get(c.base, '/api/spans', key)).status).toBe(200);
    expect((await cli(db, 'keys', 'revoke', parseKey(key)!.id)).code).toBe(0);
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await get(c.base, '/api/spans', key)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(401);
    // Revoking the only key does not reopen zero-config local mode.
    expect((await get(c.base, '/api/spans', null)).status).toBe(401);
  });

  it('separates admin keys from project keys and validates project names', async () => {
    const db = tempDb();
    await cli(db, 'projects', 'create', 'acme');
    const admin = await newKey(db, '--admin');
    const project = await newKey(db, '--project', 'acme');
    const c = await start(db);
    const post = (route: string, key: string, body: unknown) =>
      fetch(`${c.base}${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await get(c.base, '/api/projects', project)).status).toBe(403);
    expect((await get(c.base, '/api/spans', admin)).status).toBe(403);
    expect((await ingest(c.base, admin)).status).toBe(403);
    expect((await get(c.base, '/metrics', project)).status).toBe(403);
    expect((await get(c.base, '/metrics', admin)).status).toBe(200);
    expect((await get(c.base, '/healthz', null)).status).toBe(200); // health stays open

    const bad = await post('/api/projects', admin, { name: 'Not A Name' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe('name');
    expect((await post('/api/projects', admin, { name: 'globex' })).status).toBe(201);
    expect((await post('/api/projects', admin, { name: 'globex' })).status).toBe(409);
    expect((await post('/api/projects/nope/keys', admin, {})).status).toBe(404);
    const created = await post('/api/projects/globex/keys', admin, {});
    const { key } = (await created.json()) as { key: string };
    expect((await ingest(c.base, key)).status).toBe(200);

    const patch = (body: unknown) =>
      fetch(`${c.base}/api/projects/globex`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const badDays = await patch({ retentionDays: 0 });
    expect(badDays.status).toBe(400);
    expect(((await badDays.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe(
      'retentionDays',
    );
    expect(await (await patch({ retentionDays: 30 })).json()).toMatchObject({
      id: 'globex',
      retentionDays: 30,
    });

    const list = await get(c.base, '/api/projects/globex/keys', admin);
    const listed = JSON.stringify(await list.json());
    expect(listed).toContain(parseKey(key)!.id);
    expect(listed).not.toContain(parseKey(key)!.secret);

    // Key changes are in the audit log of the project they changed, with the admin key's id.
    const audit = (await (await get(c.base, '/api/audit', key)).json()) as {
      data: { route: string; method: string; keyId: string | null }[];
    };
    expect(audit.data).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        route: '/api/projects/:id/keys',
        keyId: parseKey(admin)!.id,
      }),
    );
  });

  it('the CLI refuses bad names, unknown projects and a third live key', async () => {
    const db = tempDb();
    expect((await cli(db, 'projects', 'create', 'Bad Name')).code).toBe(64);
    expect((await cli(db, 'keys', 'create', '--project', 'nope')).err).toMatch(
      /no project nope; create it first/,
    );
    await cli(db, 'projects', 'create', 'acme');
    expect((await cli(db, 'projects', 'create', 'acme')).code).toBe(1);
    await newKey(db, '--project', 'acme');
    await newKey(db, '--project', 'acme');
    const third = await cli(db, 'keys', 'create', '--project', 'acme');
    expect(third.code).toBe(1);
    expect(third.err).toMatch(/already has 2 live keys; revoke one first/);
    expect((await cli(db, 'keys', 'create')).code).toBe(64); // neither --project nor --admin
    const listed = await cli(db, 'keys', 'list', '--project', 'acme');
    expect(listed.out.trim().split('\n')).toHaveLength(2);
    expect((await cli(db, 'projects', 'list')).out).toMatch(/^acme\t.*\tdefault\ndefault\t/);
    expect((await cli(db, 'projects', 'set', 'acme', '--retention-days', '0')).code).toBe(64);
    expect((await cli(db, 'projects', 'set', 'nope', '--retention-days', '7')).code).toBe(1);
    expect((await cli(db, 'projects', 'set', 'acme', '--retention-days', '7')).code).toBe(0);
    expect((await cli(db, 'projects', 'list')).out).toMatch(/^acme\t\S+\t7\n/);
  });
});

describe('official OTel exporters with OTEL_EXPORTER_OTLP_HEADERS', () => {
  it.each([
    ['http/json', () => new OtlpHttpJsonExporter()],
    ['http/protobuf', () => new OtlpProtoExporter()],
  ])(
    '%s: the key in the standard environment variable puts spans in its project',
    async (_n, make) => {
      const db = tempDb();
      await cli(db, 'projects', 'create', 'acme');
      const key = await newKey(db, '--project', 'acme');
      const c = await start(db);
      const saved = { ...process.env };
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${c.base}/v1/traces`;
      process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${key}`;
      let provider: BasicTracerProvider;
      try {
        // The exporters read the environment when constructed.
        provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(make())] });
      } finally {
        process.env = saved;
      }
      const span = provider.getTracer('t').startSpan('chat gpt-4o', {
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      });
      span.end();
      await provider.forceFlush();
      await provider.shutdown();
      const res = await get(c.base, '/api/spans', key);
      const body = (await res.json()) as { data: { model: string; projectId: string }[] };
      expect(body.data.map((r) => [r.model, r.projectId])).toEqual([['gpt-4o', 'acme']]);
    },
  );
});
