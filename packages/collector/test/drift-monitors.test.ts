import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Reservoir } from '../src/drift/feature-source.js';
import { type FeatureSpec, parseFeature } from '../src/drift/features.js';
import { driftMonitorSchema, parseDriftMonitorInput } from '../src/drift/monitor.js';
import { DriftMonitors } from '../src/drift/monitors.js';
import { SqliteDriftStore } from '../src/drift/sqlite-drift-store.js';
import { SqliteFeatureSource } from '../src/drift/sqlite-feature-source.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { callRecord } from './drift-helpers.js';
import { tempDir } from './helpers.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 4, 0, 0, 0);
const feature = (name: string): FeatureSpec => {
  const f = parseFeature(name);
  if ('error' in f) throw new Error(f.error);
  return f;
};

describe('drift monitors', () => {
  const tmp = tempDir('pilotlight-drift-monitors-');
  let db: Database.Database;
  let reader: Database.Database;
  let source: SqliteFeatureSource;

  beforeAll(async () => {
    const store = openSqliteStore({ path: path.join(tmp.dir, 'pl.db') });
    const varied = [
      {
        ...callRecord({
          startMs: T0,
          latencyMs: 250,
          confidence: 0.5,
          output: 'héllo 👋',
          attributes: { 'gen_ai.request.temperature': 0.7, 'user.tier': 'pro' },
        }),
        ttftMs: 40,
        costUsd: 0.002,
        finishReasons: ['length', 'stop'],
      },
      {
        ...callRecord({
          startMs: T0 + 1000,
          latencyMs: 1500,
          status: 'error',
          errorType: 'RateLimitError',
          attributes: { 'gen_ai.request.temperature': 'hot', 'user.tier': 3 },
        }),
        model: null,
        responseModel: 'gpt-4o-2024-08-06',
        provider: 'azure',
        finishReasons: null,
      },
      // at the window's end: excluded from [T0, T0 + 1 min)
      callRecord({ startMs: T0 + MIN, latencyMs: 99 }),
    ];
    await store.insertCalls('default', varied);
    await store.insertCalls('other', [callRecord({ startMs: T0, latencyMs: 7 })]);
    // 10,000 calls over [10, 20) min with latency 0..9999 ms, growing with time
    await store.insertCalls(
      'default',
      Array.from({ length: 10_000 }, (_, i) =>
        callRecord({ startMs: T0 + 10 * MIN + i * 60, latencyMs: i, model: 'bulk' }),
      ),
    );
    await store.close();
    db = new Database(path.join(tmp.dir, 'pl.db'));
    reader = new Database(path.join(tmp.dir, 'pl.db'), { readonly: true });
    source = new SqliteFeatureSource(reader);
  });
  afterAll(() => {
    db.close();
    reader.close();
    tmp.remove();
  });

  const values = async (name: string, filters = {}) => {
    const s = await source.sample('default', feature(name), filters, T0, T0 + MIN, 1000, 1);
    return Array.from(s.values as ArrayLike<number | string>);
  };

  it('reads every feature from the stored calls, leaving out calls without a value', async () => {
    expect(await values('latency')).toEqual([250, 1500]);
    expect(await values('ttft')).toEqual([40]);
    expect(await values('input_tokens')).toEqual([100, 100]);
    expect(await values('output_tokens')).toEqual([20, 20]);
    expect(await values('cost')).toEqual([0.002, 0.0001]);
    expect(await values('confidence')).toEqual([0.5]);
    expect(await values('output_length')).toEqual([7]); // code points: 'héllo 👋'
    expect(await values('model')).toEqual(['gpt-4o-mini', 'gpt-4o-2024-08-06']);
    expect(await values('finish_reason')).toEqual(['length']);
    expect(await values('status')).toEqual(['ok', 'error']);
    expect(await values('error_type')).toEqual(['RateLimitError']);
    expect(await values('number:gen_ai.request.temperature')).toEqual([0.7]);
    expect(await values('string:user.tier')).toEqual(['pro']);
    expect(await values('number:missing')).toEqual([]);
  });

  it('applies filters on model, provider, service and operation', async () => {
    expect(await values('latency', { provider: 'azure' })).toEqual([1500]);
    expect(await values('latency', { model: 'gpt-4o-2024-08-06' })).toEqual([1500]);
    expect(await values('latency', { service: 'support-bot', operation: 'chat' })).toEqual([
      250, 1500,
    ]);
    expect(await values('latency', { operation: 'embeddings' })).toEqual([]);
  });

  it('samples large windows uniformly at random, reproducibly per seed', async () => {
    const read = (seed: number, cap = 1000) =>
      source.sample('default', feature('latency'), { model: 'bulk' }, T0, T0 + 60 * MIN, cap, seed);
    const a = await read(42);
    expect(a).toMatchObject({ kind: 'numeric', total: 10_000, sampled: true });
    expect(a.values).toHaveLength(1000);
    const nums = (s: { values: Float64Array | string[] }) => Array.from(s.values as Float64Array);
    expect(new Set(nums(a)).size).toBe(1000); // without replacement
    expect(nums(await read(42))).toEqual(nums(a));
    expect(nums(await read(43))).not.toEqual(nums(a));
    // Uniform: each tenth of the range holds about a tenth of the sample
    // (chi-square with 9 dof; 27.88 is its 0.001 upper quantile: scipy.stats.chi2.ppf(0.999, 9)).
    const deciles = new Array(10).fill(0);
    for (const v of a.values as Float64Array) deciles[Math.floor(v / 1000)]++;
    const chi2 = deciles.reduce((s, n) => s + (n - 100) ** 2 / 100, 0);
    expect(chi2).toBeLessThan(27.88);
    const all = await read(42, 20_000);
    expect(all).toMatchObject({ total: 10_000, sampled: false });
    expect(all.values).toHaveLength(10_000);
  });

  it('keeps a reservoir of exactly cap items', () => {
    const r = new Reservoir<number>(3, 9);
    for (let i = 0; i < 100; i++) r.offer(i);
    expect(r.items).toHaveLength(3);
    expect(r.seen).toBe(100);
    expect(() => new Reservoir(0, 1)).toThrow(RangeError);
  });

  it('validates monitors and applies defaults', () => {
    const ok = parseDriftMonitorInput({
      projectId: 'default',
      feature: 'number:gen_ai.request.temperature',
      referenceWindow: { type: 'previous' },
      currentWindow: { windowSec: 3600 },
    });
    expect(ok).toMatchObject({
      ok: true,
      value: {
        method: 'auto',
        minSamples: 30,
        sampleCap: 10_000,
        schedule: { everySec: 3600 },
        filters: {},
      },
    });
    const bad = parseDriftMonitorInput({
      projectId: 'default',
      feature: 'string:',
      referenceWindow: { type: 'baseline' },
      currentWindow: { windowSec: 3600 },
      schedule: { everySec: 10 },
      filters: { region: 'eu' },
    });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues.map((i) => i.path).sort()).toEqual(
      ['feature', 'filters.region', 'referenceWindow.baselineId', 'schedule.everySec'].sort(),
    );
  });

  it('runs against the previous period or a saved baseline, and says when data is too thin', async () => {
    let clock = T0 + 20 * MIN;
    const store = new SqliteDriftStore(db);
    const monitors = new DriftMonitors({ store, features: source, now: () => clock });
    const base = {
      projectId: 'default',
      feature: 'latency',
      filters: { model: 'bulk' },
      currentWindow: { windowSec: 300 },
      method: 'ks',
      minSamples: 100,
    } as const;
    // bulk latency grows with time, so [15, 20) min differs from [10, 15) min
    await monitors.put(
      driftMonitorSchema.parse({ ...base, id: 'prev', referenceWindow: { type: 'previous' } }),
    );
    const prev = await monitors.runNow('prev');
    expect(prev).toMatchObject({
      status: 'ok',
      method: 'ks',
      drifted: true,
      reference: { source: 'previous', fromMs: T0 + 10 * MIN, toMs: T0 + 15 * MIN, total: 5000 },
      current: { fromMs: T0 + 15 * MIN, toMs: T0 + 20 * MIN, total: 5000 },
    });
    expect(prev.statistic).toBe(1);

    const saved = await monitors.saveBaseline({
      id: 'late',
      projectId: 'default',
      feature: 'latency',
      filters: { model: 'bulk' },
      fromMs: T0 + 15 * MIN,
      toMs: T0 + 20 * MIN,
      cap: 500,
    });
    expect(saved).toMatchObject({ id: 'late', total: 5000, sampled: true });
    await monitors.put(
      driftMonitorSchema.parse({
        ...base,
        id: 'base',
        referenceWindow: { type: 'baseline', baselineId: 'late' },
      }),
    );
    const same = await monitors.runNow('base');
    expect(same).toMatchObject({
      status: 'ok',
      drifted: false,
      reference: { source: 'baseline', baselineId: 'late', size: 500, sampled: true, total: 5000 },
    });

    await monitors.put(
      driftMonitorSchema.parse({
        ...base,
        id: 'gone',
        referenceWindow: { type: 'baseline', baselineId: 'nope' },
      }),
    );
    expect(await monitors.runNow('gone')).toMatchObject({
      status: 'error',
      message: 'baseline nope does not exist',
      drifted: false,
    });

    clock = T0 + 80 * MIN; // nothing in [75, 80) min
    const thin = await monitors.runNow('prev');
    expect(thin).toMatchObject({ status: 'insufficient_data', statistic: null, drifted: false });
    expect(thin.message).toContain('current window has 0 values, fewer than minSamples 100');
    // the drift rule's reader: the newest run in the window, null when it has no verdict
    expect(await store.latestRun('default', 'prev', T0, T0 + 90 * MIN)).toBeNull();
    expect(await store.latestRun('default', 'prev', T0, T0 + 30 * MIN)).toMatchObject({
      statistic: 1,
      drifted: true,
      referenceSize: 5000,
      currentSize: 5000,
      ranAtMs: T0 + 20 * MIN,
    });
    expect(await store.latestRun('other', 'prev', T0, T0 + 30 * MIN)).toBeNull();
    expect((await monitors.runs('prev')).map((r) => r.status)).toEqual(['insufficient_data', 'ok']);
  });

  it('schedules due monitors on an unref’d timer with the injected clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let clock = T0 + 30 * MIN;
      const memory = new Database(':memory:');
      const store = new SqliteDriftStore(memory);
      const monitors = new DriftMonitors({ store, features: source, now: () => clock });
      const m = {
        projectId: 'default',
        feature: 'latency',
        currentWindow: { windowSec: 600 },
        referenceWindow: { type: 'previous' },
        schedule: { everySec: 600 },
      } as const;
      await monitors.put(driftMonitorSchema.parse({ ...m, id: 'a' }));
      await monitors.put(driftMonitorSchema.parse({ ...m, id: 'off', enabled: false }));
      const ran: string[] = [];
      monitors.start({
        tickMs: 1000,
        onRun: (r) => ran.push(`${r.monitorId}@${(r.ranAtMs - T0) / MIN}`),
      });
      monitors.start(); // idempotent
      await vi.advanceTimersByTimeAsync(1000);
      clock += 5 * MIN; // not due yet
      await vi.advanceTimersByTimeAsync(1000);
      clock += 5 * MIN; // due
      await vi.advanceTimersByTimeAsync(1000);
      expect(ran).toEqual(['a@30', 'a@40']);
      monitors.stop();
      monitors.stop();
      clock += 60 * MIN;
      await vi.advanceTimersByTimeAsync(5000);
      expect(ran).toHaveLength(2);
      memory.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
