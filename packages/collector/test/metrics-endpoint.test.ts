import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../src/metrics/metrics.js';
import { hexId } from './helpers.js';
import { type Family, histogramSeries, parsePrometheusText } from './prometheus-text.js';
import { allSpans, genAiSpans, ingest, testApp } from './read-side-helpers.js';

const T0 = Date.UTC(2026, 9, 5, 6, 0);

type Families = Map<string, Family>;

function family(families: Families, name: string): Family {
  const f = families.get(name);
  if (f === undefined) throw new Error(`no metric family ${name}`);
  return f;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('GET /metrics', () => {
  const t = testApp();
  let families: Families;
  let contentType: string | null;
  const spans = genAiSpans(7, 300, T0, 3_600_000);

  beforeAll(async () => {
    expect(await ingest(t.app, spans.slice(0, 200))).toBe(200);
    expect(await ingest(t.app, spans.slice(200))).toBe(200);
    // An exporter retry: accepted again, stored once, counted once in the GenAI metrics.
    expect(await ingest(t.app, spans.slice(200))).toBe(200);
    // One span with a malformed trace id among valid ones: partial success.
    const bad = [
      { traceId: 'xyz', spanId: hexId(8) },
      { traceId: hexId(16), spanId: hexId(8), name: 'plain span' },
    ];
    expect(await ingest(t.app, bad)).toBe(200);
    expect((await t.app.request('/api/spans?limit=5')).status).toBe(200);
    expect((await t.app.request('/api/spans?limit=0')).status).toBe(400);
    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    contentType = res.headers.get('content-type');
    families = parsePrometheusText(await res.text());
  });
  afterAll(() => t.close());

  it('is served in the Prometheus text format', () => {
    expect(contentType).toContain('text/plain');
    expect(contentType).toContain('version=0.0.4');
  });

  it('counts each stored call once in gen_ai.client.operation.duration, per model', async () => {
    const stored = (await allSpans(t.app)).filter((s) => s.model !== null);
    expect(stored).toHaveLength(300);
    const duration = family(families, METRIC_NAMES.operationDuration);
    expect(duration.type).toBe('histogram');
    const series = histogramSeries(duration);
    const byModel = new Map<string, number>();
    for (const m of series) {
      const model = m.labels.gen_ai_request_model!;
      byModel.set(model, (byModel.get(model) ?? 0) + m.count);
      expect(m.labels.project).toBe('default');
    }
    const want = new Map<string, number>();
    for (const s of stored) want.set(s.model!, (want.get(s.model!) ?? 0) + 1);
    expect(byModel).toEqual(want);
    const seconds = sum(series.map((m) => m.sum));
    expect(seconds).toBeCloseTo(sum(stored.map((s) => s.durationMs)) / 1000, 3);
  });

  it('sums input tokens, cost and errors of the stored calls', async () => {
    const stored = (await allSpans(t.app)).filter((s) => s.model !== null);
    const tokens = family(families, METRIC_NAMES.tokenUsage);
    const input = histogramSeries(tokens).filter((m) => m.labels.gen_ai_token_type === 'input');
    expect(sum(input.map((m) => m.sum))).toBe(sum(stored.map((s) => s.inputTokens ?? 0)));
    const cost = family(families, METRIC_NAMES.costUsd);
    expect(sum(cost.samples.map((m) => m.value))).toBeCloseTo(
      sum(stored.map((s) => s.costUsd ?? 0)),
      9,
    );
    const errors = family(families, METRIC_NAMES.errors);
    expect(sum(errors.samples.map((m) => m.value))).toBe(
      stored.filter((s) => s.status === 'error').length,
    );
  });

  it('reports its own health: spans accepted and rejected, requests, ingest latency', () => {
    expect(Number(family(families, METRIC_NAMES.spansAccepted).samples[0]!.value)).toBe(401);
    const rejected = family(families, METRIC_NAMES.spansRejected).samples;
    expect(rejected.map((m) => [m.labels.reason, m.value])).toEqual([['invalid', 1]]);
    const requests = family(families, METRIC_NAMES.httpRequests).samples.map((m) => ({
      ...m.labels,
      value: m.value,
    }));
    expect(requests).toContainEqual({
      route: '/v1/traces',
      method: 'POST',
      status: '200',
      value: 4,
    });
    expect(requests).toContainEqual({
      route: '/api/spans',
      method: 'GET',
      status: '200',
      value: 1,
    });
    expect(requests).toContainEqual({
      route: '/api/spans',
      method: 'GET',
      status: '400',
      value: 1,
    });
    const [ingestDuration] = histogramSeries(family(families, METRIC_NAMES.ingestDuration));
    expect(ingestDuration!.count).toBe(4);
    expect(Number(family(families, METRIC_NAMES.queueDepth).samples[0]!.value)).toBe(0);
    expect(Number(family(families, METRIC_NAMES.storeSize).samples[0]!.value)).toBeGreaterThan(0);
  });

  it('labels unknown paths without their raw text', async () => {
    await t.app.request('/no/such/path/12345');
    const text = await (await t.app.request('/metrics')).text();
    expect(text).not.toContain('12345');
    const requests = family(parsePrometheusText(text), METRIC_NAMES.httpRequests).samples;
    expect(
      requests.some((m) => m.labels!.route === '(unmatched)' && m.labels.status === '404'),
    ).toBe(true);
  });

  it('folds models beyond PILOTLIGHT_METRICS_MAX_MODELS into other', async () => {
    const small = testApp({ metricsMaxModels: 2 });
    try {
      expect(await ingest(small.app, genAiSpans(8, 300, T0, 3_600_000))).toBe(200);
      const text = await (await small.app.request('/metrics')).text();
      const series = histogramSeries(
        family(parsePrometheusText(text), METRIC_NAMES.operationDuration),
      );
      const models = new Set(series.map((s) => s.labels.gen_ai_request_model));
      expect(models.size).toBe(3);
      expect(models.has('other')).toBe(true);
      expect(sum(series.map((s) => s.count))).toBe(300);
    } finally {
      await small.close();
    }
  });
});
