import { describe, expect, it } from 'vitest';
import { createApp, openSqliteStore } from '../src/index.js';
import { hexId, otlpJson } from './helpers.js';

describe('createApp without a port', () => {
  it('answers 503 with Retry-After on ingest and queries, so exporters retry, and /healthz says so', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const logged: unknown[] = [];
    let clock = 0;
    const app = createApp({ store, logError: (e) => logged.push(e), now: () => clock });
    expect((await app.request('/healthz')).status).toBe(200);
    await store.close();

    const ingest = await app.request('/v1/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlpJson([{ traceId: hexId(16), spanId: hexId(8) }])),
    });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get('retry-after')).toBe('1');
    expect(await ingest.json()).toEqual({
      error: 'store_unavailable',
      message: 'the store is unavailable: the span store is closed',
      issues: [],
    });

    const query = await app.request('/api/spans');
    expect(query.status).toBe(503);
    expect(query.headers.get('retry-after')).toBe('1');
    expect((await app.request(`/api/traces/${hexId(16)}`)).status).toBe(503);
    expect((await app.request('/healthz')).status).toBe(503);
    // One report per outage interval, not one stack trace per refused request…
    expect(logged).toHaveLength(1);
    expect(String(logged[0])).toMatch(/store is unavailable/);
    // …and the next interval says how many were left out.
    clock += 30_000;
    expect((await app.request('/api/spans')).status).toBe(503);
    expect(logged).toHaveLength(3);
    expect(logged[1]).toBe('2 more store-unavailable answer(s) not reported');
  });

  it('answers 404 with the error shape for an unknown route', async () => {
    const app = createApp({ store: openSqliteStore({ path: ':memory:' }) });
    const res = await app.request('/v2/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not_found',
      message: 'no route for GET /v2/nothing',
      issues: [],
    });
  });

  it('answers 405 with Allow: POST for other methods on /v1/traces', async () => {
    const app = createApp({ store: openSqliteStore({ path: ':memory:' }) });
    const res = await app.request('/v1/traces');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { message: string }).message).toBe('GET not allowed; use POST');
  });
});
