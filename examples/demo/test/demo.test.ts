import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CollectorHandle, startCollector } from '@pilotlight/collector';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MONITOR_ID, DEMO_RULE_ID, DEMO_SERVICE } from '../src/demo.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
/** The demo waits for a whole minute to close before its drift run: up to ~75 s in all. */
const DEMO_TIMEOUT_MS = 120_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo exactly as `npm start` does, against `endpoint`. */
function runDemo(endpoint: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PILOTLIGHT_ENDPOINT: endpoint };
    const child = spawn('npm', ['start', '--silent'], { cwd: exampleDir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.text()).toBe(201);
}

/** Every span the collector stored, following the cursor. */
async function allSpans(base: string): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: '500' });
    if (cursor !== null) q.set('cursor', cursor);
    const page = await get<{ data: CallRecord[]; nextCursor: string | null }>(
      `${base}/api/spans?${q}`,
    );
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

let dir: string;
let collector: CollectorHandle;
let run: RunResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pilotlight-demo-'));
  collector = await startCollector({ dbPath: join(dir, 'spans.db'), port: 0 });
  // As a previous run would have left them: a rerun must replace these, not fail on their ids.
  await put(`${collector.url}/api/drift/monitors/${DEMO_MONITOR_ID}`, {
    feature: 'latency',
    referenceWindow: { type: 'previous' },
    currentWindow: { windowSec: 3600 },
  });
  await put(`${collector.url}/api/alerts/rules/${DEMO_RULE_ID}`, {
    metric: 'drift',
    monitorId: DEMO_MONITOR_ID,
    windowSec: 3600,
    comparator: '>=',
    threshold: 5,
  });
  run = await runDemo(collector.url);
}, DEMO_TIMEOUT_MS);
afterAll(async () => {
  await collector?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/demo', () => {
  it('finishes and prints the dashboard pages to open', () => {
    expect(run.stderr).not.toMatch(/✖/);
    expect(run.code).toBe(0);
    for (const page of ['/calls', '/models', '/alerts', '/drift']) {
      expect(run.stdout).toContain(`${collector.url}${page}`);
    }
    expect(run.stdout).toContain(`overview  ${collector.url}/`);
    // Stored, or (a collector without /api/feedback) said once, not a failure.
    expect(run.stdout).toMatch(/6 feedback scores stored|feedback not stored: .*\(404\)/);
  });

  it('fills the calls table: several models and providers, errors, a streamed call with TTFT', async () => {
    const spans = await allSpans(collector.url);
    const calls = spans.filter((s) => s.model !== null);
    expect(new Set(calls.map((s) => s.serviceName))).toEqual(new Set([DEMO_SERVICE]));
    const models = new Set(calls.map((s) => s.model));
    expect(models.size).toBeGreaterThanOrEqual(3);
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'text-embedding-3-small']) {
      expect(models).toContain(m);
    }
    const providers = new Set(calls.map((s) => s.provider).filter((p) => p !== null));
    expect(providers).toContain('openai');
    expect(providers).toContain('anthropic');

    const errors = calls.filter((s) => s.status === 'error');
    expect(new Set(errors.map((s) => s.provider))).toEqual(new Set(['openai', 'anthropic']));
    expect(errors.map((s) => s.errorType)).toContain('429');

    const streamed = calls.filter(
      (s) => s.status === 'ok' && s.ttftMs !== null && s.ttftMs !== undefined,
    );
    expect(streamed.length).toBeGreaterThan(0);
    for (const s of streamed) expect(s.ttftMs).toBeLessThanOrEqual(s.durationMs);

    // The ML model's predictions carry their confidence.
    const predictions = calls.filter((s) => s.model === 'churn-risk-v2');
    expect(predictions.length).toBeGreaterThan(0);
    for (const p of predictions) {
      expect(p.confidence).toBeGreaterThanOrEqual(0.5);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('leaves agent traces: agent → LLM and tool spans, openable from the printed trace URL', async () => {
    const traceId = new RegExp(`${collector.url}/traces/([0-9a-f]{32})`).exec(run.stdout)?.[1];
    expect(traceId).toBeDefined();
    const { spans } = await get<{ spans: CallRecord[] }>(`${collector.url}/api/traces/${traceId}`);
    const agent = spans.find((s) => s.name === 'support-agent');
    expect(agent?.parentSpanId).toBeNull();
    const children = spans.filter((s) => s.parentSpanId === agent?.spanId);
    expect(children.map((s) => s.operation).sort()).toEqual(['chat', 'chat', 'execute_tool']);
  });

  it('fills the overview and the models page', async () => {
    const summary = await get<{ groups?: unknown[]; data?: unknown[] }>(
      `${collector.url}/api/summary?groupBy=model`,
    );
    expect((summary.groups ?? summary.data ?? []).length).toBeGreaterThanOrEqual(3);

    const { data: models } = await get<{
      data: { id: string; provider: string | null; owner: string | null }[];
    }>(`${collector.url}/api/models`);
    const byId = new Map(models.map((m) => [m.id, m]));
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'churn-risk-v2']) {
      expect(byId.get(m)?.owner, m).toEqual(expect.any(String));
    }
  });

  it('creates the drift monitor and its alert rule, and the run sees the latency shift', async () => {
    const { data: runs } = await get<{
      data: {
        monitorId: string;
        drifted: boolean;
        statistic: number | string | null;
        reference: { size: number };
        current: { size: number };
      }[];
    }>(`${collector.url}/api/drift/runs?monitorId=${DEMO_MONITOR_ID}`);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    const latest = runs[0]!;
    expect(latest).toMatchObject({ monitorId: DEMO_MONITOR_ID, drifted: true });

    const { data: rules } = await get<{
      data: {
        id: string;
        metric: string;
        monitorId?: string;
        comparator: string;
        threshold: number;
        minCalls: number;
      }[];
    }>(`${collector.url}/api/alerts/rules`);
    // What the collector's alert job compares at its next evaluation: this run breaches the rule.
    const rule = rules.find((r) => r.id === DEMO_RULE_ID);
    expect(rule?.comparator).toBe('>=');
    expect(latest.statistic).toBeGreaterThanOrEqual(rule?.threshold ?? Number.POSITIVE_INFINITY);
    expect(Math.min(latest.reference.size, latest.current.size)).toBeGreaterThanOrEqual(
      rule?.minCalls ?? Number.POSITIVE_INFINITY,
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        id: DEMO_RULE_ID,
        metric: 'drift',
        monitorId: DEMO_MONITOR_ID,
        // replaced by the demo's rule, not left as the earlier one
        windowSec: 600,
        threshold: 0.25,
      }),
    );
  });

  it('says clearly that the collector is unreachable and exits non-zero', async () => {
    // A port that was just free: nothing listens there.
    const closed = await startCollector({ dbPath: join(dir, 'closed.db'), port: 0 });
    const url = closed.url;
    await closed.close();

    const failed = await runDemo(url);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`Cannot reach the pilotlight collector at ${url}`);
    expect(failed.stderr).toContain('npm start');
  });
});
