/**
 * The store contract: one suite of behaviours every `SpanStore` engine must show,
 * registered by `describeStoreContract(engine, open)` against SQLite and PostgreSQL
 * (store-contract-sqlite.test.ts, store-contract-postgres.test.ts). A behaviour
 * that is not here is not guaranteed by both engines.
 */
import { randomBytes } from 'node:crypto';
import type { CallRecord } from '@pilotlight/conventions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditEntry,
  AuditStore,
  ReadSideStore,
  SpanCursor,
  SpanQuery,
  SpanStore,
} from '../src/store/store.js';

/** A store opened for one test, and how to remove every trace of it afterwards. */
export interface StoreFixture {
  /** Every engine keeps the audit log too: no feature exists on one engine only. */
  store: SpanStore & AuditStore & Pick<ReadSideStore, 'deleteProjectCallsBefore'>;
  /** Closes the store and deletes its data (file, schema). */
  destroy(): Promise<void>;
}

const NANOS_PER_MS = 1_000_000n;
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A start time `minutesAgo` before now, with a sub-millisecond part so nanoseconds matter. */
export function nanosAgo(minutesAgo: number, extraNanos = 0n): bigint {
  const ms = BigInt(Date.now() - Math.round(minutesAgo * 60_000));
  return ms * NANOS_PER_MS + 123_456n + extraNanos;
}

const iso = (nanos: bigint): string => new Date(Number(nanos / NANOS_PER_MS)).toISOString();

/** A complete, valid call record; `startNs` sets all three time fields consistently. */
export function makeRecord(
  overrides: Partial<CallRecord> & { startNs?: bigint; projectId?: string } = {},
): CallRecord {
  const { startNs = nanosAgo(5), ...rest } = overrides;
  const durationMs = rest.durationMs ?? 812.345678;
  const end = startNs + BigInt(Math.round(durationMs * 1e6));
  return {
    traceId: hex(16),
    spanId: hex(8),
    parentSpanId: null,
    projectId: 'p1',
    name: 'chat gpt-4o-mini',
    operation: 'chat',
    provider: 'openai',
    model: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: `chatcmpl-${hex(6)}`,
    finishReasons: ['stop'],
    serviceName: 'checkout',
    startTime: iso(startNs),
    endTime: iso(end),
    startTimeUnixNano: startNs.toString(),
    durationMs,
    ttftMs: 120.5,
    inputTokens: 42,
    outputTokens: 7,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.0000105,
    costSource: 'collector',
    confidence: 0.87,
    status: 'ok',
    errorType: null,
    input: [{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }],
    output: [
      { role: 'assistant', parts: [{ type: 'text', content: 'hi!' }], finish_reason: 'stop' },
    ],
    sourceDialect: 'genai-semconv',
    warnings: [],
    attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 42 },
    ...rest,
  };
}

const key = (r: Pick<CallRecord, 'traceId' | 'spanId'>): string => `${r.traceId}/${r.spanId}`;

/** Every page of a listing, following `next` until the end. */
async function listAll(
  store: SpanStore,
  projectId: string,
  q: Omit<SpanQuery, 'limit'>,
  limit = 100,
): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  let after: SpanCursor | undefined = q.after;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await store.listCalls(projectId, {
      ...q,
      limit,
      ...(after === undefined ? {} : { after }),
    });
    out.push(...page.data);
    if (page.next === null) return out;
    after = page.next;
  }
  throw new Error('listing did not end');
}

/**
 * Registers the contract suite for one engine. `open` is called before every
 * test and must return an empty store of its own.
 */
export function describeStoreContract(engine: string, open: () => Promise<StoreFixture>): void {
  describe(`SpanStore contract: ${engine}`, () => {
    let fixture: StoreFixture;
    let store: StoreFixture['store'];
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.destroy();
    });

    describe('insertCalls', () => {
      it('stores every field of a record and returns it unchanged', async () => {
        const parent = makeRecord({
          name: 'agent run',
          operation: null,
          model: null,
          provider: null,
        });
        const child = makeRecord({
          traceId: parent.traceId,
          parentSpanId: parent.spanId,
          status: 'error',
          errorType: 'RateLimitError',
          finishReasons: null,
          tokensEstimated: true,
          costSource: 'sdk',
          cacheCreationInputTokens: 5,
          reasoningOutputTokens: 3,
          confidence: null,
          ttftMs: null,
          warnings: ['input tokens estimated'],
          startNs: BigInt(parent.startTimeUnixNano) + 1_000n,
        });
        expect(await store.insertCalls('p1', [parent, child])).toMatchObject({
          inserted: 2,
          duplicates: 0,
        });
        const page = await store.listCalls('p1', { limit: 10 });
        expect(page.data).toEqual([child, parent]);
        expect(page.next).toBeNull();
      });

      it('resolves an empty batch without writing', async () => {
        expect(await store.insertCalls('p1', [])).toMatchObject({ inserted: 0, duplicates: 0 });
        expect((await store.listCalls('p1', { limit: 10 })).data).toEqual([]);
      });

      it('stores each span once however often the batch is resent', async () => {
        const batch = Array.from({ length: 12 }, (_, i) => makeRecord({ startNs: nanosAgo(i) }));
        expect(await store.insertCalls('p1', batch)).toMatchObject({ inserted: 12, duplicates: 0 });
        expect(await store.insertCalls('p1', batch)).toMatchObject({ inserted: 0, duplicates: 12 });
        expect(await store.insertCalls('p1', [...batch].reverse())).toMatchObject({
          inserted: 0,
          duplicates: 12,
        });
        const stored = await listAll(store, 'p1', {});
        expect(stored.map(key).sort()).toEqual(batch.map(key).sort());
      });

      it('keeps the first copy of a resent span and stores only the new spans of a mixed batch', async () => {
        const old = Array.from({ length: 4 }, () => makeRecord());
        await store.insertCalls('p1', old);
        const changed = { ...old[0]!, name: 'changed on resend', model: 'other-model' };
        const fresh = Array.from({ length: 3 }, () => makeRecord());
        expect(await store.insertCalls('p1', [changed, ...fresh, ...old.slice(1)])).toMatchObject({
          inserted: 3,
          duplicates: 4,
        });
        const trace = await store.getTrace('p1', old[0]!.traceId);
        expect(trace).toEqual([old[0]]);
        expect(await listAll(store, 'p1', {})).toHaveLength(7);
      });

      it('counts a span repeated inside one batch once', async () => {
        const r = makeRecord();
        expect(await store.insertCalls('p1', [r, { ...r }, r])).toMatchObject({
          inserted: 1,
          duplicates: 2,
        });
        expect(await listAll(store, 'p1', {})).toEqual([r]);
      });

      it('stores a concurrently resent batch exactly once', async () => {
        const batch = Array.from({ length: 30 }, (_, i) =>
          makeRecord({ startNs: nanosAgo(i / 10) }),
        );
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.insertCalls('p1', batch)),
        );
        expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(30);
        expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(4 * 30);
        expect(await listAll(store, 'p1', {}, 7)).toHaveLength(30);
      });

      it('stores a batch atomically: a malformed record rejects the whole batch', async () => {
        const good = Array.from({ length: 5 }, () => makeRecord());
        const bad = { ...makeRecord(), startTimeUnixNano: 'not a number' };
        await expect(store.insertCalls('p1', [...good, bad])).rejects.toThrow();
        expect(await listAll(store, 'p1', {})).toEqual([]);
        expect(await store.insertCalls('p1', good)).toMatchObject({ inserted: 5, duplicates: 0 });
      });

      it('stores spans hours, days and years apart, and far in the future', async () => {
        const now = nanosAgo(0);
        const day = 86_400_000_000_000n;
        const times = [
          now,
          now - 3n * 3_600_000_000_000n,
          now - day,
          now - 3n * day,
          now - 40n * day,
          now - 2_000n * day,
          now + 400n * day,
          1n,
        ];
        const batch = times.map((startNs) => makeRecord({ startNs }));
        expect(await store.insertCalls('p1', batch)).toMatchObject({
          inserted: times.length,
          duplicates: 0,
        });
        expect(await store.insertCalls('p1', batch)).toMatchObject({
          inserted: 0,
          duplicates: times.length,
        });
        const stored = await listAll(store, 'p1', {}, 3);
        expect(stored.map((r) => r.startTimeUnixNano)).toEqual(
          [...times].sort((a, b) => (a < b ? 1 : -1)).map(String),
        );
      });
    });

    describe('listCalls', () => {
      it('lists newest first and filters by trace, model, status and time', async () => {
        const traceId = hex(16);
        const t0 = nanosAgo(60);
        const minute = 60_000_000_000n;
        const a = makeRecord({ traceId, startNs: t0, model: 'gpt-4o' });
        const b = makeRecord({
          traceId,
          startNs: t0 + minute,
          model: 'gpt-4o-mini',
          status: 'error',
          errorType: 'Timeout',
        });
        const c = makeRecord({ startNs: t0 + 2n * minute, model: 'gpt-4o' });
        const d = makeRecord({
          startNs: t0 + 3n * minute,
          model: 'claude-sonnet-4-5',
          status: 'error',
          errorType: '500',
        });
        await store.insertCalls('p1', [a, b, c, d]);
        const list = async (q: Omit<SpanQuery, 'limit'>) =>
          (await listAll(store, 'p1', q)).map((r) => r.name + r.spanId);
        const names = (...rs: CallRecord[]) => rs.map((r) => r.name + r.spanId);

        expect(await list({})).toEqual(names(d, c, b, a));
        expect(await list({ traceId })).toEqual(names(b, a));
        expect(await list({ traceId: hex(16) })).toEqual([]);
        expect(await list({ model: 'gpt-4o' })).toEqual(names(c, a));
        expect(await list({ model: 'gpt-4' })).toEqual([]);
        expect(await list({ status: 'error' })).toEqual(names(d, b));
        expect(await list({ status: 'ok' })).toEqual(names(c, a));
        // from is inclusive, to exclusive, to the nanosecond.
        expect(await list({ fromUnixNano: t0 + minute })).toEqual(names(d, c, b));
        expect(await list({ fromUnixNano: t0 + minute + 1n })).toEqual(names(d, c));
        expect(await list({ toUnixNano: t0 + minute })).toEqual(names(a));
        expect(await list({ toUnixNano: t0 + minute + 1n })).toEqual(names(b, a));
        expect(await list({ fromUnixNano: t0 + minute, toUnixNano: t0 + 3n * minute })).toEqual(
          names(c, b),
        );
        expect(await list({ model: 'gpt-4o', status: 'ok', fromUnixNano: t0 + 1n })).toEqual(
          names(c),
        );
        expect(await list({ traceId, status: 'error', model: 'gpt-4o-mini' })).toEqual(names(b));
      });

      it('filters by service, provider and operation, exactly, combined with AND', async () => {
        const t0 = nanosAgo(30);
        const second = 1_000_000_000n;
        const a = makeRecord({ startNs: t0, serviceName: 'checkout' });
        const b = makeRecord({
          startNs: t0 + second,
          serviceName: 'search',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
        });
        const c = makeRecord({
          startNs: t0 + 2n * second,
          serviceName: 'search',
          operation: 'embeddings',
          model: 'text-embedding-3-small',
        });
        const d = makeRecord({
          startNs: t0 + 3n * second,
          serviceName: null,
          provider: null,
          operation: null,
          model: null,
        });
        await store.insertCalls('p1', [a, b, c, d]);
        // Same service in another project: never listed for p1.
        await store.insertCalls('p2', [makeRecord({ startNs: t0, serviceName: 'search' })]);
        const list = async (q: Omit<SpanQuery, 'limit'>) =>
          (await listAll(store, 'p1', q)).map((r) => r.spanId);
        const ids = (...rs: CallRecord[]) => rs.map((r) => r.spanId);

        expect(await list({ service: 'search' })).toEqual(ids(c, b));
        expect(await list({ service: 'checkout' })).toEqual(ids(a));
        expect(await list({ service: 'Search' })).toEqual([]);
        expect(await list({ service: 'sear' })).toEqual([]);
        expect(await list({ provider: 'openai' })).toEqual(ids(c, a));
        expect(await list({ provider: 'anthropic' })).toEqual(ids(b));
        expect(await list({ operation: 'chat' })).toEqual(ids(b, a));
        expect(await list({ operation: 'embeddings' })).toEqual(ids(c));
        expect(await list({ service: 'search', provider: 'openai' })).toEqual(ids(c));
        expect(await list({ service: 'search', operation: 'chat' })).toEqual(ids(b));
        expect(
          await list({ service: 'search', provider: 'anthropic', operation: 'embeddings' }),
        ).toEqual([]);
        expect(
          await list({ service: 'search', status: 'ok', fromUnixNano: t0 + 2n * second }),
        ).toEqual(ids(c));
        // Pagination keeps the filter on every page.
        expect(await listAll(store, 'p1', { provider: 'openai' }, 1)).toEqual([c, a]);
        expect(await listAll(store, 'p2', { service: 'search' })).toHaveLength(1);
      });

      it('filters by inclusive numeric ranges, NULL never matching, combined with AND', async () => {
        const t0 = nanosAgo(30);
        const second = 1_000_000_000n;
        const a = makeRecord({
          startNs: t0,
          durationMs: 100,
          ttftMs: 20,
          inputTokens: 10,
          outputTokens: 5,
          costUsd: 0.001,
          confidence: 0.2,
        });
        const b = makeRecord({
          startNs: t0 + second,
          durationMs: 250.5,
          ttftMs: null,
          inputTokens: 30,
          outputTokens: null,
          costUsd: 0.01,
          confidence: 0.5,
        });
        const c = makeRecord({
          startNs: t0 + 2n * second,
          durationMs: 1000,
          ttftMs: 300,
          inputTokens: 100,
          outputTokens: 50,
          costUsd: null,
          confidence: null,
          serviceName: 'search',
        });
        const d = makeRecord({
          startNs: t0 + 3n * second,
          durationMs: 5,
          ttftMs: null,
          inputTokens: null,
          outputTokens: null,
          costUsd: 0,
          confidence: 1,
          status: 'error',
        });
        await store.insertCalls('p1', [a, b, c, d]);
        // A slow call in another project: never listed for p1.
        await store.insertCalls('p2', [makeRecord({ startNs: t0, durationMs: 9000 })]);
        const list = async (q: Omit<SpanQuery, 'limit'>) =>
          (await listAll(store, 'p1', q)).map((r) => r.spanId);
        const ids = (...rs: CallRecord[]) => rs.map((r) => r.spanId);

        // Latency: inclusive at both ends, compared as the record's durationMs.
        expect(await list({ minLatencyMs: 250.5 })).toEqual(ids(c, b));
        expect(await list({ maxLatencyMs: 100 })).toEqual(ids(d, a));
        expect(await list({ minLatencyMs: 100, maxLatencyMs: 250.5 })).toEqual(ids(b, a));
        expect(await list({ minLatencyMs: 8000 })).toEqual([]);
        // TTFT: calls without one are excluded whenever a bound is set.
        expect(await list({ minTtftMs: 0 })).toEqual(ids(c, a));
        expect(await list({ maxTtftMs: 20 })).toEqual(ids(a));
        // Tokens: input + output (a missing side counts as 0), calls with neither excluded.
        expect(await list({ minTokens: 0 })).toEqual(ids(c, b, a));
        expect(await list({ minTokens: 15, maxTokens: 30 })).toEqual(ids(b, a));
        expect(await list({ minTokens: 150 })).toEqual(ids(c));
        expect(await list({ maxTokens: 149 })).toEqual(ids(b, a));
        // Cost: a zero cost is a cost; an unknown one never matches.
        expect(await list({ maxCostUsd: 0.001 })).toEqual(ids(d, a));
        expect(await list({ minCostUsd: 0 })).toEqual(ids(d, b, a));
        expect(await list({ minCostUsd: 0.01, maxCostUsd: 0.01 })).toEqual(ids(b));
        // Confidence.
        expect(await list({ minConfidence: 0.5 })).toEqual(ids(d, b));
        expect(await list({ maxConfidence: 0.5 })).toEqual(ids(b, a));
        // AND with each other and with the other filters.
        expect(await list({ minLatencyMs: 50, minConfidence: 0.3 })).toEqual(ids(b));
        expect(await list({ minTokens: 1, service: 'search' })).toEqual(ids(c));
        expect(await list({ maxLatencyMs: 10, status: 'error' })).toEqual(ids(d));
        expect(await list({ maxLatencyMs: 10, status: 'ok' })).toEqual([]);
        expect(await list({ minLatencyMs: 100, fromUnixNano: t0 + second })).toEqual(ids(c, b));
        // Pagination keeps the filter on every page.
        expect(await listAll(store, 'p1', { minLatencyMs: 100 }, 1)).toEqual([c, b, a]);
        expect(await listAll(store, 'p2', { minLatencyMs: 8000 })).toHaveLength(1);
      });

      it('honours the limit and says when there is no next page', async () => {
        await store.insertCalls(
          'p1',
          Array.from({ length: 5 }, (_, i) => makeRecord({ startNs: nanosAgo(i) })),
        );
        const first = await store.listCalls('p1', { limit: 3 });
        expect(first.data).toHaveLength(3);
        expect(first.next).not.toBeNull();
        const second = await store.listCalls('p1', { limit: 3, after: first.next! });
        expect(second.data).toHaveLength(2);
        expect(second.next).toBeNull();
        const exact = await store.listCalls('p1', { limit: 5 });
        expect(exact.data).toHaveLength(5);
        expect(exact.next).toBeNull();
      });

      it('paginates without skipping or repeating while spans arrive between pages', async () => {
        const base = nanosAgo(30);
        const second = 1_000_000_000n;
        // Pairs share a start time, so only the sequence number orders them.
        const original = Array.from({ length: 40 }, (_, i) =>
          makeRecord({ startNs: base + BigInt(Math.floor(i / 2)) * second }),
        );
        for (let i = 0; i < original.length; i += 8)
          await store.insertCalls('p1', original.slice(i, i + 8));

        const seen: CallRecord[] = [];
        let after: SpanCursor | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.listCalls('p1', {
            limit: 6,
            ...(after === undefined ? {} : { after }),
          });
          seen.push(...page.data);
          pages++;
          // New spans: newer than everything, at the cursor's own start time, and older than everything.
          const cursorStart = after?.startTimeUnixNano ?? base;
          await store.insertCalls('p1', [
            makeRecord({ startNs: nanosAgo(0), name: 'late-new' }),
            makeRecord({ startNs: cursorStart, name: 'late-tie' }),
            makeRecord({ startNs: base - second * BigInt(pages), name: 'late-old' }),
          ]);
          if (page.next === null) break;
          after = page.next;
        }
        const seenKeys = seen.map(key);
        expect(new Set(seenKeys).size).toBe(seenKeys.length);
        const seenSet = new Set(seenKeys);
        for (const r of original) expect(seenSet.has(key(r))).toBe(true);
        // Newest first, throughout.
        const starts = seen.map((r) => BigInt(r.startTimeUnixNano));
        for (let i = 1; i < starts.length; i++) expect(starts[i]! <= starts[i - 1]!).toBe(true);
        // Spans newer than the first page never show up behind the cursor.
        expect(seen.filter((r) => r.name === 'late-new')).toEqual([]);
      });

      it('keeps nanosecond start times exact in records and cursors', async () => {
        // 2026-11-22T00:00:00.123456789Z and its neighbours one nanosecond apart: beyond a double's precision.
        const t = 1_795_305_600_123_456_789n;
        const rs = [t - 1n, t, t + 1n].map((startNs) => makeRecord({ startNs }));
        await store.insertCalls('p1', rs);
        const first = await store.listCalls('p1', { limit: 1 });
        expect(first.data.map((r) => r.startTimeUnixNano)).toEqual([(t + 1n).toString()]);
        expect(first.next?.startTimeUnixNano).toBe(t + 1n);
        const rest = await store.listCalls('p1', { limit: 5, after: first.next! });
        expect(rest.data.map((r) => r.startTimeUnixNano)).toEqual([
          t.toString(),
          (t - 1n).toString(),
        ]);
        expect(
          (await listAll(store, 'p1', { fromUnixNano: t, toUnixNano: t + 1n })).map(
            (r) => r.startTimeUnixNano,
          ),
        ).toEqual([t.toString()]);
        expect(rest.data[0]!.startTime).toBe('2026-11-22T00:00:00.123Z');
      });
    });

    describe('getTrace', () => {
      it('returns every span of a trace, oldest first, ties in arrival order', async () => {
        const traceId = hex(16);
        const t0 = nanosAgo(10);
        const root = makeRecord({ traceId, startNs: t0, name: 'root' });
        const x = makeRecord({
          traceId,
          parentSpanId: root.spanId,
          startNs: t0 + 5_000n,
          name: 'x',
        });
        const y = makeRecord({
          traceId,
          parentSpanId: root.spanId,
          startNs: t0 + 5_000n,
          name: 'y',
        });
        const z = makeRecord({ traceId, parentSpanId: x.spanId, startNs: t0 + 9_000n, name: 'z' });
        await store.insertCalls('p1', [z, root]);
        await store.insertCalls('p1', [x]);
        await store.insertCalls('p1', [y, makeRecord({ name: 'other trace' })]);
        expect((await store.getTrace('p1', traceId)).map((r) => r.name)).toEqual([
          'root',
          'x',
          'y',
          'z',
        ]);
      });

      it('returns an empty list for an unknown trace', async () => {
        await store.insertCalls('p1', [makeRecord()]);
        expect(await store.getTrace('p1', hex(16))).toEqual([]);
      });

      it('returns a trace whose spans cross midnight', async () => {
        const traceId = hex(16);
        const midnight = (BigInt(Date.now()) / 86_400_000n) * 86_400_000_000_000n;
        const before = makeRecord({ traceId, startNs: midnight - 1n, name: 'before' });
        const after = makeRecord({ traceId, startNs: midnight, name: 'after' });
        await store.insertCalls('p1', [after, before]);
        expect((await store.getTrace('p1', traceId)).map((r) => r.name)).toEqual([
          'before',
          'after',
        ]);
        expect(await store.insertCalls('p1', [after, before])).toMatchObject({
          inserted: 0,
          duplicates: 2,
        });
      });
    });

    describe('projects', () => {
      it('keeps projects apart, even for the same trace and span ids', async () => {
        const shared = makeRecord();
        const onlyA = makeRecord();
        expect(await store.insertCalls('a', [shared, onlyA])).toMatchObject({
          inserted: 2,
          duplicates: 0,
        });
        expect(await store.insertCalls('b', [{ ...shared, name: 'b copy' }])).toMatchObject({
          inserted: 1,
          duplicates: 0,
        });

        const a = await listAll(store, 'a', {});
        const b = await listAll(store, 'b', {});
        expect(a.map(key).sort()).toEqual([shared, onlyA].map(key).sort());
        expect(a.every((r) => r.projectId === 'a')).toBe(true);
        expect(b.map((r) => [r.name, r.projectId])).toEqual([['b copy', 'b']]);
        expect(await store.getTrace('b', onlyA.traceId)).toEqual([]);
        expect((await store.getTrace('b', shared.traceId)).map((r) => r.name)).toEqual(['b copy']);
        expect(await listAll(store, 'c', {})).toEqual([]);
      });

      it('deletes one project’s expired calls, oldest first, leaving other projects alone', async () => {
        const old = [90, 80, 70].map((m) => makeRecord({ startNs: nanosAgo(m) }));
        const recent = makeRecord({ startNs: nanosAgo(5) });
        await store.insertCalls('a', [...old, recent]);
        await store.insertCalls('b', old);
        const cutoff = nanosAgo(60);
        expect(await store.deleteProjectCallsBefore('a', cutoff, 2)).toBe(2);
        expect((await listAll(store, 'a', {})).map(key)).toEqual([recent, old[2]!].map(key));
        expect(await store.deleteProjectCallsBefore('a', cutoff, 2)).toBe(1);
        expect(await store.deleteProjectCallsBefore('a', cutoff, 2)).toBe(0);
        expect((await listAll(store, 'a', {})).map(key)).toEqual([key(recent)]);
        expect(await listAll(store, 'b', {})).toHaveLength(3);
      });
    });

    describe('JSON values', () => {
      it('round-trips input, output and attributes exactly: unicode, nesting, numbers, key order', async () => {
        const input = {
          zeta: 'first key',
          messages: [
            { role: 'system', content: 'Réponds en français — 日本語も OK. עברית. 🧪👩🏽‍🔬' },
            {
              role: 'user',
              content: 'quote " backslash \\ newline \n tab \t nul \u0000 lone \ud800 end',
            },
          ],
          nested: {
            a: [1, -2.5, 1e-7, 12345678901234, 0, true, false, null, [[[]]], {}],
            deep: { deeper: { deepest: 'x' } },
          },
          alpha: '',
        };
        const output = [
          'plain',
          { 'key with spaces': { '': 'empty key' } },
          Math.PI,
          2.718281828459045e-300,
        ];
        const attributes = {
          'gen_ai.request.temperature': 0.7,
          'resource.service.name': 'checkout',
          'app.tags': ['a', 'b'],
          'app.flag': false,
          'app.emoji': '🚀',
          'app.map': { b: 1, a: 2 },
        };
        const r = makeRecord({ input, output, attributes });
        await store.insertCalls('p1', [r]);
        const [got] = await store.getTrace('p1', r.traceId);
        expect(got).toEqual(r);
        expect(JSON.stringify(got!.input)).toBe(JSON.stringify(input));
        expect(JSON.stringify(got!.output)).toBe(JSON.stringify(output));
        expect(JSON.stringify(got!.attributes)).toBe(JSON.stringify(attributes));
      });

      it('round-trips scalar and null JSON values', async () => {
        const rs = [
          makeRecord({ input: 'just a string', output: 42 }),
          makeRecord({ input: null, output: null, attributes: {} }),
          makeRecord({ input: true, output: [] }),
        ];
        await store.insertCalls('p1', rs);
        for (const r of rs) expect(await store.getTrace('p1', r.traceId)).toEqual([r]);
      });

      it('round-trips unicode in text fields', async () => {
        const r = makeRecord({
          name: 'résumé 📄 要約',
          model: 'modèle-ü',
          serviceName: 'сервис',
          errorType: null,
        });
        await store.insertCalls('p1', [r]);
        expect(await listAll(store, 'p1', { model: 'modèle-ü' })).toEqual([r]);
      });
    });

    describe('audit log', () => {
      const entry = (atMs: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
        atMs,
        keyId: null,
        method: 'GET',
        route: '/api/spans',
        path: '/api/spans',
        filters: { model: 'gpt-4o-mini', limit: '5' },
        status: 200,
        records: 5,
        ...overrides,
      });

      it('returns appended entries newest first, every field unchanged, per project', async () => {
        const t0 = Date.UTC(2026, 9, 5, 6, 0);
        const first = entry(t0, { filters: {} });
        const second = entry(t0 + 1000, {
          keyId: 'key_abc',
          method: 'PUT',
          route: '/api/models/:id{.+}',
          path: '/api/models/gpt-4o',
          filters: { owner: 'search-team', üñí: 'ç"\\' },
          records: null,
        });
        const third = entry(t0 + 1000, { status: 404, records: 0 });
        await store.appendAudit('p1', first);
        await store.appendAudit('p1', second);
        await store.appendAudit('p2', entry(t0 + 500));
        await store.appendAudit('p1', third);

        const listed = await store.listAudit('p1', { limit: 10 });
        expect(listed.map(({ seq: _seq, ...e }) => e)).toEqual([third, second, first]);
        const seqs = listed.map((e) => e.seq);
        expect(seqs.every((s) => Number.isInteger(s))).toBe(true);
        expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
        expect(await store.listAudit('p2', { limit: 10 })).toHaveLength(1);
        expect(await store.listAudit('p3', { limit: 10 })).toEqual([]);
      });

      it('filters by time, route and key, and pages below a seq without skipping or repeating', async () => {
        const t0 = Date.UTC(2026, 9, 5, 6, 0);
        for (let i = 0; i < 7; i++) {
          await store.appendAudit(
            'p1',
            entry(t0 + i * 60_000, {
              route: i % 2 === 0 ? '/api/spans' : '/api/export',
              keyId: i < 3 ? 'key_a' : 'key_b',
            }),
          );
        }
        const times = async (q: Partial<Parameters<AuditStore['listAudit']>[1]>) =>
          (await store.listAudit('p1', { limit: 100, ...q })).map((e) => (e.atMs - t0) / 60_000);
        expect(await times({ fromMs: t0 + 2 * 60_000, toMs: t0 + 5 * 60_000 })).toEqual([4, 3, 2]);
        expect(await times({ route: '/api/export' })).toEqual([5, 3, 1]);
        expect(await times({ keyId: 'key_a' })).toEqual([2, 1, 0]);
        expect(await times({ keyId: 'key_a', route: '/api/spans' })).toEqual([2, 0]);

        const paged: number[] = [];
        let beforeSeq: number | undefined;
        for (;;) {
          const page = await store.listAudit('p1', {
            limit: 3,
            ...(beforeSeq === undefined ? {} : { beforeSeq }),
          });
          paged.push(...page.map((e) => (e.atMs - t0) / 60_000));
          if (page.length < 3) break;
          beforeSeq = page[page.length - 1]!.seq;
        }
        expect(paged).toEqual([6, 5, 4, 3, 2, 1, 0]);
      });

      it('deletes entries older than a cutoff across projects, at most limit at a time', async () => {
        const t0 = Date.UTC(2026, 9, 5, 6, 0);
        for (let i = 0; i < 5; i++) await store.appendAudit('p1', entry(t0 + i));
        for (let i = 0; i < 3; i++) await store.appendAudit('p2', entry(t0 + i));
        await store.appendAudit('p1', entry(t0 + 10));
        expect(await store.deleteAuditBefore(t0 + 10, 4)).toBe(4);
        expect(await store.deleteAuditBefore(t0 + 10, 100)).toBe(4);
        expect(await store.deleteAuditBefore(t0 + 10, 100)).toBe(0);
        expect((await store.listAudit('p1', { limit: 10 })).map((e) => e.atMs)).toEqual([t0 + 10]);
        expect(await store.listAudit('p2', { limit: 10 })).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open and refuses work once closed; close is idempotent', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toThrow(/closed/);
        await expect(store.insertCalls('p1', [makeRecord()])).rejects.toThrow(/closed/);
        await expect(store.listCalls('p1', { limit: 1 })).rejects.toThrow(/closed/);
        await expect(store.getTrace('p1', hex(16))).rejects.toThrow(/closed/);
      });
    });
  });
}
