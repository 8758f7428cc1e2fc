import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDashboardRoutes,
  DASHBOARD_CSP,
  dashboardAssetsDir,
  IMMUTABLE_CACHE_CONTROL,
} from '../src/server/index.ts';

let dir: string;
let app: Hono;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pl-dash-'));
  mkdirSync(join(dir, 'app', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'app', 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'app', 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the assets');
  // Mounted the way the collector mounts it: API routes first, dashboard, then notFound.
  app = new Hono();
  app.get('/api/spans', (c) => c.json({ data: [] }));
  app.route('/', createDashboardRoutes({ assetsDir: join(dir, 'app') }));
  app.notFound((c) => c.json({ error: 'not_found' }, 404));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createDashboardRoutes', () => {
  it('serves index.html at / with a strict CSP, nosniff and no caching', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<title>app</title>');
  });

  it('answers deep links with index.html so the app can route them', async () => {
    const res = await app.request('/traces/0123456789abcdef0123456789abcdef?span=1');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>app</title>');
  });

  it('caches hashed assets for a year with their content type', async () => {
    const res = await app.request('/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE_CACHE_CONTROL);
    expect(await res.text()).toBe('console.log(1)');
  });

  it('answers HEAD without a body', async () => {
    const res = await app.request('/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('leaves API paths to the API and its 404', async () => {
    expect(await (await app.request('/api/spans')).json()).toEqual({ data: [] });
    const missing = await app.request('/api/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    expect((await app.request('/v1/traces')).status).toBe(404);
    expect((await app.request('/metrics')).status).toBe(404);
  });

  it('answers 404, not the app, for a missing file', async () => {
    expect((await app.request('/assets/missing-123.js')).status).toBe(404);
  });

  it('never serves a file outside the assets directory', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await app.request(path);
      expect(await res.text()).not.toContain('outside the assets');
    }
  });

  it('says how to build when the assets are missing', async () => {
    const bare = createDashboardRoutes({ assetsDir: join(dir, 'nowhere') });
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });

  it('resolves the built files under the package dist/app', () => {
    expect(dashboardAssetsDir()).toBe(join(import.meta.dirname, '..', 'dist', 'app'));
  });
});
