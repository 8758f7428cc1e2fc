/**
 * Overhead benchmark (issue 4). Every variant runs in its own process; variants are
 * interleaved round by round (rotating order) so machine noise hits them alike; each
 * variant's spans are counted at a local OTLP sink and a variant that lost spans is
 * reported as invalid. Figures are paired per round against the bare call of that round.
 * Workers run as plain JavaScript compiled from source first (see `buildWorker`).
 *
 *   npm run bench -w @pilotlight/sdk                       # plain + streaming
 *   npm run bench -w @pilotlight/sdk -- --rounds 7 --calls 4000
 *   npm run bench -w @pilotlight/sdk -- --mode plain --warmup 1000 --calls 3000  # JIT warm-up window
 *   npm run bench -w @pilotlight/sdk -- --mode plain --rounds 11   # one call shape only
 *   npm run bench -w @pilotlight/sdk -- --outage 600       # heap during a 10-min outage
 *   npm run bench -w @pilotlight/sdk -- --outage-calls 600000  # the same calls, back to back
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { CountingSink } from './sink.js';
import type { Variant, WorkerConfig, WorkerResult } from './worker.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag('rounds', 5);
/**
 * Measured and warm-up calls per variant and round. Plain calls default to the steady state
 * (5,000 warm-up, 10,000 measured): a long-running service pays the JIT's compile work once,
 * and in a 1,000-call warm-up window most of every variant's added CPU is V8's background
 * compiler threads, not the per-call cost. `--warmup 1000 --calls 3000` measures that window.
 * Streaming calls are ~50× longer, so 1,000/3,000 already reach the steady state.
 */
const CALLS_BY_MODE = { plain: flag('calls', 10_000), stream: flag('calls', 3000) };
const WARMUP_BY_MODE = { plain: flag('warmup', 5000), stream: flag('warmup', 1000) };
const CHUNKS = flag('chunks', 50);
const YIELD_EVERY = flag('yield-every', 20);
const OUTAGE_SEC = flag('outage', 0);
const OUTAGE_CALLS = flag('outage-calls', 0);
/** `--mode plain` or `--mode stream` measures one call shape only (default: both). */
const MODE = args.includes('--mode') ? args[args.indexOf('--mode') + 1] : undefined;
const VARIANTS: Variant[] = ['bare', 'pilotlight', 'openllmetry', 'openinference'];
const WORKER = await buildWorker();

/**
 * Compiles the worker, with pilotlight's source (and `@pilotlight/conventions`) bundled in,
 * to plain JavaScript the way the published build is made (esbuild via tsup, target node20),
 * and runs it with plain `node`. Running pilotlight from TypeScript through `tsx` would add
 * transform overhead the published build does not have (`keepNames` wraps every named
 * function in a `__name` call), while OpenLLMetry and OpenInference run from their published
 * JavaScript. Every other package stays external: loaded from node_modules as users load it.
 */
async function buildWorker(): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  // Inside node_modules (ignored by git), so the external packages resolve as from the package.
  const outDir = `${here}../node_modules/.bench`;
  await build({
    config: false,
    entry: { worker: `${here}worker.ts` },
    outDir,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    silent: true,
    noExternal: [/^@pilotlight\//],
    esbuildPlugins: [
      {
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@pilotlight/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    esbuildOptions(options) {
      options.conditions = ['@pilotlight/source'];
    },
  });
  return `${outDir}/worker.mjs`;
}

function runWorker(cfg: WorkerConfig, nodeFlags: string[] = []): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, WORKER, JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, OTEL_SDK_DISABLED: undefined, TRACELOOP_TELEMETRY: 'false' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as WorkerResult);
      } catch {
        reject(new Error(`${cfg.variant} exited ${code}: ${out}`));
      }
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number, digits = 1): string => x.toFixed(digits);

async function measure(mode: 'plain' | 'stream', sink: CountingSink): Promise<void> {
  const perRound: Record<Variant, number[]> = {
    bare: [],
    pilotlight: [],
    openllmetry: [],
    openinference: [],
  };
  const cpuRound: Record<Variant, number[]> = {
    bare: [],
    pilotlight: [],
    openllmetry: [],
    openinference: [],
  };
  const invalid = new Set<string>();
  const CALLS = CALLS_BY_MODE[mode];
  const WARMUP = WARMUP_BY_MODE[mode];
  for (let round = 0; round < ROUNDS; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length] as Variant);
    for (const variant of order) {
      const service = `bench-${mode}-${variant}-${round}`;
      const r = await runWorker({
        variant,
        mode,
        calls: CALLS,
        warmup: WARMUP,
        chunks: CHUNKS,
        yieldEvery: YIELD_EVERY,
        sinkUrl: sink.url,
        service,
      });
      await new Promise((res) => setTimeout(res, 300));
      const received = sink.counts.get(service) ?? 0;
      if (variant !== 'bare' && received !== r.totalCalls) {
        invalid.add(`${variant} round ${round}: ${received}/${r.totalCalls} spans`);
        continue;
      }
      perRound[variant][round] = r.perCallUs;
      cpuRound[variant][round] = r.cpuPerCallUs ?? Number.NaN;
      process.stderr.write(
        `${mode} round ${round} ${variant}: ${fmt(r.perCallUs)} µs/call wall, ${fmt(r.cpuPerCallUs ?? Number.NaN)} µs CPU, spans ${received}\n`,
      );
    }
  }
  const perChunk = mode === 'stream' ? ' added wall µs per chunk | added CPU µs per chunk |' : '';
  const lines = [
    `### ${mode === 'plain' ? 'Non-streaming chat.completions.create' : `Streaming (${CHUNKS} content chunks + role, finish and usage chunks)`}`,
    '',
    `${ROUNDS} rounds × ${CALLS} measured calls (after ${WARMUP} warm-up) per variant and round, loop yielding every ${YIELD_EVERY} calls; medians over rounds of the per-round difference against the bare call of the same round.`,
    '',
    `| Variant | wall µs/call | added wall µs | wall ratio to bare | CPU µs/call | added CPU µs | CPU ratio to bare |${perChunk}`,
    `| --- | --- | --- | --- | --- | --- | --- |${mode === 'stream' ? ' --- | --- |' : ''}`,
  ];
  const stats = (table: Record<Variant, number[]>, v: Variant) => {
    const pairs = table[v]
      .map((x, i) => ({ x, b: table.bare[i] }))
      .filter((p): p is { x: number; b: number } => p.x !== undefined && p.b !== undefined);
    return {
      n: pairs.length,
      value: median(pairs.map((p) => p.x)),
      added: median(pairs.map((p) => p.x - p.b)),
      ratio: median(pairs.map((p) => p.x / p.b)),
    };
  };
  for (const v of VARIANTS) {
    const w = stats(perRound, v);
    const c = stats(cpuRound, v);
    if (w.n === 0) {
      lines.push(`| ${v} | invalid (spans lost) | | | | | |${mode === 'stream' ? ' | |' : ''}`);
      continue;
    }
    const dash = v === 'bare';
    let row = `| ${v} | ${fmt(w.value)} | ${dash ? '—' : fmt(w.added)} | ${fmt(w.ratio, 2)} | ${fmt(c.value)} | ${dash ? '—' : fmt(c.added)} | ${fmt(c.ratio, 2)} |`;
    if (mode === 'stream') {
      const chunks = CHUNKS + 3;
      row += dash ? ' — | — |' : ` ${fmt(w.added / chunks, 2)} | ${fmt(c.added / chunks, 2)} |`;
    }
    lines.push(row);
  }
  // Issue 4's target: pilotlight's added cost at most half of the cheaper competitor's.
  for (const [label, table] of [
    ['wall', perRound],
    ['CPU', cpuRound],
  ] as const) {
    const added = (v: Variant) => stats(table, v).added;
    const cheaper = Math.min(added('openllmetry'), added('openinference'));
    const perRoundRatios = table.pilotlight
      .map((x, i) => {
        const b = table.bare[i];
        const o = table.openllmetry[i];
        const n = table.openinference[i];
        if (x === undefined || b === undefined || o === undefined || n === undefined) return null;
        return (x - b) / Math.min(o - b, n - b);
      })
      .filter((r): r is number => r !== null && Number.isFinite(r));
    lines.push(
      '',
      `pilotlight's added ${label} time ÷ the cheaper competitor's: ${fmt(added('pilotlight') / cheaper, 2)} on the medians; per round ${fmt(median(perRoundRatios), 2)} (${fmt(Math.min(...perRoundRatios), 2)}–${fmt(Math.max(...perRoundRatios), 2)}) (target ≤ 0.5)`,
    );
  }
  if (invalid.size > 0) lines.push('', `Invalid runs (spans lost): ${[...invalid].join('; ')}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const sink = await new CountingSink().start();
try {
  if (OUTAGE_CALLS > 0) {
    const r = await runWorker(
      {
        variant: 'pilotlight',
        mode: 'outage',
        calls: 0,
        warmup: 0,
        chunks: 0,
        yieldEvery: YIELD_EVERY,
        sinkUrl: await closedPortUrl(),
        service: 'bench-outage',
        simulatedCalls: OUTAGE_CALLS,
      },
      ['--expose-gc'],
    );
    process.stdout.write(
      `### Collector outage, simulated: ${OUTAGE_CALLS} calls back to back against a closed port\n\n` +
        `calls: ${r.totalCalls}, spans dropped and counted: ${r.dropped}, still held (queue + batch being retried): ${r.held}\n\n` +
        `heapUsed after a full GC (MB): before the first call ${r.heapBaselineMb}; every ${OUTAGE_CALLS / 10} calls: ${(r.heapSamplesMb ?? []).join(', ')}\n\n`,
    );
  } else if (OUTAGE_SEC > 0) {
    const r = await runWorker({
      variant: 'pilotlight',
      mode: 'outage',
      calls: 0,
      warmup: 0,
      chunks: 0,
      yieldEvery: 1,
      sinkUrl: await closedPortUrl(),
      service: 'bench-outage',
      ratePerSec: flag('rate', 1000),
      durationSec: OUTAGE_SEC,
    });
    process.stdout.write(
      `### Collector outage: ${OUTAGE_SEC} s at ${flag('rate', 1000)} calls/s\n\n` +
        `calls: ${r.totalCalls}, spans dropped and counted: ${r.dropped}\n\n` +
        `heapUsed every 10 s (MB): ${(r.heapSamplesMb ?? []).join(', ')}\n\n`,
    );
  } else {
    process.stdout.write(`Node ${process.version}, ${new Date().toISOString()}\n\n`);
    if (MODE !== 'stream') await measure('plain', sink);
    if (MODE !== 'plain') await measure('stream', sink);
  }
} finally {
  await sink.stop();
}
