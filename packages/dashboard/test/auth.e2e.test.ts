// The dashboard on a collector that requires API keys: the collector's own app with its
// real key store (SQLite, the same file as the calls), keys made through its Auth class,
// calls sent over OTLP/HTTP with each project's key, driven in headless Chromium.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, openDriftAndAlerts, openSqliteStore } from '@pilotlight/collector';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The collector's index does not export its auth module (yet): reached as a workspace
// sibling's source, like the rest of the collector in these tests.
import { Auth } from '../../collector/src/auth/auth.ts';
import { openSqliteKeyStore } from '../../collector/src/auth/sqlite-key-store.ts';
import { KEY_REFUSED_MESSAGE } from '../src/app/api.ts';
import { createDashboardRoutes } from '../src/server/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, screenshot } from './stack.ts';

const SIGN_IN = 'Sign in to this collector';
/** Where the app keeps the key (this tab's sessionStorage). */
const KEY_STORAGE = 'pilotlight.apiKey';
/** Well-formed (`pl_<16 hex>_<43 base64url>`) but unknown to the collector. */
const WRONG_KEY = `pl_${'0'.repeat(16)}_${'A'.repeat(43)}`;

const VIEWPORT = { width: 1280, height: 900 };
const ACME_CALLS = 5;
const RIVAL_CALLS = 4;

let url: string;
let browser: Browser;
let auth: Auth;
let close: () => Promise<void>;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Sends `count` chat calls as OTLP/JSON, with `key` as a bearer token (none for null). */
async function sendCalls(
  key: string | null,
  service: string,
  model: string,
  count: number,
): Promise<string[]> {
  const traceIds: string[] = [];
  const nowMs = Date.now();
  const spans = Array.from({ length: count }, (_, i) => {
    const traceId = hex(16);
    traceIds.push(traceId);
    const startNs = BigInt(nowMs - (i + 1) * 60_000) * 1_000_000n;
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      'gen_ai.usage.input_tokens': 100 + i,
      'gen_ai.usage.output_tokens': 20,
    };
    return {
      traceId,
      spanId: hex(8),
      name: `chat ${model}`,
      kind: 3,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 250_000_000n).toString(),
      attributes: Object.entries(attributes).map(([k, v]) => ({
        key: k,
        value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
      })),
      status: {},
    };
  });
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [{ scope: { name: 'dashboard-auth-e2e' }, spans }],
        },
      ],
    }),
  });
  expect(res.status, await res.text()).toBe(200);
  return traceIds;
}

async function createKey(projectId: string | null): Promise<string> {
  const created = await auth.createKey(projectId);
  if (typeof created === 'string') throw new Error(`key not created: ${created}`);
  return created.key;
}

function keyId(key: string): string {
  return key.split('_')[1] as string;
}

/** An API answer the page got, with the key its request carried. */
interface ApiAnswer {
  path: string;
  status: number;
  key: string | null;
}

/** Everything a page did that a test checks afterwards. */
interface Watch {
  answers: ApiAnswer[];
  requestUrls: string[];
  consoleErrors: string[];
}

/**
 * Chromium logs each non-2xx fetch as a console error. The refusals this flow is about
 * (401 for no, wrong or revoked keys, 403 for an admin key), a guessed trace (404) and the
 * 404s of APIs this app does not mount (alerts, drift) are checked through `answers`
 * instead; any other console error fails the test.
 */
const EXPECTED_STATUS_LOG = /status of (401|403|404) /;

async function watchedPage(context: BrowserContext): Promise<{ page: Page; watch: Watch }> {
  const page = await context.newPage();
  const watch: Watch = { answers: [], requestUrls: [], consoleErrors: [] };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url;
    if (EXPECTED_STATUS_LOG.test(msg.text()) && where.startsWith(`${url}/api/`)) return;
    watch.consoleErrors.push(`${msg.text()} (${where})`);
  });
  page.on('pageerror', (error) => watch.consoleErrors.push(`pageerror: ${error.message}`));
  page.on('request', (req) => watch.requestUrls.push(req.url()));
  page.on('response', async (res) => {
    const u = new URL(res.url());
    if (!u.pathname.startsWith('/api/')) return;
    const authorization = (await res.request().allHeaders()).authorization ?? null;
    watch.answers.push({
      path: u.pathname + u.search,
      status: res.status(),
      key: authorization?.replace(/^Bearer /, '') ?? null,
    });
  });
  return { page, watch };
}

async function storedKey(page: Page): Promise<string | null> {
  return page.evaluate((k) => window.sessionStorage.getItem(k), KEY_STORAGE);
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('Project API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

function headline(page: Page, label: string) {
  return page.locator('.headline', { hasText: label }).locator('.headline-value');
}

/** The key never leaves the Authorization header: not in a URL, not in the page. */
async function expectKeyHidden(page: Page, watch: Watch, key: string): Promise<void> {
  expect(watch.requestUrls.filter((u) => u.includes(key))).toEqual([]);
  expect(page.url()).not.toContain(key);
  expect(await page.content()).not.toContain(key);
  expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-auth-'));
  const dbPath = join(dir, 'pilotlight.db');
  const store = openSqliteStore({ path: dbPath });
  const keys = openSqliteKeyStore(dbPath);
  auth = new Auth(keys);
  // Drift monitors and alerting as `pilotlight serve` mounts them (jobs off: runs on demand).
  const jobs = openDriftAndAlerts({ dbPath: store.path, store, projectId: 'default' });
  const app = createApp({ store, auth, apiRoutes: [jobs.routes] });
  app.route('/', createDashboardRoutes());
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  close = async () => {
    await browser.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    });
    jobs.close();
    await auth.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
});

afterAll(async () => {
  await close?.();
});

describe('dashboard on a collector in zero-config local mode (no key yet)', () => {
  it('opens without a sign-in view, on the default project', async () => {
    await sendCalls(null, 'local-app', 'local-model', 3);
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, watch } = await watchedPage(context);
    await page.goto(`${url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await page.locator('table.calls tbody tr').count()).toBe(3);
    await page.getByText('Project: default').waitFor();
    expect(await page.getByRole('heading', { name: SIGN_IN }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(watch.answers.filter((a) => a.key !== null || a.status === 401)).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });
});

describe('dashboard on a collector with API keys', () => {
  let acmeKey: string;
  let acmeSecondKey: string;
  let rivalKey: string;
  let adminKey: string;
  let rivalTraceId: string;

  beforeAll(async () => {
    expect(await auth.createProject('acme')).toBe(true);
    expect(await auth.createProject('rival')).toBe(true);
    acmeKey = await createKey('acme');
    acmeSecondKey = await createKey('acme');
    rivalKey = await createKey('rival');
    adminKey = await createKey(null);
    await sendCalls(acmeKey, 'acme-app', 'gpt-4o', ACME_CALLS);
    [rivalTraceId] = (await sendCalls(rivalKey, 'rival-app', 'rival-model', RIVAL_CALLS)) as [
      string,
    ];
  });

  it('asks for a key, refuses a wrong one and an admin key, then shows only its project', async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, watch } = await watchedPage(context);
    await page.goto(`${url}/`);
    await page.getByRole('heading', { name: SIGN_IN }).waitFor();
    // Nothing but the form: no navigation, no project, no page data.
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain(
      'pilotlight keys create --project NAME',
    );
    expect(await page.getByLabel('Project API key').getAttribute('type')).toBe('password');
    // The collector's own words, from the first refusal (not a later, aborted request's).
    await page.getByText('Collector: missing or invalid API key').waitFor();

    await signIn(page, WRONG_KEY);
    await page.getByRole('alert').filter({ hasText: KEY_REFUSED_MESSAGE }).waitFor();
    await screenshot(page, 'sign-in');
    expect(await storedKey(page)).toBeNull();

    await signIn(page, adminKey);
    await page
      .getByRole('alert')
      .filter({ hasText: 'admin keys manage projects and keys; send a project key' })
      .waitFor();
    expect(await storedKey(page)).toBeNull();

    await signIn(page, acmeKey);
    await expect.poll(() => headline(page, 'Calls').textContent()).toBe(String(ACME_CALLS));
    await page.getByText('Project: acme').waitFor();
    expect(await page.getByRole('heading', { name: SIGN_IN }).count()).toBe(0);
    await page.locator('.chart').first().waitFor();
    const overview = await page.content();
    for (const foreign of ['rival-app', 'rival-model', 'local-app', 'local-model'])
      expect(overview).not.toContain(foreign);

    await page.getByRole('navigation').getByRole('link', { name: 'Calls' }).click();
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await page.locator('table.calls tbody tr').count()).toBe(ACME_CALLS);
    const calls = await page.locator('table.calls tbody').textContent();
    expect(calls).toContain('acme-app');
    for (const foreign of ['rival-app', 'rival-model', 'local-app', 'local-model'])
      expect(calls).not.toContain(foreign);

    // A reload in the same tab stays signed in (sessionStorage)…
    await page.reload();
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await page.locator('table.calls tbody tr').count()).toBe(ACME_CALLS);
    expect(await page.getByRole('heading', { name: SIGN_IN }).count()).toBe(0);
    expect(await storedKey(page)).toBe(acmeKey);

    // …and a guessed trace id of the other project is not found.
    await page.goto(`${url}/traces/${rivalTraceId}`);
    await page.getByRole('alert').filter({ hasText: 'not found' }).waitFor();
    expect(await page.locator('main').textContent()).not.toContain('rival');

    // The refusals were for the wrong and the admin key only (and the first, keyless load).
    const refused = watch.answers.filter((a) => a.status === 401 || a.status === 403);
    expect(new Set(refused.map((a) => a.key))).toEqual(new Set([null, WRONG_KEY, adminKey]));
    expect(refused.filter((a) => a.key === adminKey).map((a) => a.status)).toEqual([403]);
    expect(
      watch.answers.filter((a) => a.key === acmeKey && a.status === 200).length,
    ).toBeGreaterThan(0);
    expect(watch.answers.filter((a) => a.key === acmeKey && [401, 403].includes(a.status))).toEqual(
      [],
    );
    expect(watch.answers).toContainEqual({
      path: `/api/traces/${rivalTraceId}`,
      status: 404,
      key: acmeKey,
    });
    await expectKeyHidden(page, watch, acmeKey);
    expect(watch.consoleErrors).toEqual([]);

    // Another browser session (no shared sessionStorage) asks again.
    const other = await browser.newContext();
    const fresh = await other.newPage();
    await fresh.goto(`${url}/calls`);
    await fresh.getByRole('heading', { name: SIGN_IN }).waitFor();
    await other.close();
    await context.close();
  });

  it('signs out: the key is forgotten and the form comes back, also after a reload', async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, watch } = await watchedPage(context);
    await page.goto(`${url}/calls`);
    await signIn(page, acmeKey);
    await page.locator('table.calls tbody tr').first().waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: SIGN_IN }).waitFor();
    await page.getByText('Signed out: this tab has forgotten the key.').waitFor();
    expect(await page.locator('table.calls').count()).toBe(0);
    expect(await storedKey(page)).toBeNull();
    expect(await page.getByLabel('Project API key').inputValue()).toBe('');

    await page.reload();
    await page.getByRole('heading', { name: SIGN_IN }).waitFor();
    await expectKeyHidden(page, watch, acmeKey);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it('brings the form back with a message when the key is revoked; the second key works', async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, watch } = await watchedPage(context);
    await page.goto(`${url}/`);
    await signIn(page, acmeKey);
    await expect.poll(() => headline(page, 'Calls').textContent()).toBe(String(ACME_CALLS));

    expect(await auth.revokeKey(keyId(acmeKey))).toBe(true);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('heading', { name: SIGN_IN }).waitFor();
    await page
      .getByRole('alert')
      .filter({ hasText: 'no longer accepts the key this tab was using' })
      .waitFor();
    expect(await page.locator('.headline').count()).toBe(0);
    expect(await storedKey(page)).toBeNull();

    // The revoked key is refused at the form too; the project's other key opens it again.
    await signIn(page, acmeKey);
    await page.getByRole('alert').filter({ hasText: KEY_REFUSED_MESSAGE }).waitFor();
    await signIn(page, acmeSecondKey);
    await expect.poll(() => headline(page, 'Calls').textContent()).toBe(String(ACME_CALLS));
    await page.getByText('Project: acme').waitFor();
    expect(await storedKey(page)).toBe(acmeSecondKey);

    const refused = watch.answers.filter((a) => a.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((a) => a.key))).toEqual(new Set([null, acmeKey]));
    expect(
      watch.answers.filter((a) => a.key === acmeSecondKey && [401, 403].includes(a.status)),
    ).toEqual([]);
    await expectKeyHidden(page, watch, acmeSecondKey);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it('saves a drift report with the key, since a plain link could not send it', async () => {
    const created = await fetch(`${url}/api/drift/monitors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acmeSecondKey}` },
      body: JSON.stringify({
        id: 'acme-models',
        feature: 'model',
        referenceWindow: { type: 'previous' },
        currentWindow: { windowSec: 3600 },
        minSamples: 1,
      }),
    });
    expect(created.status, await created.text()).toBe(201);
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, watch } = await watchedPage(context);
    await page.goto(`${url}/drift`);
    await signIn(page, acmeSecondKey);
    const row = page.locator('tr[data-monitor-id="acme-models"]');
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.locator('table.drift-runs tbody tr').first().waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download full report (HTML)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^drift-acme-models-\d+\.html$/);
    const html = readFileSync((await download.path()) as string, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    // The report of the key's project, with its five calls in the current window.
    const text = html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('Project acme');
    expect(text).toMatch(/Current size 5\b/);
    expect(text).not.toContain('rival');
    expect(
      watch.answers.filter((a) => a.path.startsWith('/api/drift/report?')).map((a) => a.status),
    ).toEqual([200]);
    await expectKeyHidden(page, watch, acmeSecondKey);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });
});
