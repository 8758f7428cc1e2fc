import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '@pilotlight/conventions';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteSpanStore } from '../src/index.js';
import { runRepriceCommand } from '../src/prices/cli.js';
import { createPricer, type Pricer } from '../src/prices/pricer.js';
import { openSqlitePriceStore } from '../src/prices/sqlite-override-store.js';
import { hexId, type JsonSpanSpec, tempDir } from './helpers.js';
import {
  call,
  callsBySpan,
  chatSpan,
  ingestInto,
  pricedApp,
  rollupCostSum,
  rollupsVsRecount,
  storedCalls,
} from './prices-helpers.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400_000;
const JAN = Date.UTC(2026, 0, 1);
const FEB_1 = Date.UTC(2026, 1, 1);
const FEB_15 = Date.UTC(2026, 1, 15);
const MARCH = Date.UTC(2026, 2, 1);
const APRIL = Date.UTC(2026, 3, 1);

/** What a user sees of a run: the exit code, stdout, and stderr as written. */
async function reprice(
  argv: string[],
  env: Record<string, string>,
  stderr: { isTTY?: boolean; columns?: number } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRepriceCommand(
    argv,
    env,
    {
      stdout: { write: (t: string) => (out += t) },
      stderr: { ...stderr, write: (t: string) => (err += t) },
    },
    { pauseMs: 0 },
  );
  return { code, out, err };
}

/**
 * Expected collector cost by hand: gpt-4o at $2.50 / $10 / $1.25 cached before March, the
 * project's override $2 / $8 / $0.20 cached from March; acme-llm unpriced before its
 * addition (February 1st), then $1 / $4.
 */
function expectedCost(c: CallRecord): number | null {
  const startMs = Number(BigInt(c.startTimeUnixNano) / 1_000_000n);
  const input = c.inputTokens ?? 0;
  const output = c.outputTokens ?? 0;
  const cached = c.cacheReadInputTokens ?? 0;
  if (c.model === 'gpt-4o') {
    const [i, o, k] = startMs >= MARCH ? [2, 8, 0.2] : [2.5, 10, 1.25];
    return ((input - cached) * i + cached * k + output * o) / 1e6;
  }
  if (c.model === 'acme-llm') return startMs >= FEB_1 ? (input * 1 + output * 4) / 1e6 : null;
  throw new Error(`unexpected model ${c.model}`);
}

/** A day's mix: gpt-4o calls (some with cache reads, some with an SDK cost), acme-llm calls, a plain span. */
function dayOfTraffic(dayStartMs: number): JsonSpanSpec[] {
  const spans: JsonSpanSpec[] = [];
  for (let h = 0; h < 24; h += 6) {
    const t = dayStartMs + h * 3_600_000 + 17_000;
    const op = { 'gen_ai.operation.name': h % 12 === 0 ? 'chat' : 'text_completion' };
    spans.push(chatSpan('gpt-4o', t, { input: 1000, output: 50, cacheRead: 800 }, op));
    spans.push(chatSpan('gpt-4o', t + 1000, { input: 300, output: 120 }, op));
    spans.push(chatSpan('gpt-4o', t + 2000, { input: 300, output: 120, sdkCostUsd: 0.25 }, op));
    spans.push(
      chatSpan(
        'acme-llm',
        t + 3000,
        { input: 700, output: 70 },
        { 'gen_ai.provider.name': 'acme' },
      ),
    );
    spans.push({ traceId: hexId(16), spanId: hexId(8), name: 'retrieve', startMs: t + 4000 });
  }
  return spans;
}

describe('pilotlight reprice on SQLite', () => {
  const tmp = tempDir();
  const dbPath = path.join(tmp.dir, 'pilotlight.db');
  const env = { PILOTLIGHT_DB: dbPath };
  let store: SqliteSpanStore;
  let pricer: Pricer;
  let app: Hono;
  let before: Map<string, CallRecord>;
  let beforeB: Map<string, CallRecord>;

  beforeAll(async () => {
    store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
    pricer = await createPricer({ store: openSqlitePriceStore(store.path), refreshIntervalMs: 0 });
    app = pricedApp(store, pricer);
    for (let day = JAN; day < APRIL + 10 * DAY; day += 3 * DAY) {
      expect(await ingestInto(app, 'a', dayOfTraffic(day), day % 2 === 0 ? 'api' : 'worker')).toBe(
        200,
      );
      expect(await ingestInto(app, 'b', dayOfTraffic(day))).toBe(200);
    }
    before = await callsBySpan(store, 'a');
    beforeB = await callsBySpan(store, 'b');
    // The prices change after the calls were stored (back-dated), in project a only.
    const put = await call(app, 'a', 'PUT', '/api/prices', {
      entries: [
        {
          model: 'gpt-4o',
          inputPerMTok: 2,
          outputPerMTok: 8,
          cachedInputPerMTok: 0.2,
          effectiveFrom: '2026-03-01',
        },
        {
          model: 'acme-llm',
          provider: 'acme',
          inputPerMTok: 1,
          outputPerMTok: 4,
          effectiveFrom: '2026-02-01',
        },
      ],
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    pricer.close();
    await pricer.store.close();
    await store.close();
    tmp.remove();
  });

  it('changes nothing with --dry-run, and says what it would do', async () => {
    const run = await reprice(
      ['--from', '2026-02-15', '--to', '2026-04-01', '--project', 'a', '--dry-run'],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^would re-price [1-9][\d,]* of [\d,]+ calls in 1 project/);
    expect(await callsBySpan(store, 'a')).toEqual(before);
  });

  it('re-prices the calls in range only, keeps SDK costs, and keeps rollups equal to a recount', async () => {
    const run = await reprice(
      ['--from', '2026-02-15', '--to', '2026-04-01', '--project', 'a'],
      env,
    );
    expect(run.code, run.err).toBe(0);
    const after = await callsBySpan(store, 'a');
    expect(after.size).toBe(before.size);
    let inRange = 0;
    let changed = 0;
    for (const [spanId, old] of before) {
      const now = after.get(spanId)!;
      const startMs = Number(BigInt(old.startTimeUnixNano) / 1_000_000n);
      if (old.model === null || old.costSource === 'sdk' || startMs < FEB_15 || startMs >= APRIL) {
        expect(now, `${old.model} at ${new Date(startMs).toISOString()}`).toEqual(old);
        continue;
      }
      inRange++;
      const expected = expectedCost(old);
      if (expected === null) {
        expect(now).toMatchObject({ costUsd: null, costSource: null });
      } else {
        expect(now.costSource).toBe('collector');
        expect(now.costUsd).toBeCloseTo(expected, 15);
      }
      if (now.costUsd !== old.costUsd) changed++;
    }
    // gpt-4o calls from February 15 to March kept their price; the rest changed.
    expect(inRange).toBeGreaterThan(changed);
    expect(changed).toBeGreaterThan(0);
    expect(run.out).toMatch(
      new RegExp(
        `^re-priced ${changed} of ${inRange} calls in 1 project \\(cost [-+]\\$\\d+\\.\\d{6}\\) in [\\d.]+ s\\n$`,
      ),
    );
    // Off a terminal: plain progress lines, the last at 100%.
    const lines = run.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^reprice: 0% 0\/[\d,]+ calls, 0 re-priced/);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^reprice: 100% ${inRange}/${inRange} calls, ${changed} re-priced`),
    );
    expect(run.err).not.toContain('\r');

    const a = await rollupsVsRecount(store, 'a');
    expect(a.stored).toEqual(a.recount);
    const costSum = [...after.values()].reduce((s, c) => s + (c.costUsd ?? 0), 0);
    expect(rollupCostSum(a.stored)).toBeCloseTo(costSum, 9);
    // Project b: untouched, and still consistent.
    expect(await callsBySpan(store, 'b')).toEqual(beforeB);
    const b = await rollupsVsRecount(store, 'b');
    expect(b.stored).toEqual(b.recount);
  });

  it('is idempotent: a second run finds nothing to change', async () => {
    const run = await reprice(
      ['--from', '2026-02-15', '--to', '2026-04-01', '--project', 'a'],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^re-priced 0 of /);
  });

  it('with --model, re-prices only that model (snapshots included), every project by default', async () => {
    const run = await reprice(
      ['--from', '2026-01-01', '--to', '2026-02-15', '--model', 'acme-llm'],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/ in 2 projects /);
    const after = await callsBySpan(store, 'a');
    for (const c of after.values()) {
      const startMs = Number(BigInt(c.startTimeUnixNano) / 1_000_000n);
      if (c.model !== 'acme-llm' || startMs >= FEB_15) continue;
      // acme-llm before February 15: priced from February 1st on, unpriced (never $0) before.
      if (startMs < FEB_1) expect(c).toMatchObject({ costUsd: null, costSource: null });
      else expect(c.costUsd).toBeCloseTo(expectedCost(c)!, 15);
    }
    // gpt-4o before February 15 is not touched by an acme-llm run.
    for (const [spanId, old] of before) {
      if (old.model === 'gpt-4o' && Number(BigInt(old.startTimeUnixNano) / 1_000_000n) < FEB_15) {
        expect(after.get(spanId)).toEqual(old);
      }
    }
    // Project b has no addition: its acme-llm calls stay unpriced.
    for (const c of (await callsBySpan(store, 'b')).values()) {
      if (c.model === 'acme-llm') expect(c.costUsd).toBeNull();
    }
    const a = await rollupsVsRecount(store, 'a');
    expect(a.stored).toEqual(a.recount);
  });

  it('draws a bar redrawn in place on a terminal', async () => {
    const run = await reprice(
      ['--from', '2026-01-01', '--to', '2026-05-01', '--project', 'a', '--batch-size', '7'],
      env,
      { isTTY: true, columns: 120 },
    );
    expect(run.code).toBe(0);
    expect(run.err.startsWith('\r')).toBe(true);
    expect(run.err.endsWith('\n')).toBe(true);
    const frames = run.err
      .trimEnd()
      .split('\r')
      .filter((f) => f !== '');
    // April's gpt-4o calls (after the first run's range) change now.
    const repriced = /^re-priced (\d+) of (\d+) /.exec(run.out);
    expect(Number(repriced?.[1])).toBeGreaterThan(0);
    expect(frames.at(-1)).toBe(
      `reprice [${'#'.repeat(30)}] 100% ${repriced?.[2]}/${repriced?.[2]} calls, ${repriced?.[1]} re-priced, ${/\(cost ([-+]\$[\d.]+)\)/.exec(run.out)?.[1]}\u001b[K`,
    );
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.length).toBeLessThan(120);
  });

  it('answers usage errors with 64 and a missing database with 1', async () => {
    expect((await reprice([], env)).code).toBe(64);
    const bad = await reprice(['--from', 'last tuesday'], env);
    expect(bad.code).toBe(64);
    expect(bad.err).toContain(
      '--from "last tuesday": expected an ISO 8601 date or date-time, or Unix milliseconds',
    );
    expect((await reprice(['--from', '2026-03-01', '--to', '2026-02-01'], env)).err).toContain(
      '--to must be after --from',
    );
    expect((await reprice(['--from', '2026-03-01', '--batch-size', '0'], env)).code).toBe(64);
    const missing = await reprice(['--from', '2026-03-01'], {
      PILOTLIGHT_DB: path.join(tmp.dir, 'nope.db'),
    });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`no database at ${path.join(tmp.dir, 'nope.db')}`);
  });

  it('runs beside a live ingest without stalling it (a separate process on the same file)', async () => {
    // Enough calls for many batches.
    const spans: JsonSpanSpec[] = [];
    for (let i = 0; i < 12_000; i++) {
      spans.push(
        chatSpan('gpt-4o', MARCH + 5 * DAY + i * 1000, { input: 100 + (i % 50), output: 10 }),
      );
    }
    for (let i = 0; i < spans.length; i += 2000) {
      expect(await ingestInto(app, 'live', spans.slice(i, i + 2000))).toBe(200);
    }
    await call(app, 'live', 'PUT', '/api/prices', {
      entries: [
        { model: 'gpt-4o', inputPerMTok: 3, outputPerMTok: 9, effectiveFrom: '2026-03-01' },
      ],
    });
    const child = spawn(
      process.execPath,
      [
        '--conditions=@pilotlight/source',
        '--import',
        'tsx',
        'test/reprice-child.ts',
        '--from',
        '2026-03-01',
        '--project',
        'live',
        '--batch-size',
        '200',
      ],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, PILOTLIGHT_DB: dbPath },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    let done = false;
    void exited.then(() => (done = true));
    const statuses: number[] = [];
    let t = MARCH + 20 * DAY;
    while (!done) {
      const batch = Array.from({ length: 20 }, (_, k) =>
        chatSpan('gpt-4o', t + k * 1000, { input: 100, output: 10 }),
      );
      t += 20_000;
      statuses.push(await ingestInto(app, 'live', batch));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await exited, err).toBe(0);
    expect(out).toMatch(/^re-priced 12,000 of /);
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.every((s) => s === 200)).toBe(true);
    for (const c of await storedCalls(store, 'live')) {
      expect(c.costUsd).toBeCloseTo(
        ((c.inputTokens ?? 0) * 3 + (c.outputTokens ?? 0) * 9) / 1e6,
        15,
      );
    }
    const live = await rollupsVsRecount(store, 'live');
    expect(live.stored).toEqual(live.recount);
  }, 120_000);
});
