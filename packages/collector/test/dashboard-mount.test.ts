import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { testApp } from './read-side-helpers.js';

/** A web UI that, like the dashboard's, answers every GET it is given. */
function greedyUi(): Hono {
  const ui = new Hono();
  ui.get('*', (c) => c.html('<!doctype html><title>ui</title>'));
  return ui;
}

describe('createApp({ dashboard })', () => {
  const t = testApp({ dashboard: greedyUi() });
  afterAll(() => t.close());

  it('serves the UI at / and for client-side routes', async () => {
    for (const path of ['/', '/models/gpt-4o']) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>ui</title>');
    }
  });

  it('keeps API routes ahead of the UI', async () => {
    expect((await t.app.request('/healthz')).headers.get('content-type')).toContain('json');
    expect((await t.app.request('/api/summary')).status).toBe(200);
    expect((await t.app.request('/api/models')).headers.get('content-type')).toContain('json');
    expect(await (await t.app.request('/metrics')).text()).toContain(
      'pilotlight_http_requests_total',
    );
    const bad = await t.app.request('/api/spans?limit=0');
    expect(bad.status).toBe(400);
  });
});
