import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { startWriterThread } from '../src/store/sqlite/writer-client.js';
import { hexId, tempDir } from './helpers.js';

const tmp = tempDir('pilotlight-writer-');
afterAll(() => tmp.remove());

function call(model: string, overrides: Partial<CallRecord> = {}): CallRecord {
  const start = BigInt(Date.UTC(2026, 9, 1, 12)) * 1_000_000n;
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    parentSpanId: null,
    projectId: 'p',
    name: `chat ${model}`,
    operation: 'chat',
    provider: 'openai',
    model,
    responseModel: null,
    responseId: null,
    finishReasons: null,
    serviceName: 'svc',
    startTime: new Date(Number(start / 1_000_000n)).toISOString(),
    endTime: new Date(Number(start / 1_000_000n) + 250).toISOString(),
    startTimeUnixNano: start.toString(),
    durationMs: 250,
    ttftMs: null,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.001,
    costSource: 'sdk',
    confidence: null,
    status: 'ok',
    errorType: null,
    input: null,
    output: null,
    sourceDialect: null,
    warnings: [],
    attributes: {},
    ...overrides,
  };
}

describe('SQLite writer thread', () => {
  it('stores batches queued behind a busy writer each once, their rollups counted once', async () => {
    const file = path.join(tmp.dir, 'group.db');
    const store = openSqliteStore({ path: file });
    await store.insertCalls('p', [call('warm-up')]);
    // Hold the write lock so that the next batches queue up behind it in the writer.
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const batches = Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: 10 }, () => call(`m${i % 3}`)),
    );
    const answers = batches.map((b) => store.insertCallsDetailed('p', b));
    // Also a batch resent while its first copy is still queued: stored once.
    const resent = store.insertCallsDetailed('p', batches[0]!);
    await new Promise((r) => setTimeout(r, 300));
    blocker.exec('COMMIT');
    blocker.close();
    const results = await Promise.all(answers);
    for (const r of results) expect(r).toMatchObject({ inserted: 10, duplicates: 0 });
    expect(await resent).toEqual({ inserted: 0, duplicates: 10, newIndexes: [] });

    const check = new Database(file, { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM calls').get() as { n: number }).n).toBe(201);
    // The rollups of the group count every new call once, per tier.
    const hour = check
      .prepare(
        'SELECT model, SUM(calls) AS calls FROM rollups WHERE bucket_sec = 3600 GROUP BY model ORDER BY model',
      )
      .all();
    expect(hour).toEqual([
      { model: 'm0', calls: 70 },
      { model: 'm1', calls: 70 },
      { model: 'm2', calls: 60 },
      { model: 'warm-up', calls: 1 },
    ]);
    check.close();
    await store.close();
  });

  it('fails only the batch that cannot be stored when batches share a transaction', async () => {
    const file = path.join(tmp.dir, 'isolate.db');
    const store = openSqliteStore({ path: file });
    await store.insertCalls('p', [call('warm-up')]);
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const good1 = [call('a'), call('a')];
    // A start time beyond SQLite's 64-bit integers: the writer fails this batch after
    // inserting its first span, which must be rolled back with it.
    const bad = [call('b'), call('b', { startTimeUnixNano: '99999999999999999999999' })];
    const good2 = [call('c')];
    const answers = [good1, bad, good2].map((b) => store.insertCallsDetailed('p', b));
    await new Promise((r) => setTimeout(r, 200));
    blocker.exec('COMMIT');
    blocker.close();
    const [r1, r2, r3] = await Promise.allSettled(answers);
    expect(r1).toMatchObject({ status: 'fulfilled', value: { inserted: 2 } });
    expect(r2?.status).toBe('rejected');
    expect(r3).toMatchObject({ status: 'fulfilled', value: { inserted: 1 } });
    const page = await store.listCalls('p', { limit: 10 });
    expect(page.data.map((r) => r.model).sort()).toEqual(['a', 'a', 'c', 'warm-up']);
    await store.close();
  });

  it('lets writes posted before close commit, then refuses new ones', async () => {
    const file = path.join(tmp.dir, 'close.db');
    const store = openSqliteStore({ path: file });
    const pending = store.insertCalls('p', [call('late')]);
    await store.close();
    expect(await pending).toEqual({ inserted: 1, duplicates: 0 });
    await expect(store.insertCalls('p', [call('after')])).rejects.toThrow(/closed/);
    const reopened = openSqliteStore({ path: file });
    expect((await reopened.listCalls('p', { limit: 10 })).data.map((r) => r.model)).toEqual([
      'late',
    ]);
    await reopened.close();
  });
});

describe('SQLite writer thread failure', () => {
  it('rejects every write and reports why once the thread has died', async () => {
    // The thread cannot open its database: it dies at start, as on a crash.
    const client = startWriterThread({
      path: path.join(tmp.dir, 'missing-dir', 'nested', 'x.db'),
      synchronous: 'full',
      busyTimeoutMs: 100,
      cacheSizeKib: 1024,
    });
    expect(client).not.toBeNull();
    await expect(client!.write({ op: 'deleteAuditBefore', beforeMs: 0, limit: 1 })).rejects.toThrow(
      /writer thread/,
    );
    expect(client!.failure()?.message).toMatch(/writer thread/);
    await expect(client!.write({ op: 'deleteAuditBefore', beforeMs: 0, limit: 1 })).rejects.toThrow(
      /writer thread/,
    );
    await client!.close();
  });
});
