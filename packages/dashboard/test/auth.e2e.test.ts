import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, openSqliteStore } from '@pilotlight/collector';
import { Hono } from 'hono';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardRoutes } from '../src/server/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './stack.ts';

const KEY = 'pl-test-key-123';

let url: string;
let browser: Browser;
let close: () => Promise<void>;
const seenAuth: (string | null)[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-auth-'));
  const store = openSqliteStore({ path: join(dir, 'pilotlight.db') });
  // The collector has no keys yet: this stands in for its auth, in front of the real API.
  const app = new Hono();
  app.use('/api/*', async (c, next) => {
    const auth = c.req.header('authorization') ?? null;
    seenAuth.push(auth);
    if (auth !== `Bearer ${KEY}`)
      return c.json({ error: 'unauthorized', message: 'API key required' }, 401);
    await next();
  });
  app.route('/', createApp({ store }));
  app.route('/', createDashboardRoutes());
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  close = async () => {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
});

afterAll(async () => {
  await close?.();
});

describe('dashboard behind an API key', () => {
  it('asks for the key once, sends it as a bearer token and keeps it for the session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${url}/calls`);
    await page.getByRole('heading', { name: 'API key needed' }).waitFor();

    await page.getByLabel('API key', { exact: true }).fill('wrong-key');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('The collector refused that key.').waitFor();

    await page.getByLabel('API key', { exact: true }).fill(KEY);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'No calls in this time range yet' }).waitFor();
    expect(seenAuth).toContain(`Bearer ${KEY}`);

    // A reload in the same tab goes straight in; the key is not in localStorage.
    await page.reload();
    await page.getByRole('heading', { name: 'No calls in this time range yet' }).waitFor();
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
    expect(pageErrors).toEqual([]);

    // Another browser session asks again.
    const other = await browser.newContext();
    const fresh = await other.newPage();
    await fresh.goto(`${url}/calls`);
    await fresh.getByRole('heading', { name: 'API key needed' }).waitFor();
    await other.close();
    await context.close();
  });
});
