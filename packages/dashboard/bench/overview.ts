// How long the Overview takes to open in headless Chromium with a big store: from navigation
// to the headline numbers and all six charts drawn, for each time range, against the real
// collector app (summary from rollups) with N synthetic calls spread over the last 7 days.
//
//   npm run bench -w @pilotlight/dashboard               # 1,000,000 calls
//   BENCH_CALLS=100000 npm run bench -w @pilotlight/dashboard
//
// Needs the built app (npm run build) and Debian's chromium.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, openSqliteStore } from '@pilotlight/collector';
import type { CallRecord } from '@pilotlight/conventions';
import { chromium } from 'playwright-core';
import { createDashboardRoutes, dashboardAssetsDir } from '../src/server/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/stack.ts';

/** Calls stored before measuring. */
const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
/** Calls per insert transaction. */
const BATCH = 5_000;
/** Page loads measured per range (the first is reported separately as cold). */
const RUNS = 5;
const SPAN_MS = 7 * 86_400_000;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'o3', 'text-embedding-3-small'];
const SERVICES = ['support-bot', 'search', 'summariser'];

function record(i: number, nowMs: number): CallRecord {
  const start = nowMs - Math.floor(((i * 7919) % CALLS) * (SPAN_MS / CALLS));
  const latency = 50 + ((i * 37) % 2000);
  const start_ = new Date(start);
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: null,
    projectId: 'default',
    name: 'chat',
    operation: i % 10 === 0 ? 'embeddings' : 'chat',
    provider: i % 5 === 2 ? 'anthropic' : 'openai',
    model: MODELS[i % MODELS.length] as string,
    responseModel: null,
    responseId: null,
    finishReasons: ['stop'],
    serviceName: SERVICES[i % SERVICES.length] as string,
    startTime: start_.toISOString(),
    endTime: new Date(start + latency).toISOString(),
    startTimeUnixNano: (BigInt(start) * 1_000_000n).toString(),
    durationMs: latency,
    ttftMs: i % 3 === 0 ? latency / 4 : null,
    inputTokens: 100 + (i % 400),
    outputTokens: 20 + (i % 200),
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.0001 * (1 + (i % 7)),
    costSource: 'sdk',
    confidence: 0.5 + (i % 50) / 100,
    status: i % 40 === 0 ? 'error' : 'ok',
    errorType: i % 40 === 0 ? '500' : null,
    input: null,
    output: null,
    sourceDialect: 'pilotlight',
    warnings: [],
    attributes: {},
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

if (!existsSync(join(dashboardAssetsDir(), 'index.html'))) {
  console.error('Build the app first: npm run build -w @pilotlight/dashboard');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'pl-dash-bench-'));
const store = openSqliteStore({ path: join(dir, 'pilotlight.db'), synchronous: 'normal' });
const nowMs = Date.now();
const seedStart = performance.now();
for (let i = 0; i < CALLS; i += BATCH) {
  const batch: CallRecord[] = [];
  for (let j = i; j < Math.min(CALLS, i + BATCH); j++) batch.push(record(j, nowMs));
  await store.insertCalls('default', batch);
}
console.log(
  `seeded ${CALLS.toLocaleString('en-US')} calls in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
);

const app = createApp({ store });
app.route('/', createDashboardRoutes());
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
try {
  console.log('range  cold ms  p50 ms  max ms  (navigation → headlines and 6 charts drawn)');
  for (const range of ['1h', '24h', '7d', '30d']) {
    const times: number[] = [];
    let cold = 0;
    for (let r = 0; r <= RUNS; r++) {
      const t0 = performance.now();
      await page.goto(`${url}/?range=${range}`);
      await page.locator('.headline').first().waitFor();
      await page.waitForFunction(
        () => document.querySelectorAll('.chart .uplot canvas').length === 6,
      );
      const ms = performance.now() - t0;
      if (r === 0) cold = ms;
      else times.push(ms);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${range.padEnd(5)}  ${cold.toFixed(0).padStart(7)}  ${percentile(times, 0.5).toFixed(0).padStart(6)}  ${(times.at(-1) ?? 0).toFixed(0).padStart(6)}`,
    );
  }
} finally {
  await browser.close();
  server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
