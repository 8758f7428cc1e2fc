/**
 * End-to-end ingest throughput, same load generator against: one collector on SQLite,
 * one collector on PostgreSQL, and three collectors on one PostgreSQL (requests spread
 * round-robin, background jobs on the elected leader). Each collector is a separate process
 * running the full `startCollector` from the TypeScript sources (bench/postgres-collector.ts);
 * a span counts once its request was answered 200 (committed: SQLite `synchronous=FULL`,
 * PostgreSQL `synchronous_commit=on`). Configurations are interleaved over `BENCH_ROUNDS`
 * rounds and the median per configuration is reported, with its ratio to SQLite.
 *
 * Run: `npm run bench -w @pilotlight/collector -- pg-ingest` or `npx tsx bench/postgres-ingest.ts`
 * (env `PILOTLIGHT_BENCH_DATABASE_URL`, default the local test database; `BENCH_SECONDS` per
 * configuration and round, `BENCH_ROUNDS`, `BENCH_CLIENTS`, `BENCH_BATCH`, `BENCH_PG_POOL`).
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PG_POOL = process.env.BENCH_PG_POOL ?? '10';

interface Child {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function start(args: string[], env: Record<string, string>): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', ...args],
    {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
interface LoadResult {
  spansPerSec: number;
  errors: number;
  /** Request latency percentiles (ms). */
  p50Ms: number;
  p99Ms: number;
}

async function load(urls: string[]): Promise<LoadResult> {
  const deadline = Date.now() + SECONDS * 1000;
  let acked = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const url = urls[(c + n) % urls.length] as string;
        const sent = performance.now();
        try {
          const res = await fetch(`${url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: body(),
          });
          await res.arrayBuffer();
          latencies.push(performance.now() - sent);
          if (res.status === 200) acked += BATCH;
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { spansPerSec: acked / seconds, errors, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Runs the load against `children`, then stops them (SIGTERM: a clean close). */
async function run(children: Child[]): Promise<LoadResult> {
  try {
    return await load(children.map((c) => c.url));
  } finally {
    for (const c of children) c.child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  console.log(
    `# ${CLIENTS} clients, ${BATCH} spans per request, OTLP JSON, ${SECONDS} s per configuration, ` +
      `${ROUNDS} interleaved rounds (median), PostgreSQL pool ${PG_POOL} per collector`,
  );
  const tmp = mkdtempSync(path.join(tmpdir(), 'pilotlight-bench-'));
  const schemas: string[] = [];
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const configs: { name: string; start: () => Promise<Child[]> }[] = [
    {
      name: 'SQLite, 1 collector',
      start: async () => [
        await start(['bench/postgres-collector.ts'], {
          BENCH_SQLITE_PATH: path.join(tmp, `bench-${randomBytes(4).toString('hex')}.db`),
        }),
      ],
    },
    ...[1, 3].map((replicas) => ({
      name: `PostgreSQL, ${replicas} collector${replicas > 1 ? 's' : ''}`,
      start: async () => {
        const schema = `pl_bench_${randomBytes(4).toString('hex')}`;
        schemas.push(schema);
        const env = { BENCH_PG_URL: DATABASE_URL, BENCH_PG_SCHEMA: schema, BENCH_PG_POOL: PG_POOL };
        // The first migrates the schema; the others start together.
        const first = await start(['bench/postgres-collector.ts'], env);
        const rest = await Promise.all(
          Array.from({ length: replicas - 1 }, () => start(['bench/postgres-collector.ts'], env)),
        );
        return [first, ...rest];
      },
    })),
  ];
  const results = new Map<string, LoadResult[]>(configs.map((c) => [c.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const config of configs) {
        const r = await run(await config.start());
        results.get(config.name)!.push(r);
        console.log(
          `  round ${round + 1} ${config.name.padEnd(26)} ${String(Math.round(r.spansPerSec)).padStart(7)} spans/s` +
            `  p50 ${r.p50Ms.toFixed(0)} ms  p99 ${r.p99Ms.toFixed(0)} ms  (${r.errors} non-200)`,
        );
      }
    }
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
    rmSync(tmp, { recursive: true, force: true });
  }
  // Each round's figure against the SQLite figure of the same round, so that load changes
  // between rounds (a shared machine) cancel out; the median and range of those ratios.
  const sqlite = results.get(configs[0]!.name)!.map((r) => r.spansPerSec);
  console.log(
    '\n| Setup | spans/s (median) | vs SQLite, same round (median, range) | p50 request | p99 request | non-200 |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, rs] of results) {
    const ratios = rs.map((r, i) => r.spansPerSec / (sqlite[i] ?? Number.NaN));
    console.log(
      `| ${name} | ${(median(rs.map((r) => r.spansPerSec)) / 1000).toFixed(1)}k | ` +
        `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ` +
        `${median(rs.map((r) => r.p50Ms)).toFixed(0)} ms | ${median(rs.map((r) => r.p99Ms)).toFixed(0)} ms | ` +
        `${rs.reduce((n, r) => n + r.errors, 0)} |`,
    );
  }
}

await main();
