import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary, SummaryPoint } from '../src/rollups/summary.js';
import { hexId } from './helpers.js';
import { allSpans, exactQuantile, genAiSpans, ingest, testApp } from './read-side-helpers.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 5, 6, 13); // deliberately not on an hour boundary
const RANGE = { from: T0 - HOUR, to: T0 + 4 * HOUR };

function isCall(r: CallRecord): boolean {
  return r.operation !== null || r.model !== null || r.provider !== null;
}

/** The figures a summary point must match, recounted from raw calls. */
function expectMatches(point: SummaryPoint, calls: readonly CallRecord[]): void {
  expect(point.calls).toBe(calls.length);
  expect(point.errors).toBe(calls.filter((c) => c.status === 'error').length);
  expect(point.inputTokens).toBe(calls.reduce((s, c) => s + (c.inputTokens ?? 0), 0));
  expect(point.outputTokens).toBe(calls.reduce((s, c) => s + (c.outputTokens ?? 0), 0));
  // Same additions in another order: equal up to float rounding.
  const cost = calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
  expect(Math.abs(point.costUsd - cost)).toBeLessThanOrEqual(1e-12 * Math.max(1, cost));
  const durations = calls.map((c) => c.durationMs);
  for (const [key, q] of [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const exact = exactQuantile(durations, q);
    expect(Math.abs(point.latencyMs![key] - exact) / exact).toBeLessThanOrEqual(0.01);
  }
  const ttfts = calls.flatMap((c) => (c.ttftMs === null ? [] : [c.ttftMs]));
  if (ttfts.length === 0) expect(point.ttftMs).toBeNull();
  else {
    const exact = exactQuantile(ttfts, 0.95);
    expect(Math.abs(point.ttftMs!.p95 - exact) / exact).toBeLessThanOrEqual(0.01);
  }
  const conf = calls.flatMap((c) => (c.confidence === null ? [] : [c.confidence]));
  if (conf.length === 0) expect(point.meanConfidence).toBeNull();
  else expect(point.meanConfidence).toBeCloseTo(conf.reduce((a, b) => a + b, 0) / conf.length, 10);
}

describe('GET /api/summary', () => {
  const t = testApp();
  let calls: CallRecord[] = [];

  beforeAll(async () => {
    // Two services, 3 hours of traffic, plus plain spans that are not model calls.
    const a = genAiSpans(1, 1500, T0, 3 * HOUR);
    const b = genAiSpans(2, 900, T0 + HOUR / 2, 2 * HOUR);
    expect(await ingest(t.app, a.slice(0, 800), 'checkout')).toBe(200);
    expect(await ingest(t.app, a.slice(800), 'checkout')).toBe(200);
    expect(await ingest(t.app, b, 'search')).toBe(200);
    const plain = Array.from({ length: 50 }, (_, i) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name: 'http GET',
      startMs: T0 + i * 60_000,
    }));
    expect(await ingest(t.app, plain, 'checkout')).toBe(200);
    // Resending a batch (an exporter retry) must not count its calls twice.
    expect(await ingest(t.app, a.slice(0, 800), 'checkout')).toBe(200);
    calls = (await allSpans(t.app)).filter(isCall);
    expect(calls).toHaveLength(2400);
  });
  afterAll(() => t.close());

  const get = async (params: Record<string, string>) => {
    const res = await t.app.request(`/api/summary?${new URLSearchParams(params)}`);
    return { status: res.status, body: (await res.json()) as Summary & { message?: string } };
  };

  it('totals equal an exact recount of the raw calls, resends counted once', async () => {
    const { status, body } = await get({ from: String(RANGE.from), to: String(RANGE.to) });
    expect(status).toBe(200);
    expect(body.groups.map((g) => g.key)).toEqual(['all']);
    expectMatches(body.groups[0]!.total, calls);
    expect(body.groups[0]!.total.costUsd).toBeGreaterThan(0);
  });

  it.each(['model', 'provider', 'service', 'operation'] as const)(
    'groups by %s at 1-hour intervals, each point equal to a recount',
    async (groupBy) => {
      const { status, body } = await get({
        from: new Date(RANGE.from).toISOString(),
        to: new Date(RANGE.to).toISOString(),
        groupBy,
        interval: '1h',
      });
      expect(status).toBe(200);
      const field = groupBy === 'service' ? 'serviceName' : groupBy;
      const keys = [...new Set(calls.map((c) => c[field] ?? ''))].sort();
      expect(body.groups.map((g) => g.key).sort()).toEqual(keys);
      for (const group of body.groups) {
        const mine = calls.filter((c) => (c[field] ?? '') === group.key);
        expectMatches(group.total, mine);
        for (const point of group.points) {
          const inPoint = mine.filter((c) => {
            const ms = Number(BigInt(c.startTimeUnixNano) / 1_000_000n);
            return ms >= point.startMs && ms < point.startMs + HOUR;
          });
          expectMatches(point, inPoint);
        }
        expect(group.points.reduce((s, p) => s + p.calls, 0)).toBe(mine.length);
      }
    },
  );

  it('answers a ragged range and 5-minute intervals from finer buckets, exactly', async () => {
    const from = T0 + 17 * 60_000;
    const to = T0 + 2 * HOUR + 43 * 60_000;
    const { body } = await get({
      from: String(from),
      to: String(to),
      interval: '300',
      model: 'gpt-4o',
    });
    const mine = calls.filter((c) => {
      const ms = Number(BigInt(c.startTimeUnixNano) / 1_000_000n);
      return c.model === 'gpt-4o' && ms >= from && ms < to;
    });
    expectMatches(body.groups[0]!.total, mine);
    expect(body.groups[0]!.points.every((p) => p.startMs % 300_000 === 0)).toBe(true);
  });

  it('reads buckets, not calls: a month at 1-hour intervals merges rows, not 2,400 calls', async () => {
    const { body } = await get({
      from: String(T0 - 29 * 24 * HOUR),
      to: String(T0 + 24 * HOUR),
      groupBy: 'model',
      interval: '1h',
    });
    expect(body.groups.reduce((s, g) => s + g.total.calls, 0)).toBe(2400);
    // 3 hours × at most (2 services × 3 models × 2 operations) rows of the hour tier.
    expect(body.rowsUsed).toBeLessThanOrEqual(4 * 12);
  });

  it.each([
    [{ groupBy: 'colour' }, 'groupBy'],
    [{ interval: '90s' }, 'interval'],
    [{ interval: 'hourly' }, 'interval'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2000', to: '1000' }, 'to'],
    [{ from: '0', to: String(T0), interval: '60' }, 'interval'],
    [{ limit: '5' }, 'limit'],
  ])('answers 400 naming the bad parameter for %o', async (params, name) => {
    const { status, body } = await get(params as Record<string, string>);
    expect(status).toBe(400);
    expect(body.message).toContain(name);
    expect((body as unknown as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(
      name,
    );
  });

  it('is empty, not an error, over a range without calls', async () => {
    const { status, body } = await get({
      from: String(T0 - 48 * HOUR),
      to: String(T0 - 47 * HOUR),
    });
    expect(status).toBe(200);
    expect(body.groups).toEqual([]);
  });
});
