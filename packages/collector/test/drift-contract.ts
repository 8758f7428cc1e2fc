/**
 * The drift contract: one suite of behaviours every engine's drift store and feature source
 * must show, registered by `describeDriftContract(engine, open)` against SQLite and
 * PostgreSQL (drift-contract-sqlite.test.ts, drift-contract-postgres.test.ts).
 */
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureSource, Reservoir } from '../src/drift/feature-source.js';
import { type FeatureSpec, parseFeature } from '../src/drift/features.js';
import { driftMonitorSchema } from '../src/drift/monitor.js';
import { DriftMonitors } from '../src/drift/monitors.js';
import type { DriftStore, NewDriftRun } from '../src/drift/sqlite-drift-store.js';
import type { SpanStore } from '../src/store/store.js';
import { callRecord } from './drift-helpers.js';

/** The parts opened for the suite, and how to remove every trace of them. */
export interface DriftFixture {
  /** Where the suite's calls are written. */
  spans: SpanStore;
  drift: DriftStore;
  /** Reads what `spans` stored. */
  features: FeatureSource;
  destroy(): Promise<void>;
}

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 4, 0, 0, 0);
const feature = (name: string): FeatureSpec => {
  const f = parseFeature(name);
  if ('error' in f) throw new Error(f.error);
  return f;
};
/** Bulk calls: latency grows with time, so sampling order and windows are visible. */
const BULK = 3_000;
const bulkLatency = (i: number): number => (i * 7919) % 10_000;

/** A finished run of `monitorId` at `ranAtMs`, as `runDriftMonitor` returns them. */
function newRun(monitorId: string, ranAtMs: number, over: Partial<NewDriftRun> = {}): NewDriftRun {
  return {
    monitorId,
    projectId: 'default',
    feature: 'latency',
    ranAtMs,
    seed: 7,
    status: 'ok',
    message: null,
    kind: 'numeric',
    method: 'ks',
    statistic: 0.25,
    pValue: 0.01,
    threshold: 0.1,
    drifted: true,
    bins: null,
    quantiles: null,
    reference: {
      fromMs: T0,
      toMs: T0 + MIN,
      total: 40,
      size: 40,
      sampled: false,
      source: 'previous',
    },
    current: { fromMs: T0 + MIN, toMs: T0 + 2 * MIN, total: 50, size: 50, sampled: false },
    ...over,
  } as NewDriftRun;
}

/** Registers the drift contract for one engine; `open` is called once for the suite. */
export function describeDriftContract(engine: string, open: () => Promise<DriftFixture>): void {
  describe(`drift contract: ${engine}`, () => {
    let f: DriftFixture;

    beforeAll(async () => {
      f = await open();
      const varied: CallRecord[] = [
        {
          ...callRecord({
            startMs: T0,
            latencyMs: 250,
            confidence: 0.5,
            output: 'héllo 👋',
            attributes: {
              'gen_ai.request.temperature': 0.7,
              'user.tier': 'pro',
              'flag.on': 'yes',
            },
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
          inputTokens: null,
          outputTokens: 0,
        },
        // at the window's end: excluded from [T0, T0 + 1 min)
        callRecord({ startMs: T0 + MIN, latencyMs: 99 }),
      ];
      await f.spans.insertCalls('default', varied);
      await f.spans.insertCalls('other', [callRecord({ startMs: T0, latencyMs: 7 })]);
      // Inserted in shuffled batches: the source reads them in start order all the same.
      const bulk = Array.from({ length: BULK }, (_, i) =>
        callRecord({ startMs: T0 + 10 * MIN + i * 100, latencyMs: bulkLatency(i), model: 'bulk' }),
      );
      for (let b = 2; b >= 0; b--) {
        await f.spans.insertCalls('default', bulk.slice(b * 1000, (b + 1) * 1000));
      }
    });
    afterAll(async () => {
      await f.destroy();
    });

    const values = async (name: string, filters = {}) => {
      const s = await f.features.sample('default', feature(name), filters, T0, T0 + MIN, 1000, 1);
      return Array.from(s.values as ArrayLike<number | string>);
    };

    it('reads every feature from the stored calls, leaving out calls without a value', async () => {
      expect(await values('latency')).toEqual([250, 1500]);
      expect(await values('ttft')).toEqual([40]);
      expect(await values('input_tokens')).toEqual([100]);
      expect(await values('output_tokens')).toEqual([20, 0]);
      expect(await values('cost')).toEqual([0.002, 0.0001]);
      expect(await values('confidence')).toEqual([0.5]);
      expect(await values('output_length')).toEqual([7]); // code points: 'héllo 👋'
      expect(await values('model')).toEqual(['gpt-4o-mini', 'gpt-4o-2024-08-06']);
      expect(await values('finish_reason')).toEqual(['length']);
      expect(await values('status')).toEqual(['ok', 'error']);
      expect(await values('error_type')).toEqual(['RateLimitError']);
      expect(await values('number:gen_ai.request.temperature')).toEqual([0.7]);
      expect(await values('string:user.tier')).toEqual(['pro']);
      expect(await values('number:user.tier')).toEqual([3]);
      expect(await values('number:flag.on')).toEqual([]);
      expect(await values('number:missing')).toEqual([]);
    });

    it('keeps projects apart and applies filters on model, provider, service and operation', async () => {
      const other = await f.features.sample('other', feature('latency'), {}, T0, T0 + MIN, 10, 1);
      expect(Array.from(other.values as Float64Array)).toEqual([7]);
      expect(await values('latency', { provider: 'azure' })).toEqual([1500]);
      expect(await values('latency', { model: 'gpt-4o-2024-08-06' })).toEqual([1500]);
      expect(await values('latency', { service: 'support-bot', operation: 'chat' })).toEqual([
        250, 1500,
      ]);
      expect(await values('latency', { operation: 'embeddings' })).toEqual([]);
      expect(await values('latency', { model: '' })).toEqual([]);
    });

    it('samples a large window with a seeded reservoir over the calls in start order', async () => {
      const read = (seed: number, cap: number) =>
        f.features.sample(
          'default',
          feature('latency'),
          { model: 'bulk' },
          T0,
          T0 + 60 * MIN,
          cap,
          seed,
        );
      const a = await read(42, 500);
      expect(a).toMatchObject({ kind: 'numeric', total: BULK, sampled: true });
      // The exact sample both engines must pick: the same reservoir fed in start order.
      const expected = new Reservoir<number>(500, 42);
      for (let i = 0; i < BULK; i++) expected.offer(bulkLatency(i));
      expect(Array.from(a.values as Float64Array)).toEqual(expected.items);
      expect(Array.from((await read(43, 500)).values as Float64Array)).not.toEqual(expected.items);
      const all = await read(42, 5_000);
      expect(all).toMatchObject({ total: BULK, sampled: false });
      expect(Array.from(all.values as Float64Array)).toEqual(
        Array.from({ length: BULK }, (_, i) => bulkLatency(i)),
      );
    });

    it('stores monitors per project, tells a create from a replace, and removes them', async () => {
      const m = (id: string, projectId: string, windowSec = 600) =>
        driftMonitorSchema.parse({
          id,
          projectId,
          feature: 'latency',
          currentWindow: { windowSec },
          referenceWindow: { type: 'previous' },
        });
      expect(await f.drift.putMonitor(m('crud-b', 'p1'), T0)).toEqual({ created: true });
      expect(await f.drift.putMonitor(m('crud-a', 'p2'), T0)).toEqual({ created: true });
      expect(await f.drift.putMonitor(m('crud-b', 'p1', 1200), T0 + 1)).toEqual({
        created: false,
      });
      expect(await f.drift.getMonitor('crud-b')).toEqual(m('crud-b', 'p1', 1200));
      expect(await f.drift.getMonitor('nope')).toBeNull();
      expect((await f.drift.listMonitors('p1')).map((x) => x.id)).toEqual(['crud-b']);
      expect((await f.drift.listMonitors()).map((x) => x.id)).toEqual(
        expect.arrayContaining(['crud-a', 'crud-b']),
      );
      expect(await f.drift.removeMonitor('crud-a')).toBe(true);
      expect(await f.drift.removeMonitor('crud-a')).toBe(false);
      expect((await f.drift.listMonitors('p2')).map((x) => x.id)).toEqual([]);
    });

    it('keeps runs newest first with infinite statistics, and serves the drift rule its latest verdict', async () => {
      const first = await f.drift.appendRun(newRun('runs', T0 + 10 * MIN));
      const infinite = await f.drift.appendRun(
        newRun('runs', T0 + 20 * MIN, { method: 'psi', statistic: Infinity, pValue: null }),
      );
      const thin = await f.drift.appendRun(
        newRun('runs', T0 + 30 * MIN, {
          status: 'insufficient_data',
          statistic: null,
          pValue: null,
          drifted: false,
        }),
      );
      expect(infinite.id).toBeGreaterThan(first.id);
      expect(thin.id).toBeGreaterThan(infinite.id);
      const runs = await f.drift.listRuns('runs', 10);
      expect(runs).toEqual([thin, infinite, first]);
      expect(runs[1]!.statistic).toBe(Infinity);
      expect(await f.drift.listRuns('runs', 1)).toEqual([thin]);

      // The newest run in the window without a verdict hides older ones.
      expect(await f.drift.latestRun('default', 'runs', T0, T0 + 40 * MIN)).toBeNull();
      expect(await f.drift.latestRun('default', 'runs', T0, T0 + 30 * MIN)).toEqual({
        statistic: Infinity,
        drifted: true,
        referenceSize: 40,
        currentSize: 50,
        ranAtMs: T0 + 20 * MIN,
      });
      expect(await f.drift.latestRun('other', 'runs', T0, T0 + 30 * MIN)).toBeNull();
      expect((await f.drift.lastRunTimes()).get('runs')).toBe(T0 + 30 * MIN);
    });

    it('saves baselines with their values and lists them without', async () => {
      const baseline = {
        id: 'base-1',
        projectId: 'p1',
        feature: 'latency',
        filters: { model: 'bulk' },
        fromMs: T0,
        toMs: T0 + MIN,
        total: 3,
        sampled: false,
        createdAtMs: T0 + 5,
        values: { kind: 'numeric' as const, values: [1.5, 2, 1e-9] },
      };
      await f.drift.putBaseline(baseline);
      await f.drift.putBaseline({
        ...baseline,
        id: 'base-0',
        feature: 'model',
        values: { kind: 'categorical', values: ['a', 'ü'] },
      });
      await f.drift.putBaseline({ ...baseline, id: 'base-2', projectId: 'p2' });
      expect(await f.drift.getBaseline('base-1')).toEqual(baseline);
      expect(await f.drift.getBaseline('nope')).toBeNull();
      const { values: _values, ...meta } = baseline;
      expect(await f.drift.listBaselines('p1')).toEqual([
        { ...meta, id: 'base-0', feature: 'model' },
        meta,
      ]);
      await f.drift.putBaseline({ ...baseline, total: 4 });
      expect((await f.drift.getBaseline('base-1'))?.total).toBe(4);
    });

    it('runs the due monitors of every project, each once per schedule', async () => {
      let clock = T0 + 15 * MIN;
      const monitors = new DriftMonitors({
        store: f.drift,
        features: f.features,
        now: () => clock,
      });
      const base = {
        feature: 'latency',
        currentWindow: { windowSec: 120 },
        referenceWindow: { type: 'previous' },
        method: 'ks',
        minSamples: 100,
        schedule: { everySec: 600 },
      } as const;
      await monitors.put(
        driftMonitorSchema.parse({
          ...base,
          id: 'due-default',
          projectId: 'default',
          filters: { model: 'bulk' },
        }),
      );
      await monitors.put(
        driftMonitorSchema.parse({ ...base, id: 'due-other', projectId: 'other' }),
      );
      await monitors.put(
        driftMonitorSchema.parse({ ...base, id: 'due-off', projectId: 'default', enabled: false }),
      );
      const ran = (await monitors.runDue()).filter((r) => r.monitorId.startsWith('due-'));
      expect(ran.map((r) => [r.monitorId, r.projectId, r.status])).toEqual([
        ['due-default', 'default', 'ok'],
        ['due-other', 'other', 'insufficient_data'],
      ]);
      expect(ran[0]).toMatchObject({
        reference: { fromMs: T0 + 11 * MIN, toMs: T0 + 13 * MIN, total: 1200 },
        current: { fromMs: T0 + 13 * MIN, toMs: T0 + 15 * MIN, total: 1200 },
      });
      clock += 5 * MIN; // not due yet
      expect((await monitors.runDue()).filter((r) => r.monitorId.startsWith('due-'))).toEqual([]);
      clock += 5 * MIN;
      expect(
        (await monitors.runDue())
          .filter((r) => r.monitorId.startsWith('due-'))
          .map((r) => r.monitorId),
      ).toEqual(['due-default', 'due-other']);
      expect((await monitors.runs('due-default')).map((r) => r.ranAtMs)).toEqual([
        T0 + 25 * MIN,
        T0 + 15 * MIN,
      ]);
    });
  });
}
