/**
 * End-to-end ingest throughput, same load generator against: one collector on SQLite,
 * one collector on PostgreSQL, and three collectors on one PostgreSQL (requests spread
 * round-robin). Each collector is a separate process running the real app from the
 * TypeScript sources; a span counts once its request was answered 200 (committed).
 *
 * Run: `npx tsx bench/postgres-ingest.ts` (env `PILOTLIGHT_BENCH_DATABASE_URL`, default
 * the local test database; `BENCH_SECONDS` per configuration, `BENCH_CLIENTS`,
 * `BENCH_BATCH`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE_URL =
  process.env.PILOTLIGHT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 12);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);

interface Child {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function start(args: string[], env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve({ url: m[1], child, exited });
    });
    exited.then(() => reject(new Error(`collector exited: ${out}`)));
  });
}

const attr = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : { intValue: String(value) },
});

function body(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: BATCH }, (_, i) => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: (now + BigInt(i)).toString(),
    endTimeUnixNano: (now + BigInt(i) + 800_000_000n).toString(),
    attributes: [
      attr('gen_ai.operation.name', 'chat'),
      attr('gen_ai.provider.name', 'openai'),
      attr('gen_ai.request.model', 'gpt-4o-mini'),
      attr('gen_ai.usage.input_tokens', 420),
      attr('gen_ai.usage.output_tokens', 64),
      attr(
        'gen_ai.input.messages',
        JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'x'.repeat(400) }] }]),
      ),
    ],
    status: {},
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'bench')] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  });
}

/** Posts batches from `CLIENTS` concurrent clients for `SECONDS`; spans acknowledged per second. */
async function load(urls: string[]): Promise<{ spansPerSec: number; errors: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  let acked = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const url = urls[(c + n) % urls.length] as string;
        try {
          const res = await fetch(`${url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: body(),
          });
          await res.arrayBuffer();
          if (res.status === 200) acked += BATCH;
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { spansPerSec: acked / seconds, errors };
}

async function run(name: string, children: Child[]): Promise<void> {
  try {
    const { spansPerSec, errors } = await load(children.map((c) => c.url));
    console.log(
      `${name.padEnd(28)} ${String(Math.round(spansPerSec)).padStart(8)} spans/s  (${errors} non-200)`,
    );
  } finally {
    for (const c of children) c.child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
  }
}

async function main(): Promise<void> {
  console.log(
    `# ${CLIENTS} clients, ${BATCH} spans per request, ${SECONDS} s per configuration, OTLP JSON`,
  );
  const tmp = mkdtempSync(path.join(tmpdir(), 'pilotlight-bench-'));
  const schemas: string[] = [];
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await run('sqlite, 1 collector', [
      await start(['src/main.ts', 'serve'], {
        PILOTLIGHT_PORT: '0',
        PILOTLIGHT_DB: path.join(tmp, 'bench.db'),
      }),
    ]);
    for (const replicas of [1, 3]) {
      const schema = `pl_bench_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const env = { PL_TEST_PG_URL: DATABASE_URL, PL_TEST_PG_SCHEMA: schema };
      const children = [];
      for (let i = 0; i < replicas; i++)
        children.push(await start(['test/postgres-replica-child.ts'], env));
      await run(`postgres, ${replicas} collector${replicas > 1 ? 's' : ''}`, children);
    }
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
