import { describe, expect, it } from 'vitest';
import {
  createRollupReader,
  type DriftRunReader,
  evaluateRule,
  ruleWindow,
} from '../src/alerts/evaluate.js';
import { type AlertRuleInput, alertRuleSchema } from '../src/alerts/rule.js';
import { initialAlertState, nextAlertState } from '../src/alerts/state.js';
import {
  addCallToRollups,
  RollupBatch,
  type RollupCallInput,
  type RollupRow,
} from '../src/rollups/rollup.js';
import type { RollupRange } from '../src/rollups/summary.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0); // a UTC midnight
const NOW = T0 + 5 * 60_000 + 30_000; // 00:05:30 → a 5-minute window is [00:00, 00:05)

function call(atMs: number, patch: Partial<RollupCallInput> = {}): RollupCallInput {
  return {
    projectId: 'p',
    serviceName: 'api',
    provider: 'openai',
    model: 'gpt-4o',
    responseModel: null,
    operation: 'chat',
    startTimeUnixNano: `${atMs}000000`,
    durationMs: 100,
    ttftMs: null,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadInputTokens: null,
    costUsd: 0.001,
    confidence: null,
    status: 'ok',
    ...patch,
  };
}

/** An in-memory rollup table with the store's range query, counting the rows it returns. */
function table(calls: readonly RollupCallInput[]) {
  const batch = new RollupBatch();
  for (const c of calls) addCallToRollups(batch, c);
  const rows = [...batch.rows()];
  const loads: { ranges: readonly RollupRange[]; rows: number }[] = [];
  const reader = createRollupReader((projectId, ranges) => {
    const out: RollupRow[] = rows.filter(
      (r) =>
        r.projectId === projectId &&
        ranges.some(
          (g) =>
            r.bucketSec === g.bucketSec && r.bucketStartMs >= g.fromMs && r.bucketStartMs < g.toMs,
        ),
    );
    loads.push({ ranges, rows: out.length });
    return out;
  });
  return { reader, loads };
}

function rule(patch: Partial<AlertRuleInput>) {
  return alertRuleSchema.parse({
    id: 'r',
    projectId: 'p',
    metric: 'calls',
    windowSec: 300,
    comparator: '>',
    threshold: 0,
    ...patch,
  });
}

// 100 calls in the window: latencies 1..100 ms, 7 errors, 50 streamed with TTFT 10..500 ms,
// confidences 0.5..0.99 on the first 50; plus calls just outside the window on both sides.
const inWindow = Array.from({ length: 100 }, (_, i) =>
  call(T0 + i * 2_000, {
    durationMs: i + 1,
    status: i % 15 === 0 ? 'error' : 'ok',
    ttftMs: i < 50 ? (i + 1) * 10 : null,
    confidence: i < 50 ? 0.5 + i * 0.01 : null,
    inputTokens: 10 + (i % 3),
    outputTokens: 5,
    costUsd: 0.002,
  }),
);
const outside = [
  call(T0 - 1, { durationMs: 1e6, status: 'error', costUsd: 100 }),
  call(T0 + 5 * 60_000 + 1_000, { durationMs: 1e6, status: 'error', costUsd: 100 }), // current minute
];
const other = Array.from({ length: 10 }, (_, i) =>
  call(T0 + i * 1_000, { model: 'claude-sonnet', provider: 'anthropic', durationMs: 5000 }),
);

/** Exact lower quantile (the sketch's definition) of 1..n. */
const exact = (q: number, values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
const latencies = inWindow.map((c) => c.durationMs);
const ttfts = inWindow.flatMap((c) => (c.ttftMs === null ? [] : [c.ttftMs]));
const confidences = inWindow.flatMap((c) => (c.confidence === null ? [] : [c.confidence]));

const expected: Record<string, number> = {
  latency_p50: exact(0.5, latencies),
  latency_p95: exact(0.95, latencies),
  latency_p99: exact(0.99, latencies),
  ttft_p95: exact(0.95, ttfts),
  error_rate: inWindow.filter((c) => c.status === 'error').length / 100,
  calls: 100,
  cost: 100 * 0.002,
  tokens: inWindow.reduce((s, c) => s + (c.inputTokens ?? 0) + (c.outputTokens ?? 0), 0),
  mean_confidence: confidences.reduce((a, b) => a + b, 0) / confidences.length,
};

describe('evaluateRule', () => {
  const { reader } = table([...inWindow, ...outside, ...other]);
  const filters = { model: 'gpt-4o' };

  it('covers the last whole minutes before now', () => {
    expect(ruleWindow(300, NOW)).toEqual({ fromMs: T0, toMs: T0 + 5 * 60_000 });
  });

  it.each(Object.entries(expected))(
    '%s is read from rollups over the window only',
    async (metric, value) => {
      const r = rule({ metric: metric as AlertRuleInput['metric'], filters });
      const [evaluation, ...rest] = await evaluateRule(r, { rollups: reader }, NOW);
      expect(rest).toEqual([]);
      expect(evaluation).toMatchObject({
        ruleId: 'r',
        group: '',
        calls: 100,
        windowStartMs: T0,
        windowEndMs: T0 + 5 * 60_000,
      });
      // Quantiles carry the sketch's 1% relative error; sums are exact up to float addition.
      const tolerance = metric.includes('_p') ? 0.01 * value : 1e-9;
      expect(Math.abs(evaluation!.value! - value)).toBeLessThanOrEqual(tolerance);
    },
  );

  it.each(Object.entries(expected))(
    '%s fires through the state machine above its value and not below it',
    async (metric, value) => {
      const lowerIsWorse = metric === 'mean_confidence';
      const fire = rule({
        metric: metric as AlertRuleInput['metric'],
        filters,
        comparator: lowerIsWorse ? '<' : '>',
        threshold: lowerIsWorse ? value * 1.1 : value * 0.9,
      });
      const calm = { ...fire, threshold: lowerIsWorse ? value * 0.9 : value * 1.1 };
      const state = initialAlertState('r', '', T0);
      const [e1] = await evaluateRule(fire, { rollups: reader }, NOW);
      expect(nextAlertState(fire, state, e1!, NOW).transition?.to).toBe('firing');
      const [e2] = await evaluateRule(calm, { rollups: reader }, NOW);
      expect(nextAlertState(calm, state, e2!, NOW).transition).toBeNull();
    },
  );

  it('an empty window has no value for ratios and quantiles, zero for counts', async () => {
    const { reader: empty } = table([]);
    const values = Object.fromEntries(
      await Promise.all(
        Object.keys(expected).map(async (metric) => {
          const [e] = await evaluateRule(
            rule({ metric: metric as AlertRuleInput['metric'] }),
            { rollups: empty },
            NOW,
          );
          return [metric, e!.value] as const;
        }),
      ),
    );
    expect(values).toEqual({
      latency_p50: null,
      latency_p95: null,
      latency_p99: null,
      ttft_p95: null,
      error_rate: null,
      calls: 0,
      cost: 0,
      tokens: 0,
      mean_confidence: null,
    });
  });

  it('evaluates each group, and known groups without data as no data', async () => {
    const r = rule({ metric: 'latency_p95', groupBy: 'model' });
    const evaluations = await evaluateRule(r, { rollups: reader }, NOW, [
      'gpt-4o',
      'retired-model',
    ]);
    const byGroup = Object.fromEntries(evaluations.map((e) => [e.group, [e.calls, e.value]]));
    expect(Object.keys(byGroup).sort()).toEqual(['claude-sonnet', 'gpt-4o', 'retired-model']);
    expect(byGroup['claude-sonnet']![0]).toBe(10);
    expect(Math.abs(byGroup['claude-sonnet']![1]! - 5000)).toBeLessThanOrEqual(50);
    expect(byGroup['retired-model']).toEqual([0, null]);
  });

  it('filters on every dimension', async () => {
    const count = async (f: AlertRuleInput['filters']) =>
      (await evaluateRule(rule({ filters: f }), { rollups: reader }, NOW))[0]!.value;
    expect(await count({})).toBe(110);
    expect(await count({ provider: 'anthropic' })).toBe(10);
    expect(await count({ service: 'api', operation: 'chat', model: 'gpt-4o' })).toBe(100);
    expect(await count({ operation: 'embeddings' })).toBe(0);
  });

  it('reads coarse buckets for long windows: cost follows buckets, not calls', async () => {
    // One call per minute for 7 days, evaluated with a 7-day window ending on a midnight.
    const week = 7 * 86_400_000;
    const calls = Array.from({ length: 7 * 1440 }, (_, i) => call(T0 - week + i * 60_000));
    const { reader: big, loads } = table(calls);
    const [e] = await evaluateRule(rule({ windowSec: 7 * 86_400 }), { rollups: big }, T0 + 1_000);
    expect(e!.value).toBe(7 * 1440);
    expect(loads.at(-1)!.rows).toBe(7); // seven day rows instead of 10,080 minute rows
  });

  it('a drift rule reads the latest run of its monitor', async () => {
    const asked: unknown[] = [];
    const drift: DriftRunReader = {
      async latestRun(projectId, monitorId, fromMs, toMs) {
        asked.push([projectId, monitorId, fromMs, toMs]);
        return {
          statistic: 0.31,
          drifted: true,
          referenceSize: 900,
          currentSize: 450,
          ranAtMs: T0,
        };
      },
    };
    const r = rule({ metric: 'drift', monitorId: 'latency-shift', threshold: 0.2, minCalls: 500 });
    const [e] = await evaluateRule(r, { rollups: reader, drift }, NOW);
    expect(asked).toEqual([['p', 'latency-shift', T0, T0 + 5 * 60_000]]);
    expect(e).toMatchObject({ value: 0.31, calls: 450 });
    // 450 < minCalls 500: the smaller sample is too small to fire.
    expect(nextAlertState(r, initialAlertState('r', '', T0), e!, NOW).transition).toBeNull();
    await expect(evaluateRule(r, { rollups: reader }, NOW)).rejects.toThrow(/drift run reader/);
  });
});
