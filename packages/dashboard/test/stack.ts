// The real stack for the browser tests: the collector's own app (SQLite file in a temp
// dir) with the dashboard mounted exactly as the collector mounts it, seeded through the
// SDK and the examples' mock model server; and a headless Debian Chromium.
//
// @pilotlight/collector is deliberately not in this package's devDependencies: the
// collector depends on the dashboard (it serves dist/app), and turbo refuses a cycle even
// through devDependencies. The tests reach it as a workspace sibling (root node_modules),
// from its sources through the @pilotlight/source condition, so no build order is needed.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { trace } from '@opentelemetry/api';
import { createApp, openDriftAndAlerts, openSqliteStore } from '@pilotlight/collector';
import { startMockModelServer } from '@pilotlight/mock-model-server';
import { flush, init, recordFeedback, shutdown, traceCall, wrapOpenAI } from '@pilotlight/sdk';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createDashboardRoutes } from '../src/server/index.ts';

/** Attacker-controlled text that must stay text in every view. */
export const XSS_CORPUS = [
  '<script>window.__pwned = 1; alert("script")</script>',
  '<img src=x onerror="window.__pwned = 2; alert(\'onerror\')">',
  '<a href="javascript:alert(\'link\')">click me</a>',
  '<svg onload="alert(\'svg\')"><script>alert("svg-script")</script></svg>',
  '![tracker](https://evil.example/pixel.png)',
  '<img src="https://evil.example/remote.png">',
  '<iframe src="https://evil.example/frame"></iframe>',
  '<style>@import url("https://evil.example/x.css");</style>',
].join('\n');

/** A model name that is itself markup (it shows in the table, the waterfall and the legends). */
export const XSS_MODEL = '<img src=x onerror=alert(7)>';

const packageDir = join(import.meta.dirname, '..');
const ARTIFACTS = join(packageDir, 'test-artifacts');
const SCREENSHOTS = join(packageDir, 'screenshots');

/**
 * Saves the page to the run's artifacts (gitignored). With UPDATE_SCREENSHOTS=1 it also
 * refreshes the committed copy the README shows, so an ordinary run leaves the tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(SCREENSHOTS, `${name}.png`));
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless and quiet: nothing but the pages' own requests leaves the browser. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Seeded {
  /** GenAI calls (spans with an operation) sent. */
  genAiCalls: number;
  errorCalls: number;
  miniCalls: number;
  /** The trace whose prompts, outputs and attributes carry the XSS corpus. */
  xssTraceId: string;
  /** A plain chat trace (parent span + two model calls). */
  chatTraceId: string;
}

export interface Stack {
  url: string;
  seeded: Seeded;
  browser: Browser;
  close(): Promise<void>;
}

/** Rounds of seeded traffic: enough rows for more than one 50-row page. */
const ROUNDS = 24;

async function seed(url: string): Promise<Seeded> {
  const mock = await startMockModelServer();
  init({ endpoint: url, serviceName: 'dashboard-e2e', flushOnExit: false, scheduledDelayMs: 200 });
  const openai = wrapOpenAI(
    new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'mock-key', maxRetries: 0 }),
  );
  let genAiCalls = 0;
  let errorCalls = 0;
  let miniCalls = 0;
  let chatTraceId = '';
  let chatSpanId = '';
  let xssTraceId = '';
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const model = i % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4o';
      await traceCall(
        'answer-question',
        async () => {
          chatTraceId ||= trace.getActiveSpan()?.spanContext().traceId ?? '';
          chatSpanId ||= trace.getActiveSpan()?.spanContext().spanId ?? '';
          await openai.chat.completions.create({
            model,
            messages: [
              { role: 'system', content: 'Answer in one short sentence.' },
              { role: 'user', content: `Question number ${i}: what is the capital of France?` },
            ],
          });
          const stream = await openai.chat.completions.create({
            model,
            messages: [{ role: 'user', content: `Stream answer ${i}` }],
            stream: true,
            stream_options: { include_usage: true },
          });
          for await (const _chunk of stream) {
            // Drain the stream.
          }
        },
        { input: `round ${i}`, kind: 'chain' },
      );
      genAiCalls += 2;
      if (model === 'gpt-4o-mini') miniCalls += 2;
      if (i % 6 === 5) {
        await openai.chat.completions
          .create({ model: 'mock-error-500', messages: [{ role: 'user', content: 'fail please' }] })
          .catch(() => undefined);
        genAiCalls += 1;
        errorCalls += 1;
      }
    }
    await traceCall(
      `xss ${XSS_CORPUS}`,
      async () => {
        const span = trace.getActiveSpan();
        xssTraceId = span?.spanContext().traceId ?? '';
        span?.setAttribute('app.note', XSS_CORPUS);
        await openai.chat.completions.create({
          model: XSS_MODEL,
          messages: [
            { role: 'system', content: XSS_CORPUS },
            { role: 'user', content: XSS_CORPUS },
          ],
        });
        return XSS_CORPUS;
      },
      { input: XSS_CORPUS, kind: 'chain' },
    );
    genAiCalls += 1;
    await flush();
    // Feedback refers to stored calls, so it is sent once they are flushed.
    for (const [target, feedback] of [
      [
        { traceId: chatTraceId, spanId: chatSpanId },
        { score: 1, label: 'helpful', comment: 'Paris, correct' },
      ],
      [xssTraceId, { score: 0, label: XSS_MODEL, comment: XSS_CORPUS }],
    ] as const) {
      const result = await recordFeedback(target, feedback);
      if (!result.ok) throw new Error(`seeding feedback failed: ${result.reason}`);
    }
  } finally {
    await shutdown();
    await mock.close();
  }
  return { genAiCalls, errorCalls, miniCalls, xssTraceId, chatTraceId };
}

export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-e2e-'));
  const store = openSqliteStore({ path: join(dir, 'pilotlight.db') });
  // Drift monitors and alerting, as `pilotlight serve` mounts them (their jobs stay off:
  // the tests drive runs through the API).
  const jobs = openDriftAndAlerts({ dbPath: store.path, store, projectId: 'default' });
  const app = createApp({ store, apiRoutes: [jobs.routes] });
  app.route('/', createDashboardRoutes());
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const seeded = await seed(url);
  // launch() gives Chromium a fresh temporary profile of its own each time.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    url,
    seeded,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      jobs.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a page did that it should not have. */
export interface Watch {
  consoleErrors: string[];
  dialogs: string[];
  foreignRequests: string[];
}

/**
 * Chromium logs every non-2xx fetch as a console error. The dashboard probes these APIs
 * on purpose and shows "not available yet" on 404 (the collector does not serve them yet),
 * so exactly those 404s are not counted.
 */
const EXPECTED_PROBES = /\/api\/(summary|models|alerts|alerts\/rules|drift\/monitors)(\?|$)/;

export async function watchedPage(stack: Stack): Promise<{ page: Page; watch: Watch }> {
  const page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watch: Watch = { consoleErrors: [], dialogs: [], foreignRequests: [] };
  const origin = new URL(stack.url).origin;
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url;
    if (/status of 404/.test(msg.text()) && EXPECTED_PROBES.test(where)) return;
    watch.consoleErrors.push(`${msg.text()} (${where})`);
  });
  page.on('pageerror', (error) => watch.consoleErrors.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith('data:')) watch.foreignRequests.push(u);
  });
  return { page, watch };
}
