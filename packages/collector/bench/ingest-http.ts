/**
 * Ingest throughput end to end over real HTTP: OTLP protobuf and JSON, 100-span
 * batches, 10 and 50 concurrent keep-alive connections, against a collector in its own
 * process, as a ratio to two ceilings measured in the same run:
 * - decode ceiling: the same app and route with a store that acknowledges without
 *   writing (`ingest-server.ts`, mode `decode`): HTTP, decoding and normalising only;
 * - SQLite ceiling: better-sqlite3 doing only the inserts, one 100-row transaction per
 *   batch, `synchronous=FULL` (`ingest-sqlite.ts`).
 * Both the writer-thread store (default) and the earlier single-event-loop store
 * (`inline`) are measured. A span counts once its request was answered 200 (committed).
 * The collector's RSS is sampled from /proc every 250 ms while it runs. The collector
 * runs bundled to plain JavaScript, as released (see `serverEntry`).
 *
 * Configurations run interleaved, round after round; medians are reported.
 *
 * Sections (`BENCH_SECTIONS`, default all three):
 * - `throughput`: the ratios above;
 * - `overload`: `BENCH_OVERLOAD_CONNECTIONS` (300) connections against the ingest route on
 *   the writer-thread store with admission control off, with the count caps only, and on
 *   (default: wait bound and count caps; `BENCH_OVERLOAD_MODES` picks among `no-admit`,
 *   `admit-counts`, `admit`): spans/s, p50/p99 latency of every answer, refusals (all must
 *   carry Retry-After; clients wait it out, as OTLP exporters do);
 * - `rss`: the collector (writer thread, default limits) under 50 connections of protobuf
 *   for `BENCH_RSS_SECONDS` (120): RSS every 10 s and its peak.
 *
 * Run: `npx tsx --conditions=@pilotlight/source bench/ingest-http.ts` (env `BENCH_ROUNDS`
 * default 3, `BENCH_SECONDS` measured per configuration default 8, `BENCH_WARMUP` 2,
 * `BENCH_MODES` default `decode,store,inline`, `BENCH_CONNECTIONS` default `10,50`,
 * `BENCH_ENCODINGS` default `protobuf,json`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BodyTemplate, bodyFor, makeTemplates, SPANS_PER_BATCH } from './ingest-bodies.js';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const list = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback).split(',').filter((s) => s !== '');
const MODES = list('BENCH_MODES', 'decode,store,inline');
const CONNECTIONS = list('BENCH_CONNECTIONS', '10,50').map(Number);
const ENCODINGS = list('BENCH_ENCODINGS', 'protobuf,json') as ('protobuf' | 'json')[];
const SECTIONS = list('BENCH_SECTIONS', 'throughput,overload,rss');
const OVERLOAD_CONNECTIONS = Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? 300);
const OVERLOAD_MODES = list('BENCH_OVERLOAD_MODES', 'no-admit,admit-counts,admit');
const RSS_SECONDS = Number(process.env.BENCH_RSS_SECONDS ?? 120);

interface Server {
  url: URL;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The server and the writer thread bundled to plain JavaScript (esbuild, as a release
 * build is): the collector runs as users run it, without tsx compiling TypeScript in
 * both threads (which alone adds some 50 MiB of RSS). Built once per run, next to the
 * package so that `better-sqlite3` resolves; `BENCH_BUNDLE=0` runs the sources via tsx.
 */
const BUNDLE_DIR = path.join(DIR, '..', '.bench-build');
let bundled: string | null = null;
async function serverEntry(): Promise<string[]> {
  if (process.env.BENCH_BUNDLE === '0') {
    return [
      '--conditions=@pilotlight/source',
      '--import',
      'tsx',
      path.join(DIR, 'ingest-server.ts'),
    ];
  }
  if (bundled === null) {
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: {
        'ingest-server': path.join(DIR, 'ingest-server.ts'),
        // The name the store looks for next to its bundled code.
        'sqlite-writer': path.join(DIR, '..', 'src', 'store', 'sqlite', 'writer-worker.ts'),
      },
      outdir: BUNDLE_DIR,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@pilotlight/source'],
      external: ['better-sqlite3', 'pg', 'pg-native', 'pg-cloudflare'],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'warning',
    });
    bundled = path.join(BUNDLE_DIR, 'ingest-server.js');
  }
  return [bundled];
}

/** Starts `ingest-server.ts` in `mode`, with extra environment. */
export async function startServer(mode: string, env: Record<string, string> = {}): Promise<Server> {
  // `BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` profiles the collector.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...(await serverEntry())], {
    env: { ...process.env, BENCH_MODE: mode, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve({ url: new URL(m[1]), child, exited });
    });
    exited.then(() => reject(new Error(`server exited: ${out}`)));
  });
}

export async function stopServer(s: Server): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

/** Resident set size of a process, MiB (Linux). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

export interface LoadResult {
  spansPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 200, by status. */
  refused: Record<string, number>;
  /** Refused answers without a Retry-After header. */
  refusedWithoutRetryAfter: number;
  /** Refused answers by their Retry-After value (s). */
  retryAfter: Record<string, number>;
  peakRssMiB: number;
  /** RSS (MiB) at each 10 s mark of the measured time. */
  rssEvery10s: number[];
}

function post(
  agent: http.Agent,
  url: URL,
  t: BodyTemplate,
  body: Buffer,
): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/traces',
        method: 'POST',
        headers: { 'content-type': t.contentType, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }),
        );
        res.on('error', reject);
      },
    );
    // A connection the server closed under a refusal (Hono's node adapter gives an unread
    // body 500 ms to drain, then closes the socket): an OTLP exporter retries it after its
    // backoff, so the load generator does too, counted as `reset` (status 0).
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        resolve({ status: 0, retryAfter: undefined });
      } else reject(error);
    });
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let requestCounter = 0;

/**
 * `connections` clients posting back to back for `WARMUP + SECONDS`; figures cover the
 * last `SECONDS`. A refused request (429/503) waits its Retry-After, as OTLP exporters do.
 */
export async function load(
  server: Server,
  t: BodyTemplate,
  connections: number,
  seconds = SECONDS,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const measureFrom = performance.now() + WARMUP * 1000;
  const end = measureFrom + seconds * 1000;
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let refusedWithoutRetryAfter = 0;
  const retryAfter: Record<string, number> = {};
  let acked = 0;
  let peakRssMiB = 0;
  const rssEvery10s: number[] = [];
  let nextMark = measureFrom + 10_000;
  const sampler = setInterval(() => {
    const now = performance.now();
    if (now < measureFrom) return;
    const rss = rssMiB(server.child.pid!);
    peakRssMiB = Math.max(peakRssMiB, rss);
    if (now >= nextMark) {
      rssEvery10s.push(rss);
      nextMark += 10_000;
    }
  }, 250);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const body = bodyFor(t, requestCounter++);
        const t0 = performance.now();
        const res = await post(agent, server.url, t, body);
        const t1 = performance.now();
        const counted = t0 >= measureFrom && t1 <= end;
        if (counted) latencies.push(t1 - t0);
        if (res.status === 200) {
          if (counted) acked += SPANS_PER_BATCH;
          continue;
        }
        const reason = res.status === 0 ? 'reset' : String(res.status);
        if (counted) refused[reason] = (refused[reason] ?? 0) + 1;
        if (res.status === 0) {
          await sleep(1000);
        } else if (res.retryAfter === undefined) {
          if (counted) refusedWithoutRetryAfter++;
          await sleep(100);
        } else {
          if (counted) retryAfter[res.retryAfter] = (retryAfter[res.retryAfter] ?? 0) + 1;
          await sleep(Number(res.retryAfter) * 1000);
        }
      }
    }),
  );
  clearInterval(sampler);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    spansPerSec: acked / seconds,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    refused,
    refusedWithoutRetryAfter,
    retryAfter,
    peakRssMiB,
    rssEvery10s,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function sqliteCeiling(): { raw: number; rawGrouped: number; store: number } {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', path.join(DIR, 'ingest-sqlite.ts')],
    { env: { ...process.env, BENCH_SECONDS: String(SECONDS) }, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ingest-sqlite.ts failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    raw: number;
    rawGrouped: number;
    store: number;
  };
}

async function throughput(tmp: string, templates: ReturnType<typeof makeTemplates>): Promise<void> {
  const results = new Map<string, LoadResult[]>();
  const ceilings: { raw: number[]; rawGrouped: number[]; store: number[] } = {
    raw: [],
    rawGrouped: [],
    store: [],
  };
  console.log(
    `# ${SPANS_PER_BATCH}-span batches, ${SECONDS} s measured after ${WARMUP} s warm-up, ${ROUNDS} rounds`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    const c = sqliteCeiling();
    ceilings.raw.push(c.raw);
    ceilings.rawGrouped.push(c.rawGrouped);
    ceilings.store.push(c.store);
    console.log(
      `round ${round + 1}: sqlite inserts only ${Math.round(c.raw)} spans/s (100/commit), ${Math.round(c.rawGrouped)} (5,000/commit), store write in-thread ${Math.round(c.store)}`,
    );
    for (const encoding of ENCODINGS) {
      for (const connections of CONNECTIONS) {
        for (const mode of MODES) {
          const server = await startServer(mode, {
            BENCH_DB: path.join(tmp, `r${round}-${encoding}-${connections}-${mode}.db`),
          });
          let r: LoadResult;
          try {
            r = await load(server, templates[encoding], connections);
          } finally {
            await stopServer(server);
          }
          const key = `${encoding}|${connections}|${mode}`;
          results.set(key, [...(results.get(key) ?? []), r]);
          console.log(
            `round ${round + 1}: ${encoding.padEnd(8)} c=${String(connections).padEnd(3)} ${mode.padEnd(7)} ${String(Math.round(r.spansPerSec)).padStart(7)} spans/s  p50 ${r.p50Ms.toFixed(0)} ms  p99 ${r.p99Ms.toFixed(0)} ms  RSS ${r.peakRssMiB.toFixed(0)} MiB  refused ${JSON.stringify(r.refused)}`,
          );
        }
      }
    }
  }
  const raw = median(ceilings.raw);
  console.log(
    `\nmedians: SQLite inserts only ${Math.round(raw)} spans/s (100 rows/commit), ${Math.round(median(ceilings.rawGrouped))} (5,000 rows/commit); store write in-thread ${Math.round(median(ceilings.store))}`,
  );
  console.log(
    '| Encoding | Connections | decode ceiling | SQLite ceiling | lower | writer thread | ratio to lower | single loop | ratio to lower | p99 writer / single (ms) | peak RSS writer (MiB) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const encoding of ENCODINGS) {
    for (const connections of CONNECTIONS) {
      const m = (mode: string, f: (r: LoadResult) => number) =>
        median((results.get(`${encoding}|${connections}|${mode}`) ?? []).map(f));
      const decode = m('decode', (r) => r.spansPerSec);
      const lower = Math.min(decode, raw);
      const store = m('store', (r) => r.spansPerSec);
      const inline = m('inline', (r) => r.spansPerSec);
      console.log(
        `| ${encoding} | ${connections} | ${Math.round(decode)} | ${Math.round(raw)} | ${Math.round(lower)} | ${Math.round(store)} | ${(store / lower).toFixed(2)} | ${Math.round(inline)} | ${(inline / lower).toFixed(2)} | ${m('store', (r) => r.p99Ms).toFixed(0)} / ${m('inline', (r) => r.p99Ms).toFixed(0)} | ${m('store', (r) => r.peakRssMiB).toFixed(0)} |`,
      );
    }
  }
}

async function overload(tmp: string, templates: ReturnType<typeof makeTemplates>): Promise<void> {
  console.log(
    `\n# overload: ${OVERLOAD_CONNECTIONS} connections, protobuf, ingest route on the writer-thread store, ${ROUNDS} rounds`,
  );
  const results = new Map<string, LoadResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of OVERLOAD_MODES) {
      const server = await startServer(mode, {
        BENCH_DB: path.join(tmp, `overload-r${round}-${mode}.db`),
      });
      let r: LoadResult;
      try {
        r = await load(server, templates.protobuf, OVERLOAD_CONNECTIONS);
      } finally {
        await stopServer(server);
      }
      results.set(mode, [...(results.get(mode) ?? []), r]);
      console.log(
        `round ${round + 1}: ${mode.padEnd(12)} ${String(Math.round(r.spansPerSec)).padStart(7)} spans/s  p50 ${r.p50Ms.toFixed(0)} ms  p99 ${r.p99Ms.toFixed(0)} ms  refused ${JSON.stringify(r.refused)} (Retry-After s: ${JSON.stringify(r.retryAfter)}, without: ${r.refusedWithoutRetryAfter})  RSS ${r.peakRssMiB.toFixed(0)} MiB`,
      );
    }
  }
  console.log('| Admission control | spans/s | p50 ms | p99 ms | refused per s | peak RSS MiB |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const label: Record<string, string> = {
    'no-admit': 'off',
    'admit-counts': 'count caps only',
    admit: 'on (wait bound + count caps)',
  };
  for (const mode of OVERLOAD_MODES) {
    const rs = results.get(mode)!;
    const m = (f: (r: LoadResult) => number) => median(rs.map(f));
    console.log(
      `| ${label[mode] ?? mode} | ${Math.round(m((r) => r.spansPerSec))} | ${m((r) => r.p50Ms).toFixed(0)} | ${m((r) => r.p99Ms).toFixed(0)} | ${m((r) => Object.values(r.refused).reduce((a, b) => a + b, 0) / SECONDS).toFixed(0)} | ${m((r) => r.peakRssMiB).toFixed(0)} |`,
    );
  }
}

async function rss(tmp: string, templates: ReturnType<typeof makeTemplates>): Promise<void> {
  console.log(
    `\n# RSS: collector (writer thread) under 50 connections of protobuf for ${RSS_SECONDS} s`,
  );
  const server = await startServer('store', { BENCH_DB: path.join(tmp, 'rss.db') });
  const idle = rssMiB(server.child.pid!);
  let r: LoadResult;
  try {
    r = await load(server, templates.protobuf, 50, RSS_SECONDS);
  } finally {
    await stopServer(server);
  }
  console.log(
    `idle after start ${idle.toFixed(0)} MiB; ${Math.round(r.spansPerSec)} spans/s sustained (${Math.round(r.spansPerSec * RSS_SECONDS)} spans); RSS every 10 s: ${r.rssEvery10s.map((x) => x.toFixed(0)).join(', ')} MiB; peak ${r.peakRssMiB.toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  const templates = makeTemplates();
  const tmp = mkdtempSync(path.join(tmpdir(), 'pilotlight-ingest-bench-'));
  try {
    if (SECTIONS.includes('throughput')) await throughput(tmp, templates);
    if (SECTIONS.includes('overload')) await overload(tmp, templates);
    if (SECTIONS.includes('rss')) await rss(tmp, templates);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(BUNDLE_DIR, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
