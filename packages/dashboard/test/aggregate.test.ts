import type { CallRecord } from '@pilotlight/conventions';
import { describe, expect, it } from 'vitest';
import { percentile, summarizeCalls } from '../src/app/aggregate.ts';

function call(over: Partial<CallRecord>): CallRecord {
  return {
    traceId: '0'.repeat(32),
    spanId: '0'.repeat(16),
    parentSpanId: null,
    projectId: 'default',
    name: 'chat',
    operation: 'chat',
    provider: 'openai',
    model: 'gpt-4o',
    responseModel: null,
    responseId: null,
    finishReasons: null,
    serviceName: 'svc',
    startTime: '2026-01-01T00:00:30.000Z',
    endTime: '2026-01-01T00:00:30.100Z',
    startTimeUnixNano: '0',
    durationMs: 100,
    ttftMs: null,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.5,
    costSource: 'collector',
    confidence: null,
    status: 'ok',
    errorType: null,
    input: null,
    output: null,
    sourceDialect: null,
    warnings: [],
    attributes: {},
    ...over,
  };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('percentile', () => {
  it('interpolates between closest ranks like numpy', () => {
    // numpy.percentile([1, 2, 3, 4, 10], [50, 90, 95, 99]) -> [3.0, 7.6, 8.8, 9.76]
    const s = [1, 2, 3, 4, 10];
    expect(percentile(s, 0.5)).toBeCloseTo(3, 12);
    expect(percentile(s, 0.9)).toBeCloseTo(7.6, 12);
    expect(percentile(s, 0.95)).toBeCloseTo(8.8, 12);
    expect(percentile(s, 0.99)).toBeCloseTo(9.76, 12);
  });
});

describe('summarizeCalls', () => {
  it('groups model calls by dimension and interval, leaving plain spans and out-of-range calls out', () => {
    const calls = [
      call({ durationMs: 100 }),
      call({ durationMs: 300, status: 'error', startTime: '2026-01-01T00:01:10.000Z' }),
      call({ model: 'gpt-4o-mini', costUsd: 0.25, confidence: 0.5 }),
      call({ operation: null, model: null, provider: null, name: 'parent' }),
      call({ startTime: '2026-01-01T01:00:00.000Z' }),
    ];
    const s = summarizeCalls(calls, {
      fromMs: T0,
      toMs: T0 + 3_600_000,
      intervalSec: 60,
      groupBy: 'model',
    });
    expect(s.groups.map((g) => [g.key, g.total.calls])).toEqual([
      ['gpt-4o', 2],
      ['gpt-4o-mini', 1],
    ]);
    const g = s.groups[0]!;
    expect(g.total.errors).toBe(1);
    expect(g.total.errorRate).toBe(0.5);
    expect(g.total.costUsd).toBe(1);
    expect(g.total.latencyMs?.p50).toBe(200);
    expect(g.points.map((p) => [p.startMs - T0, p.calls])).toEqual([
      [0, 1],
      [60_000, 1],
    ]);
    expect(s.groups[1]!.total.meanConfidence).toBe(0.5);
    expect(g.total.ttftMs).toBeNull();
  });
});
