import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import { flush, init, recordFeedback, shutdown, traceCall } from '@pilotlight/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/server.js';
import { openSqliteStore, type SqliteSpanStore } from '../src/store/sqlite/sqlite-store.js';
import type { FeedbackStore, SpanStore, StoredFeedback } from '../src/store/store.js';
import { hexId, startTestCollector, tempDir } from './helpers.js';
import { openTestStore } from './postgres-fixture.js';
import { makeRecord } from './store-contract.js';

type ErrorBody = { error: string; message: string; issues: { path: string; message: string }[] };
type TraceBody = { traceId: string; spans: CallRecord[]; feedback: StoredFeedback[] };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /api/feedback with the real SDK against a running collector', () => {
  let collector: Awaited<ReturnType<typeof startTestCollector>>;

  beforeAll(async () => {
    collector = await startTestCollector();
    init({ endpoint: collector.url, serviceName: 'feedback-app', flushOnExit: false });
  });
  afterAll(async () => {
    await shutdown();
    await collector.stop();
  });

  it('stores feedback from recordFeedback and returns it with the trace', async () => {
    const ids = await traceCall('answer question', async (span) => span.spanContext());
    await flush();

    const onSpan = await recordFeedback(
      { traceId: ids.traceId, spanId: ids.spanId },
      { score: 1, label: 'helpful', comment: 'spot on ✓' },
    );
    expect(onSpan).toEqual({ ok: true });
    const onTrace = await recordFeedback(ids.traceId, { score: 0.25 });
    expect(onTrace).toEqual({ ok: true });

    const res = await fetch(`${collector.url}/api/traces/${ids.traceId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as TraceBody;
    expect(body.spans.map((s) => s.spanId)).toEqual([ids.spanId]);
    expect(body.feedback).toEqual([
      {
        id: expect.stringMatching(UUID),
        traceId: ids.traceId,
        spanId: ids.spanId,
        score: 1,
        label: 'helpful',
        comment: 'spot on ✓',
        createdAt: expect.stringMatching(ISO),
      },
      {
        id: expect.stringMatching(UUID),
        traceId: ids.traceId,
        spanId: null,
        score: 0.25,
        label: null,
        comment: null,
        createdAt: expect.stringMatching(ISO),
      },
    ]);
    expect(body.feedback[0]!.id).not.toBe(body.feedback[1]!.id);
  });

  it('says not stored (404) for a trace the collector never received', async () => {
    const result = await recordFeedback(hexId(16), { score: 1 });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/404/);
  });
});

describe('POST /api/feedback validation and scoping', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SqliteSpanStore;
  let app: ReturnType<typeof createApp>;
  const call = makeRecord();
  const elsewhere = makeRecord();
  const CREATED_MS = Date.parse('2026-03-01T10:00:00Z');

  beforeEach(async () => {
    tmp = tempDir();
    store = openSqliteStore({ path: path.join(tmp.dir, 'pilotlight.db') });
    await store.insertCalls('default', [call]);
    await store.insertCalls('other', [elsewhere]);
    app = createApp({ store, now: () => CREATED_MS });
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  const post = (body: unknown) =>
    app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers 201 with the stored feedback, ids lowercased', async () => {
    const res = await post({
      traceId: call.traceId.toUpperCase(),
      spanId: call.spanId.toUpperCase(),
      score: -3,
      label: 'wrong-answer',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      id: expect.stringMatching(UUID),
      traceId: call.traceId,
      spanId: call.spanId,
      score: -3,
      label: 'wrong-answer',
      comment: null,
      createdAt: '2026-03-01T10:00:00.000Z',
    });
  });

  it.each([
    ['traceId', { traceId: 'abc', score: 1 }],
    ['traceId', { score: 1 }],
    ['spanId', { traceId: call.traceId, spanId: 'xyz', score: 1 }],
    ['score', { traceId: call.traceId, score: '1' }],
    ['score', { traceId: call.traceId }],
    ['label', { traceId: call.traceId, score: 1, label: 'x'.repeat(257) }],
    ['comment', { traceId: call.traceId, score: 1, comment: 'x'.repeat(10_001) }],
    ['trace_id', { traceId: call.traceId, trace_id: call.traceId, score: 1 }],
  ])('answers 400 naming %s', async (field, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as ErrorBody;
    expect(err.error).toBe('invalid_request');
    expect(err.issues.map((i) => i.path)).toContain(field);
    expect(await store.listFeedback('default', call.traceId)).toEqual([]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await post('{"traceId":');
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).message).toMatch(/JSON/);
  });

  it('answers the same 404 for an unknown trace and for a trace of another project', async () => {
    const unknown = await post({ traceId: hexId(16), score: 1 });
    const foreign = await post({ traceId: elsewhere.traceId, score: 1 });
    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    const [a, b] = [(await unknown.json()) as ErrorBody, (await foreign.json()) as ErrorBody];
    expect(a.error).toBe('not_found');
    expect(b.error).toBe('not_found');
    expect(b.message).toBe(a.message.replace(/[0-9a-f]{32}/, elsewhere.traceId));
    expect(await store.listFeedback('other', elsewhere.traceId)).toEqual([]);
  });

  it('answers 404 for a span that is not in the trace', async () => {
    const res = await post({ traceId: call.traceId, spanId: elsewhere.spanId, score: 1 });
    expect(res.status).toBe(404);
    expect(await store.listFeedback('default', call.traceId)).toEqual([]);
  });

  it('returns an empty feedback list with a trace that has none', async () => {
    const res = await app.request(`/api/traces/${call.traceId}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as TraceBody).feedback).toEqual([]);
  });
});

/** The feedback contract, run against both engines. */
const engines: [
  string,
  () => Promise<{ store: SpanStore & FeedbackStore; destroy: () => Promise<void> }>,
][] = [
  [
    'SQLite',
    async () => {
      const tmp = tempDir();
      const store = openSqliteStore({ path: path.join(tmp.dir, 'pilotlight.db') });
      return {
        store,
        destroy: async () => {
          await store.close();
          tmp.remove();
        },
      };
    },
  ],
  ['PostgreSQL', async () => openTestStore()],
];

describe.each(engines)('FeedbackStore on %s', (_engine, open) => {
  let fixture: Awaited<ReturnType<typeof open>>;
  beforeEach(async () => {
    fixture = await open();
  });
  afterEach(async () => {
    await fixture.destroy();
  });

  it('stores feedback on a stored trace or span and lists it oldest first, per project', async () => {
    const { store } = fixture;
    const a = makeRecord();
    const b = makeRecord({ traceId: a.traceId, parentSpanId: a.spanId });
    await store.insertCalls('p1', [a, b]);
    const later = await store.insertFeedback(
      'p1',
      { traceId: a.traceId, spanId: b.spanId, score: 0, label: 'modèle ✗', comment: 'ça 📄' },
      Date.parse('2026-01-02T00:00:00Z'),
    );
    const earlier = await store.insertFeedback(
      'p1',
      { traceId: a.traceId, spanId: null, score: 4.5, label: null, comment: null },
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(later).toEqual({
      id: expect.stringMatching(UUID),
      traceId: a.traceId,
      spanId: b.spanId,
      score: 0,
      label: 'modèle ✗',
      comment: 'ça 📄',
      createdAt: '2026-01-02T00:00:00.000Z',
    });
    expect(earlier?.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await store.listFeedback('p1', a.traceId)).toEqual([earlier, later]);
    expect(await store.listFeedback('p2', a.traceId)).toEqual([]);
  });

  it('stores nothing for an unknown trace, a span outside the trace, or another project', async () => {
    const { store } = fixture;
    const a = makeRecord();
    const other = makeRecord();
    await store.insertCalls('p1', [a, other]);
    const base = { spanId: null, score: 1, label: null, comment: null };
    const at = Date.now();
    expect(await store.insertFeedback('p1', { ...base, traceId: hexId(16) }, at)).toBeNull();
    expect(
      await store.insertFeedback('p1', { ...base, traceId: a.traceId, spanId: other.spanId }, at),
    ).toBeNull();
    expect(await store.insertFeedback('p2', { ...base, traceId: a.traceId }, at)).toBeNull();
    expect(await store.listFeedback('p1', a.traceId)).toEqual([]);
    expect(await store.listFeedback('p2', a.traceId)).toEqual([]);
  });
});
