import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { httpMetricsMiddleware, metricsHandler, UNMATCHED_ROUTE } from '../src/metrics/http.js';
import { OTHER_LABEL_VALUE, UNKNOWN_LABEL_VALUE } from '../src/metrics/labels.js';
import {
  createMetrics,
  GEN_AI_DURATION_BUCKETS_SEC,
  GEN_AI_TOKEN_BUCKETS,
  METRIC_NAMES,
  type MetricsCallInput,
} from '../src/metrics/metrics.js';

// ---------------------------------------------------------------------------------------
// A small, strict parser of the Prometheus text exposition format (version 0.0.4):
// https://prometheus.io/docs/instrumenting/exposition_formats/ — it throws on anything
// malformed instead of guessing, so the collector's output must be exactly right.
// ---------------------------------------------------------------------------------------

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  // Values follow Go's strconv.ParseFloat, which reads NaN and Inf in any letter case.
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`bad value ${JSON.stringify(text)} in: ${line}`);
  }
  return Number(text);
}

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`unterminated labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${name} in: ${line}`);
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in: ${line}`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

/** The family a sample belongs to, by the naming rules of its declared type. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = families.get(name.slice(0, -suffix.length));
      if (
        base &&
        (base.type === 'histogram' || (base.type === 'summary' && suffix !== '_bucket'))
      ) {
        return base;
      }
    }
  }
  return undefined;
}

function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // plain comment
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
          throw new Error(`bad type in: ${line}`);
        }
        if (family.samples.length > 0) throw new Error(`TYPE after samples in: ${line}`);
        family.type = rest as MetricType;
      } else {
        family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      families.set(name, family);
      continue;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad sample line: ${line}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(' ');
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) {
      throw new Error(`bad sample line: ${line}`);
    }
    const value = parseValue(parts[0]!, line);
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample without a TYPE: ${line}`);
    const identity = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(identity)) throw new Error(`duplicate series: ${line}`);
    seen.add(identity);
    family.samples.push({ name, labels, value });
  }
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** Buckets must be cumulative and end at +Inf, which must equal _count. */
function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || !samples.some((s) => s.name === `${family.name}_sum`)) {
      throw new Error(`${family.name}: series without _sum/_count`);
    }
    let previous = -1;
    let previousLe = Number.NEGATIVE_INFINITY;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? '', 'le');
      if (!(le > previousLe)) throw new Error(`${family.name}: le not increasing`);
      if (b.value < previous) throw new Error(`${family.name}: buckets not cumulative`);
      previous = b.value;
      previousLe = le;
    }
    if (previousLe !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}: no +Inf bucket`);
    if (previous !== count.value) throw new Error(`${family.name}: +Inf bucket != _count`);
  }
}

function sample(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

function labelValues(families: Map<string, Family>, family: string, label: string): Set<string> {
  return new Set(
    families
      .get(family)!
      .samples.map((s) => s.labels[label])
      .filter((v): v is string => v !== undefined),
  );
}

// ---------------------------------------------------------------------------------------

function call(overrides: Partial<MetricsCallInput> = {}): MetricsCallInput {
  return {
    projectId: 'default',
    provider: 'openai',
    model: 'gpt-4o-mini',
    responseModel: null,
    operation: 'chat',
    durationMs: 700,
    ttftMs: null,
    inputTokens: 120,
    outputTokens: 30,
    costUsd: 0.002,
    status: 'ok',
    errorType: null,
    ...overrides,
  };
}

const GPT = {
  project: 'default',
  gen_ai_provider_name: 'openai',
  gen_ai_request_model: 'gpt-4o-mini',
  gen_ai_operation_name: 'chat',
};

describe('the strict Prometheus parser used by these tests', () => {
  it('rejects malformed exposition', () => {
    expect(() => parsePrometheusText('foo 1\n')).toThrow(/TYPE/);
    expect(() => parsePrometheusText('# TYPE foo counter\nfoo{a="x} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE foo counter\nfoo{a="\\q"} 1\n')).toThrow(/escape/);
    expect(() => parsePrometheusText('# TYPE foo counter\nfoo one\n')).toThrow(/value/);
    expect(() => parsePrometheusText('# TYPE foo counter\nfoo 1\nfoo 2\n')).toThrow(/duplicate/);
    expect(() =>
      parsePrometheusText(
        '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      ),
    ).toThrow(/cumulative/);
  });
});

describe('createMetrics', () => {
  it('exports GenAI duration, TTFT, token usage, cost and errors per project, provider, model and operation', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordCall(call({ durationMs: 15 }));
    metrics.recordCall(call({ durationMs: 700, ttftMs: 90, inputTokens: 5000, outputTokens: 3 }));
    metrics.recordCall(
      call({ durationMs: 100_000, status: 'error', errorType: 'timeout', costUsd: null }),
    );
    metrics.recordCall(
      call({
        provider: 'anthropic',
        model: 'claude-sonnet-4',
        costUsd: 0.01,
        status: 'error',
        errorType: null,
      }),
    );
    const text = await metrics.render();
    const f = parsePrometheusText(text);

    const d = METRIC_NAMES.operationDuration;
    expect(f.get(d)!.type).toBe('histogram');
    expect(sample(f, `${d}_count`, GPT)).toBe(3);
    expect(sample(f, `${d}_sum`, GPT)).toBeCloseTo(0.015 + 0.7 + 100, 9);
    expect(sample(f, `${d}_bucket`, { ...GPT, le: '0.02' })).toBe(1);
    expect(sample(f, `${d}_bucket`, { ...GPT, le: '0.64' })).toBe(1);
    expect(sample(f, `${d}_bucket`, { ...GPT, le: '1.28' })).toBe(2);
    expect(sample(f, `${d}_bucket`, { ...GPT, le: '81.92' })).toBe(2);
    expect(sample(f, `${d}_bucket`, { ...GPT, le: '+Inf' })).toBe(3);

    const t = METRIC_NAMES.timeToFirstChunk;
    expect(sample(f, `${t}_count`, GPT)).toBe(1); // only the streamed call
    expect(sample(f, `${t}_bucket`, { ...GPT, le: '0.08' })).toBe(0);
    expect(sample(f, `${t}_bucket`, { ...GPT, le: '0.16' })).toBe(1);

    const u = METRIC_NAMES.tokenUsage;
    expect(f.get(u)!.type).toBe('histogram');
    expect(sample(f, `${u}_sum`, { ...GPT, gen_ai_token_type: 'input' })).toBe(120 + 5000 + 120);
    expect(sample(f, `${u}_sum`, { ...GPT, gen_ai_token_type: 'output' })).toBe(30 + 3 + 30);
    expect(sample(f, `${u}_bucket`, { ...GPT, gen_ai_token_type: 'output', le: '4' })).toBe(1);
    expect(sample(f, `${u}_bucket`, { ...GPT, gen_ai_token_type: 'input', le: '4096' })).toBe(2);

    expect(f.get(METRIC_NAMES.costUsd)!.type).toBe('counter');
    expect(sample(f, METRIC_NAMES.costUsd, GPT)).toBeCloseTo(0.004, 12);
    expect(
      sample(f, METRIC_NAMES.costUsd, {
        ...GPT,
        gen_ai_provider_name: 'anthropic',
        gen_ai_request_model: 'claude-sonnet-4',
      }),
    ).toBeCloseTo(0.01, 12);
    expect(sample(f, METRIC_NAMES.errors, { ...GPT, error_type: 'timeout' })).toBe(1);
    expect(
      sample(f, METRIC_NAMES.errors, {
        gen_ai_request_model: 'claude-sonnet-4',
        error_type: '_OTHER',
      }),
    ).toBe(1);
  });

  it('uses exactly the bucket boundaries the GenAI semantic conventions advise', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordCall(call({ ttftMs: 10 }));
    const f = parsePrometheusText(await metrics.render());
    const bounds = (family: string, extra: Record<string, string> = {}) =>
      f
        .get(family)!
        .samples.filter(
          (s) =>
            s.name === `${family}_bucket` &&
            Object.entries(extra).every(([k, v]) => s.labels[k] === v),
        )
        .map((s) => parseValue(s.labels.le ?? '', 'le'));
    const durationBounds = [...GEN_AI_DURATION_BUCKETS_SEC, Number.POSITIVE_INFINITY];
    expect(bounds(METRIC_NAMES.operationDuration)).toEqual(durationBounds);
    expect(bounds(METRIC_NAMES.timeToFirstChunk)).toEqual(durationBounds);
    expect(bounds(METRIC_NAMES.tokenUsage, { gen_ai_token_type: 'input' })).toEqual([
      ...GEN_AI_TOKEN_BUCKETS,
      Number.POSITIVE_INFINITY,
    ]);
    expect(GEN_AI_DURATION_BUCKETS_SEC).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    expect(GEN_AI_TOKEN_BUCKETS).toEqual([
      1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
    ]);
  });

  it('folds models beyond maxModels into "other" and still counts their calls', async () => {
    const metrics = createMetrics({ maxModels: 3, processMetrics: false });
    for (let i = 0; i < 20; i++) metrics.recordCall(call({ model: `model-${i}` }));
    metrics.recordCall(call({ model: 'model-1' }));
    const f = parsePrometheusText(await metrics.render());
    const d = METRIC_NAMES.operationDuration;
    expect(labelValues(f, d, 'gen_ai_request_model')).toEqual(
      new Set(['model-0', 'model-1', 'model-2', OTHER_LABEL_VALUE]),
    );
    expect(sample(f, `${d}_count`, { gen_ai_request_model: 'model-1' })).toBe(2);
    expect(sample(f, `${d}_count`, { gen_ai_request_model: OTHER_LABEL_VALUE })).toBe(17);
  });

  it('bounds every other label fed by spans, and escapes hostile label values', async () => {
    const metrics = createMetrics({ maxLabelValues: 2, processMetrics: false });
    const weird = 'we"ird\\model\nname';
    metrics.recordCall(call({ model: weird }));
    for (let i = 0; i < 10; i++)
      metrics.recordCall(call({ projectId: `p${i}`, operation: `op${i}` }));
    metrics.recordCall(call({ model: 'x'.repeat(10_000) }));
    metrics.recordCall(call({ provider: null, operation: null, model: 'm' }));
    const f = parsePrometheusText(await metrics.render());
    const d = METRIC_NAMES.operationDuration;
    expect(labelValues(f, d, 'gen_ai_request_model').has(weird)).toBe(true);
    expect(labelValues(f, d, 'project')).toEqual(new Set(['default', 'p0', OTHER_LABEL_VALUE]));
    expect([...labelValues(f, d, 'gen_ai_request_model')].every((m) => m.length <= 128)).toBe(true);
    expect(sample(f, `${d}_count`, { gen_ai_provider_name: UNKNOWN_LABEL_VALUE })).toBe(1);
  });

  it('ignores spans that are not model calls', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordCall(call({ provider: null, model: null, operation: null }));
    const f = parsePrometheusText(await metrics.render());
    expect(f.get(METRIC_NAMES.operationDuration)!.samples).toEqual([]);
  });

  it("exports the collector's own health: requests, spans accepted and rejected, ingest latency, store size, queue depth", async () => {
    let queue = 17;
    const metrics = createMetrics({
      processMetrics: false,
      storeSizeBytes: () => 4096,
      queueDepth: () => queue,
    });
    metrics.recordHttpRequest('/v1/traces', 'post', 200);
    metrics.recordHttpRequest('/v1/traces', 'POST', 200);
    metrics.recordHttpRequest('/api/spans/:id', 'GET', 404);
    metrics.recordSpansAccepted(250);
    metrics.recordSpansRejected('invalid', 3);
    metrics.recordSpansRejected('overloaded', 100);
    metrics.observeIngestDuration(0.004);
    metrics.observeIngestDuration(0.3);
    let f = parsePrometheusText(await metrics.render());
    expect(
      sample(f, METRIC_NAMES.httpRequests, { route: '/v1/traces', method: 'POST', status: '200' }),
    ).toBe(2);
    expect(
      sample(f, METRIC_NAMES.httpRequests, {
        route: '/api/spans/:id',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    expect(sample(f, METRIC_NAMES.spansAccepted, {})).toBe(250);
    expect(sample(f, METRIC_NAMES.spansRejected, { reason: 'invalid' })).toBe(3);
    expect(sample(f, METRIC_NAMES.spansRejected, { reason: 'overloaded' })).toBe(100);
    expect(sample(f, `${METRIC_NAMES.ingestDuration}_count`, {})).toBe(2);
    expect(sample(f, `${METRIC_NAMES.ingestDuration}_bucket`, { le: '0.005' })).toBe(1);
    expect(f.get(METRIC_NAMES.storeSize)!.type).toBe('gauge');
    expect(sample(f, METRIC_NAMES.storeSize, {})).toBe(4096);
    expect(sample(f, METRIC_NAMES.queueDepth, {})).toBe(17);
    queue = 0; // gauges read their source at each scrape
    f = parsePrometheusText(await metrics.render());
    expect(sample(f, METRIC_NAMES.queueDepth, {})).toBe(0);
  });

  it('accepts pushed gauge values when no source function is given', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.setStoreSizeBytes(123);
    metrics.setQueueDepth(4);
    const f = parsePrometheusText(await metrics.render());
    expect(sample(f, METRIC_NAMES.storeSize, {})).toBe(123);
    expect(sample(f, METRIC_NAMES.queueDepth, {})).toBe(4);
  });

  it('keeps instances independent and adds process metrics by default', async () => {
    const a = createMetrics();
    const b = createMetrics({ processMetrics: false });
    a.recordCall(call());
    const fa = parsePrometheusText(await a.render());
    const fb = parsePrometheusText(await b.render());
    expect(sample(fa, `${METRIC_NAMES.operationDuration}_count`, GPT)).toBe(1);
    expect(fb.get(METRIC_NAMES.operationDuration)!.samples).toEqual([]);
    expect(fa.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(fb.has('process_cpu_user_seconds_total')).toBe(false);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('httpMetricsMiddleware and metricsHandler', () => {
  it('count requests by route pattern, method and final status, and serve /metrics', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const app = new Hono();
    app.use('*', httpMetricsMiddleware(metrics));
    app.get('/api/spans/:id', (c) => c.json({ id: c.req.param('id') }));
    app.post('/v1/traces', (c) => c.body(null, 200));
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.onError((_error, c) => c.json({ error: 'internal' }, 500));
    app.get('/metrics', metricsHandler(metrics));

    expect((await app.request('/api/spans/abc')).status).toBe(200);
    expect((await app.request('/api/spans/def')).status).toBe(200);
    expect((await app.request('/v1/traces', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/boom')).status).toBe(500);
    expect((await app.request('/wp-login.php')).status).toBe(404);
    expect((await app.request('/.env')).status).toBe(404);

    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const f = parsePrometheusText(await response.text());
    const requests = METRIC_NAMES.httpRequests;
    expect(sample(f, requests, { route: '/api/spans/:id', method: 'GET', status: '200' })).toBe(2);
    expect(sample(f, requests, { route: '/v1/traces', method: 'POST', status: '200' })).toBe(1);
    expect(sample(f, requests, { route: '/boom', method: 'GET', status: '500' })).toBe(1);
    expect(sample(f, requests, { route: UNMATCHED_ROUTE, method: 'GET', status: '404' })).toBe(2);
    // Raw paths never become label values.
    expect(labelValues(f, requests, 'route').has('/api/spans/abc')).toBe(false);
  });
});
