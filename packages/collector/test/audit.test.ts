import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { startRetention } from '../src/jobs/retention.js';
import type { StoredAuditEntry } from '../src/store/store.js';
import { genAiSpans, ingest, testApp } from './read-side-helpers.js';

const T0 = Date.UTC(2026, 9, 5, 6, 0);
let clock = T0 + 3_600_000;

type Entry = StoredAuditEntry & { at: string };

describe('audit log of reads and changes', () => {
  const t = testApp({ now: () => clock });
  const spans = genAiSpans(11, 700, T0, 3_000_000);

  beforeAll(async () => {
    expect(await ingest(t.app, spans)).toBe(200);
  });
  afterAll(() => t.close());

  const audit = async (params: Record<string, string> = {}) => {
    const res = await t.app.request(`/api/audit?${new URLSearchParams(params)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { data: Entry[]; nextCursor: string | null };
  };

  it('records who, what, when and how many records for each read route', async () => {
    clock += 1000;
    expect((await t.app.request('/api/spans?model=gpt-4o-mini&limit=5')).status).toBe(200);
    const traceId = spans[0]!.traceId;
    expect((await t.app.request(`/api/traces/${traceId}`)).status).toBe(200);
    expect((await t.app.request(`/api/traces/${'0'.repeat(32)}`)).status).toBe(404);
    const summary = await t.app.request(
      `/api/summary?from=${T0}&to=${clock}&groupBy=model&interval=1h`,
    );
    const groups = ((await summary.json()) as { groups: { points: unknown[] }[] }).groups;
    expect((await t.app.request('/api/models')).status).toBe(200);
    const put = await t.app.request('/api/models/gpt-4o', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ owner: 'search-team' }),
    });
    expect(put.status).toBe(200);
    const csv = await (await t.app.request('/api/export?format=csv')).text();
    expect(csv.length).toBeGreaterThan(0);
    // An export the client abandons after the first page is recorded with what it got.
    const partial = await t.app.request('/api/export');
    const reader = partial.body!.getReader();
    await reader.read();
    await reader.cancel();
    // Not audited: ingest, metrics, health.
    expect(await ingest(t.app, genAiSpans(12, 3, T0, 1000))).toBe(200);
    await t.app.request('/metrics');
    await t.app.request('/healthz');

    const { data } = await audit();
    const seen = data.map((e) => [e.method, e.route, e.path, e.status, e.records, e.filters]);
    expect(seen).toEqual([
      ['GET', '/api/export', '/api/export', 200, 500, {}],
      ['GET', '/api/export', '/api/export', 200, 700, { format: 'csv' }],
      ['PUT', '/api/models/:id{.+}', '/api/models/gpt-4o', 200, 1, {}],
      ['GET', '/api/models', '/api/models', 200, 3, {}],
      [
        'GET',
        '/api/summary',
        '/api/summary',
        200,
        groups.reduce((n, g) => n + g.points.length, 0),
        { from: String(T0), to: String(clock), groupBy: 'model', interval: '1h' },
      ],
      ['GET', '/api/traces/:traceId', `/api/traces/${'0'.repeat(32)}`, 404, 0, {}],
      ['GET', '/api/traces/:traceId', `/api/traces/${traceId}`, 200, 1, {}],
      ['GET', '/api/spans', '/api/spans', 200, 5, { model: 'gpt-4o-mini', limit: '5' }],
    ]);
    for (const e of data) {
      expect(e.keyId).toBeNull(); // no API keys yet; never the key itself
      expect(e.at).toBe(new Date(clock).toISOString());
    }
  });

  it('filters by route and time, pages newest first, and audits its own reads', async () => {
    const exports = await audit({ route: '/api/export' });
    expect(exports.data.map((e) => e.records)).toEqual([500, 700]);
    const reads = await audit();
    // The previous GET /api/audit is itself in the log now.
    expect(reads.data[0]!.route).toBe('/api/audit');
    expect(reads.data[0]!.filters).toEqual({ route: '/api/export' });
    expect(reads.data[0]!.records).toBe(2);

    const pages: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await audit(cursor === null ? { limit: '3' } : { limit: '3', cursor });
      pages.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor !== null);
    const seqs = pages.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);

    clock += 60_000;
    await t.app.request('/api/models');
    const later = await audit({ from: String(clock) });
    expect(later.data.map((e) => e.route)).toEqual(['/api/models']);
    expect((await t.app.request('/api/audit?limit=0')).status).toBe(400);
  });

  it('answers 503 rather than send an answer it cannot record', async () => {
    const failing = {
      ...t.store,
      appendAudit: async () => {
        throw new Error('disk I/O error');
      },
    };
    const logged: unknown[] = [];
    const app = createApp({ store: failing, logError: (e) => logged.push(e) });
    const res = await app.request('/api/models');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(logged).toHaveLength(1);
  });

  it('is kept for its own retention period', async () => {
    const before = (await audit({ limit: '1000' })).data.length;
    const job = startRetention(t.store, {
      callRetentionDays: null,
      rollupRetentionDays: null,
      auditRetentionDays: 1,
      now: () => clock + 86_400_000 - 30_000, // a day after all but the last minute's entries
    });
    const result = await job.runOnce();
    await job.stop();
    expect(result.audit).toBeGreaterThan(0);
    const after = (await audit({ limit: '1000' })).data;
    expect(after.length).toBeLessThan(before);
    expect(after.every((e) => e.atMs >= clock - 30_000)).toBe(true);
  });
});
