import { describe, expect, it } from 'vitest';
import {
  addCallToRollups,
  coarsenRollups,
  fromStoredRollupRow,
  mergeStoredRollupRow,
  RollupBatch,
  type RollupCallInput,
  type RollupRow,
  toStoredRollupRow,
} from '../src/rollups/rollup.js';
import {
  DEFAULT_ROLLUP_KEEP_SEC,
  MAX_SUMMARY_INTERVALS,
  planSummary,
  type RollupRetention,
  rollupCutoffMs,
  type SummaryGroupBy,
  type SummaryOptions,
  summarize,
} from '../src/rollups/summary.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2026-03-02T00:00:00Z, a Monday. */
const T0 = Date.UTC(2026, 2, 2);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function call(startMs: number, overrides: Partial<RollupCallInput> = {}): RollupCallInput {
  return {
    projectId: 'default',
    serviceName: 'checkout',
    provider: 'openai',
    model: 'gpt-4o-mini',
    responseModel: null,
    operation: 'chat',
    startTimeUnixNano: `${BigInt(startMs) * 1_000_000n + 123_456n}`,
    durationMs: 800,
    ttftMs: null,
    inputTokens: 100,
    outputTokens: 20,
    cacheReadInputTokens: null,
    costUsd: 0.001,
    confidence: null,
    status: 'ok',
    ...overrides,
  };
}

const MODELS = [
  ['openai', 'gpt-4o-mini', 300],
  ['openai', 'gpt-4o', 1200],
  ['anthropic', 'claude-sonnet-4', 2000],
  ['local', 'fraud-xgb', 5],
] as const;
const SERVICES = ['checkout', 'search', 'support'];

/** Realistic traffic over `days` days: 4 models, 3 services, errors, streaming, confidence. */
function traffic(seed: number, count: number, spanMs: number): RollupCallInput[] {
  const r = rng(seed);
  const out: RollupCallInput[] = [];
  for (let i = 0; i < count; i++) {
    const [provider, model, medianMs] = MODELS[Math.floor(r() * MODELS.length)]!;
    const streamed = provider !== 'local' && r() < 0.5;
    const normal = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const durationMs = medianMs * Math.exp(0.6 * normal);
    out.push(
      call(T0 + Math.floor(r() * spanMs), {
        provider,
        model,
        serviceName: SERVICES[Math.floor(r() * SERVICES.length)]!,
        operation: provider === 'local' ? 'predict' : r() < 0.9 ? 'chat' : 'embeddings',
        durationMs,
        ttftMs: streamed ? durationMs * (0.1 + 0.3 * r()) : null,
        inputTokens: provider === 'local' ? null : Math.floor(r() * 2000),
        outputTokens: provider === 'local' ? null : Math.floor(r() * 500),
        cacheReadInputTokens: r() < 0.2 ? Math.floor(r() * 500) : null,
        costUsd: provider === 'local' ? null : r() * 0.01,
        confidence: r() < 0.7 ? r() : null,
        status: r() < 0.05 ? 'error' : 'ok',
      }),
    );
  }
  return out;
}

function rollupsOf(records: readonly RollupCallInput[]): RollupRow[] {
  const batch = new RollupBatch();
  for (const record of records) addCallToRollups(batch, record);
  return [...batch.rows()];
}

function startMs(record: RollupCallInput): number {
  return Number(BigInt(record.startTimeUnixNano) / 1_000_000n);
}

/** The exact lower quantile the sketch approximates: rank ⌊q(n−1)⌋. */
function exact(values: number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function dimension(record: RollupCallInput, groupBy: SummaryGroupBy | undefined): string {
  switch (groupBy) {
    case undefined:
      return 'all';
    case 'project':
      return record.projectId;
    case 'model':
      return record.model ?? '';
    case 'provider':
      return record.provider ?? '';
    case 'service':
      return record.serviceName ?? '';
    case 'operation':
      return record.operation ?? '';
  }
}

/** Brute force over raw records: what the summary must say. */
function bruteForce(records: readonly RollupCallInput[], options: SummaryOptions) {
  const fromMs = Math.floor(options.from / MINUTE) * MINUTE;
  const toMs = Math.ceil(options.to / MINUTE) * MINUTE;
  const groups = new Map<string, Map<number, RollupCallInput[]>>();
  for (const r of records) {
    const t = startMs(r);
    if (t < fromMs || t >= toMs) continue;
    if (options.filter?.model !== undefined && r.model !== options.filter.model) continue;
    if (options.filter?.service !== undefined && r.serviceName !== options.filter.service) continue;
    const key = dimension(r, options.groupBy);
    const interval =
      options.intervalSec === undefined
        ? fromMs
        : Math.floor(t / (options.intervalSec * 1000)) * options.intervalSec * 1000;
    const series = groups.get(key) ?? new Map<number, RollupCallInput[]>();
    groups.set(key, series);
    const list = series.get(interval) ?? [];
    series.set(interval, list);
    list.push(r);
  }
  return groups;
}

function expectPercentilesClose(
  actual: { p50: number; p90: number; p95: number; p99: number } | null,
  values: number[],
): void {
  if (values.length === 0) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  for (const [name, q] of [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const want = exact(values, q);
    expect(
      Math.abs(actual![name] - want),
      `${name}: ${actual![name]} vs ${want}`,
    ).toBeLessThanOrEqual(0.01 * want);
  }
}

describe('addCallToRollups', () => {
  it('batches many calls of one ingest batch into one row per key and tier', () => {
    const batch = new RollupBatch();
    const minute = T0 + 10 * MINUTE;
    for (let i = 0; i < 100; i++) {
      addCallToRollups(
        batch,
        call(minute + i * 100, {
          model: ['a', 'b', 'c'][i % 3]!,
          durationMs: 100 + i,
          ttftMs: i % 2 === 0 ? 10 + i : null,
          status: i % 10 === 0 ? 'error' : 'ok',
          cacheReadInputTokens: 5,
          confidence: i % 4 === 0 ? 0.5 : null,
        }),
      );
    }
    // 3 models × 4 tiers.
    expect(batch.size).toBe(12);
    const minuteRows = [...batch.rows()].filter((r) => r.bucketSec === 60);
    expect(minuteRows.map((r) => r.model).sort()).toEqual(['a', 'b', 'c']);
    const a = minuteRows.find((r) => r.model === 'a')!;
    expect(a.bucketStartMs).toBe(minute);
    expect(a.calls).toBe(34);
    expect(a.errors).toBe(4); // i = 0, 30, 60, 90
    expect(a.inputTokens).toBe(3400);
    expect(a.outputTokens).toBe(680);
    expect(a.cachedInputTokens).toBe(170);
    expect(a.costUsd).toBeCloseTo(0.034, 12);
    expect(a.latencyMs.count).toBe(34);
    expect(a.latencyMs.min).toBe(100);
    expect(a.latencyMs.max).toBe(199);
    expect(a.ttftMs.count).toBe(17); // even i among i ≡ 0 (mod 3)
    expect(a.confidenceCount).toBe(9); // i ≡ 0 (mod 12)
    expect(a.confidenceSum).toBeCloseTo(4.5, 12);
    const day = [...batch.rows()].find((r) => r.bucketSec === 86_400 && r.model === 'a')!;
    expect(day.bucketStartMs).toBe(T0);
    expect(day.calls).toBe(34);
  });

  it('ignores spans that are not model calls and keys unknown dimensions as empty strings', () => {
    const batch = new RollupBatch();
    addCallToRollups(batch, call(T0, { operation: null, model: null, provider: null }));
    expect(batch.size).toBe(0);
    const minutes = new RollupBatch([60]);
    addCallToRollups(
      minutes,
      call(T0, { serviceName: null, model: null, responseModel: 'gpt-4o-2024-08-06' }),
    );
    const [row] = [...minutes.rows()];
    expect(row).toMatchObject({ service: '', model: 'gpt-4o-2024-08-06', bucketSec: 60 });
  });

  it('counts a call with an impossible duration without letting it break the batch', () => {
    const batch = new RollupBatch([60]);
    addCallToRollups(batch, call(T0, { durationMs: Number.NaN, ttftMs: -1 }));
    addCallToRollups(batch, call(T0, { durationMs: 250 }));
    const [row] = [...batch.rows()];
    expect(row!.calls).toBe(2);
    expect(row!.latencyMs.count).toBe(1);
    expect(row!.ttftMs.count).toBe(0);
  });

  it('takes the bucket from the exact nanosecond start time', () => {
    const batch = new RollupBatch([60]);
    // One nanosecond before a minute boundary stays in the earlier minute.
    addCallToRollups(
      batch,
      call(0, { startTimeUnixNano: `${BigInt(T0 + MINUTE) * 1_000_000n - 1n}` }),
    );
    expect([...batch.rows()][0]!.bucketStartMs).toBe(T0);
  });
});

describe('coarsenRollups', () => {
  it('merging minute rows into hours gives the same rows as rolling up by hour directly', () => {
    const records = traffic(1, 5000, 6 * HOUR);
    const rows = rollupsOf(records);
    const minutes = rows.filter((r) => r.bucketSec === 60);
    const hours = rows.filter((r) => r.bucketSec === 3600);
    const coarse = coarsenRollups(minutes, 3600);
    expect(coarse.length).toBe(hours.length);
    for (const h of hours) {
      const c = coarse.find(
        (x) =>
          x.bucketStartMs === h.bucketStartMs &&
          x.model === h.model &&
          x.service === h.service &&
          x.operation === h.operation,
      )!;
      expect(c.calls).toBe(h.calls);
      expect(c.errors).toBe(h.errors);
      expect(c.inputTokens).toBe(h.inputTokens);
      expect(c.costUsd).toBeCloseTo(h.costUsd, 9);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        expect(c.latencyMs.quantile(q)).toBe(h.latencyMs.quantile(q));
      }
    }
    expect(() => coarsenRollups(hours, 300)).toThrow(RangeError);
  });
});

describe('stored rollup rows', () => {
  it('round-trip through their storable form and merge as an upsert would', () => {
    const first = rollupsOf(traffic(2, 300, MINUTE)).filter(
      (r) => r.bucketSec === 60 && r.model === 'gpt-4o' && r.service === 'search',
    );
    const second = rollupsOf(traffic(3, 300, MINUTE)).filter(
      (r) => r.bucketSec === 60 && r.model === 'gpt-4o' && r.service === 'search',
    );
    const a = first.find((r) => r.operation === 'chat')!;
    const b = second.find((r) => r.operation === 'chat')!;
    const stored = toStoredRollupRow(a);
    expect(stored.latencySketch).toBeInstanceOf(Uint8Array);
    const back = fromStoredRollupRow(stored);
    expect(back.calls).toBe(a.calls);
    expect(back.latencyMs.quantile(0.95)).toBe(a.latencyMs.quantile(0.95));
    const upserted = fromStoredRollupRow(mergeStoredRollupRow(stored, b));
    expect(upserted.calls).toBe(a.calls + b.calls);
    expect(upserted.errors).toBe(a.errors + b.errors);
    expect(upserted.latencyMs.count).toBe(a.latencyMs.count + b.latencyMs.count);
    expect(upserted.ttftMs.count).toBe(a.ttftMs.count + b.ttftMs.count);
    expect(upserted.latencyMs.max).toBe(Math.max(a.latencyMs.max, b.latencyMs.max));
  });
});

describe('planSummary', () => {
  it('reads the middle of a 30-day range from hour rows and only the ragged edges from finer ones', () => {
    const from = T0 + 7 * MINUTE + 30_000; // rounds down to T0 + 7 min
    const to = T0 + 30 * DAY + 2 * HOUR + 13 * MINUTE + 1; // rounds up to … + 14 min
    const plan = planSummary({ from, to, intervalSec: 3600 });
    expect(plan.fromMs).toBe(T0 + 7 * MINUTE);
    expect(plan.toMs).toBe(T0 + 30 * DAY + 2 * HOUR + 14 * MINUTE);
    expect(plan.ranges).toEqual([
      { bucketSec: 60, fromMs: T0 + 7 * MINUTE, toMs: T0 + 10 * MINUTE },
      { bucketSec: 300, fromMs: T0 + 10 * MINUTE, toMs: T0 + HOUR },
      { bucketSec: 3600, fromMs: T0 + HOUR, toMs: T0 + 30 * DAY + 2 * HOUR },
      {
        bucketSec: 300,
        fromMs: T0 + 30 * DAY + 2 * HOUR,
        toMs: T0 + 30 * DAY + 2 * HOUR + 10 * MINUTE,
      },
      {
        bucketSec: 60,
        fromMs: T0 + 30 * DAY + 2 * HOUR + 10 * MINUTE,
        toMs: T0 + 30 * DAY + 2 * HOUR + 14 * MINUTE,
      },
    ]);
  });

  it('uses day rows for daily intervals and for whole-range totals, never a tier an interval cannot hold', () => {
    const daily = planSummary({ from: T0, to: T0 + 7 * DAY, intervalSec: 86_400 });
    expect(daily.ranges).toEqual([{ bucketSec: 86_400, fromMs: T0, toMs: T0 + 7 * DAY }]);
    const total = planSummary({ from: T0 - HOUR, to: T0 + 2 * DAY });
    expect(total.ranges.map((r) => r.bucketSec)).toEqual([3600, 86_400]);
    // 10-minute intervals can hold 5-minute rows but not hour rows.
    const tenMinutes = planSummary({ from: T0, to: T0 + DAY, intervalSec: 600 });
    expect(tenMinutes.ranges).toEqual([{ bucketSec: 300, fromMs: T0, toMs: T0 + DAY }]);
  });

  it('rejects intervals that are not whole minutes, empty ranges and too many intervals', () => {
    expect(() => planSummary({ from: T0, to: T0 + HOUR, intervalSec: 90 })).toThrow(RangeError);
    expect(() => planSummary({ from: T0, to: T0, intervalSec: 60 })).toThrow(RangeError);
    expect(() => planSummary({ from: Number.NaN, to: T0 })).toThrow(RangeError);
    expect(() =>
      planSummary({ from: T0, to: T0 + (MAX_SUMMARY_INTERVALS + 1) * MINUTE, intervalSec: 60 }),
    ).toThrow(RangeError);
  });
});

describe('summarize', () => {
  const records = traffic(42, 20_000, 3 * DAY);
  // Every tier's rows are given: the summary must pick its plan's rows and never double count.
  const rows = rollupsOf(records);

  const cases: Array<[string, SummaryOptions]> = [
    [
      'by model, hourly, unaligned range',
      {
        from: T0 + 5 * HOUR + 17 * MINUTE + 5_000,
        to: T0 + 2 * DAY + 3 * HOUR + 2 * MINUTE,
        groupBy: 'model',
        intervalSec: 3600,
      },
    ],
    [
      'by provider, daily',
      { from: T0, to: T0 + 3 * DAY, groupBy: 'provider', intervalSec: 86_400 },
    ],
    [
      'by service, 5 minutes over 2 hours',
      {
        from: T0 + DAY + 3 * MINUTE,
        to: T0 + DAY + 2 * HOUR,
        groupBy: 'service',
        intervalSec: 300,
      },
    ],
    [
      'by operation, 2-hour intervals',
      {
        from: T0 + 90 * MINUTE,
        to: T0 + 2 * DAY,
        groupBy: 'operation',
        intervalSec: 7200,
      },
    ],
    [
      'by minute for one model',
      {
        from: T0 + 10 * HOUR,
        to: T0 + 11 * HOUR,
        groupBy: 'model',
        intervalSec: 60,
        filter: { model: 'gpt-4o' },
      },
    ],
    [
      'whole range, no grouping, one service',
      {
        from: T0 + 1234567,
        to: T0 + 3 * DAY - 7654321,
        filter: { service: 'search' },
      },
    ],
  ];

  for (const [name, options] of cases) {
    it(`matches a brute-force computation over the raw calls (${name})`, () => {
      const summary = summarize(rows, options);
      const expected = bruteForce(records, options);
      expect(summary.groups.map((g) => g.key).sort()).toEqual([...expected.keys()].sort());
      for (const group of summary.groups) {
        const series = expected.get(group.key)!;
        expect(group.points.map((p) => p.startMs)).toEqual(
          [...series.keys()].sort((a, b) => a - b),
        );
        const all: RollupCallInput[] = [];
        for (const point of group.points) {
          const raw = series.get(point.startMs)!;
          all.push(...raw);
          expect(point.calls).toBe(raw.length);
          expect(point.errors).toBe(raw.filter((r) => r.status === 'error').length);
          expect(point.errorRate).toBeCloseTo(point.errors / raw.length, 12);
          expect(point.inputTokens).toBe(raw.reduce((s, r) => s + (r.inputTokens ?? 0), 0));
          expect(point.outputTokens).toBe(raw.reduce((s, r) => s + (r.outputTokens ?? 0), 0));
          expect(point.cachedInputTokens).toBe(
            raw.reduce((s, r) => s + (r.cacheReadInputTokens ?? 0), 0),
          );
          expect(point.costUsd).toBeCloseTo(
            raw.reduce((s, r) => s + (r.costUsd ?? 0), 0),
            9,
          );
          expectPercentilesClose(
            point.latencyMs,
            raw.map((r) => r.durationMs),
          );
          const ttft = raw.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
          expectPercentilesClose(point.ttftMs, ttft);
          const conf = raw.flatMap((r) => (r.confidence === null ? [] : [r.confidence]));
          if (conf.length === 0) expect(point.meanConfidence).toBeNull();
          else
            expect(point.meanConfidence).toBeCloseTo(
              conf.reduce((a, b) => a + b, 0) / conf.length,
              9,
            );
        }
        expect(group.total.calls).toBe(all.length);
        expectPercentilesClose(
          group.total.latencyMs,
          all.map((r) => r.durationMs),
        );
      }
      // Groups come most calls first.
      const totals = summary.groups.map((g) => g.total.calls);
      expect(totals).toEqual([...totals].sort((a, b) => b - a));
    });
  }

  it('costs rows, not calls: more than three times the traffic reads the same rows', () => {
    const options: SummaryOptions = { from: T0, to: T0 + DAY, groupBy: 'model', intervalSec: 3600 };
    const small = summarize(rollupsOf(traffic(7, 30_000, DAY)), options);
    const large = summarize(rollupsOf(traffic(8, 100_000, DAY)), options);
    expect(large.groups.reduce((s, g) => s + g.total.calls, 0)).toBe(100_000);
    // One hour row per key: 24 hours × (3 LLMs × 3 services × chat/embeddings + the local
    // model × 3 services × predict), whatever the number of calls behind them.
    const keys = 3 * 3 * 2 + 3;
    expect(small.rowsUsed).toBe(24 * keys);
    expect(large.rowsUsed).toBe(24 * keys);
  });

  it('returns no groups for a range without calls', () => {
    const summary = summarize(rows, {
      from: T0 - 2 * DAY,
      to: T0 - DAY,
      groupBy: 'model',
      intervalSec: 3600,
    });
    expect(summary.groups).toEqual([]);
    expect(summary.rowsUsed).toBe(0);
  });

  describe('with tiers kept for different times', () => {
    // 40 days of traffic, looked at on day 45 with the default keep times: minute rows
    // (3 days) are all gone, 5-minute rows (35 days) reach back to day 10.
    const longRecords = traffic(43, 20_000, 40 * DAY);
    const retention: RollupRetention = {
      nowMs: T0 + 45 * DAY,
      keepSecByTier: DEFAULT_ROLLUP_KEEP_SEC,
    };
    const kept = rollupsOf(longRecords).filter(
      (r) => r.bucketStartMs >= rollupCutoffMs(retention, r.bucketSec),
    );

    it('reads expired edges from the finest tier still kept and says how far the range reaches', () => {
      const options: SummaryOptions = {
        from: T0 + 5 * DAY + 7 * MINUTE,
        to: T0 + 38 * DAY + 13 * MINUTE,
        groupBy: 'model',
        intervalSec: 3600,
        retention,
      };
      const plan = planSummary(options);
      // Day 5 has only hour rows left; day 38 still has 5-minute rows.
      expect(plan.fromMs).toBe(T0 + 5 * DAY);
      expect(plan.toMs).toBe(T0 + 38 * DAY + 15 * MINUTE);
      expect(plan.ranges.some((r) => r.bucketSec === 60)).toBe(false);
      const summary = summarize(kept, options);
      const want = bruteForce(
        longRecords.filter((r) => startMs(r) >= plan.fromMs && startMs(r) < plan.toMs),
        { ...options, from: plan.fromMs, to: plan.toMs },
      );
      for (const group of summary.groups) {
        const series = want.get(group.key)!;
        expect(group.points.map((p) => p.startMs)).toEqual(
          [...series.keys()].sort((a, b) => a - b),
        );
        for (const point of group.points) {
          const raw = series.get(point.startMs)!;
          expect(point.calls).toBe(raw.length);
          expect(point.errors).toBe(raw.filter((r) => r.status === 'error').length);
          expectPercentilesClose(
            point.latencyMs,
            raw.map((r) => r.durationMs),
          );
        }
      }
      expect(summary.groups.reduce((n, g) => n + g.total.calls, 0)).toBe(
        [...want.values()].reduce(
          (n, s) => n + [...s.values()].reduce((m, l) => m + l.length, 0),
          0,
        ),
      );
    });

    it('without retention the same rows would miss the expired edges', () => {
      const options: SummaryOptions = {
        from: T0 + 5 * DAY + 7 * MINUTE,
        to: T0 + 38 * DAY + 13 * MINUTE,
        intervalSec: 3600,
      };
      const naive = summarize(kept, options);
      const aware = summarize(kept, { ...options, retention });
      const within = longRecords.filter(
        (r) => startMs(r) >= T0 + 5 * DAY && startMs(r) < T0 + 38 * DAY + 15 * MINUTE,
      ).length;
      expect(aware.groups[0]!.total.calls).toBe(within);
      expect(naive.groups[0]!.total.calls).toBeLessThan(within);
    });

    it('returns nothing for intervals whose tiers have all expired, and day totals still work', () => {
      const later: RollupRetention = {
        nowMs: T0 + 500 * DAY,
        keepSecByTier: DEFAULT_ROLLUP_KEEP_SEC,
      };
      const survivors = rollupsOf(longRecords).filter(
        (r) => r.bucketStartMs >= rollupCutoffMs(later, r.bucketSec),
      );
      expect(survivors.every((r) => r.bucketSec === 86_400)).toBe(true);
      const hourly = summarize(survivors, {
        from: T0,
        to: T0 + 40 * DAY,
        intervalSec: 3600,
        retention: later,
      });
      expect(hourly.groups).toEqual([]);
      const total = summarize(survivors, { from: T0 + HOUR, to: T0 + 40 * DAY, retention: later });
      expect(total.fromMs).toBe(T0);
      expect(total.groups[0]!.total.calls).toBe(longRecords.length);
    });
  });
});
