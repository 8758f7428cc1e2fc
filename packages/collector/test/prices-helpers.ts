/** Helpers of the price override and re-pricing tests. */
import type { CallRecord } from '@pilotlight/conventions';
import { type Context, Hono } from 'hono';
import { createApp } from '../src/index.js';
import type { Pricer } from '../src/prices/pricer.js';
import { createPriceRoutes } from '../src/prices/routes.js';
import { ROLLUP_BUCKETS_SEC, RollupBatch, toStoredRollupRow } from '../src/rollups/rollup.js';
import type { ProjectEnv } from '../src/routes/project-context.js';
import type { ReadSideStore, SpanCursor, SpanStore } from '../src/store/store.js';
import { hexId, type JsonSpanSpec, otlpJson } from './helpers.js';
import { type ComparableRollup, comparableRollups } from './postgres-fixture.js';

/** Header naming the request's project: stands in for the API-key middleware, which sets the same context variable. */
export const PROJECT_HEADER = 'x-test-project';

/**
 * The collector app as `startCollector` wires pricing: ingest priced by `pricer`, the price
 * routes mounted; the project of a request comes from {@link PROJECT_HEADER}.
 */
export function pricedApp(store: SpanStore, pricer: Pricer, now?: () => number): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const project = c.req.header(PROJECT_HEADER);
    // The variable the auth middleware sets (ProjectVariables); this app declares no Env.
    if (project !== undefined) (c as unknown as Context<ProjectEnv>).set('projectId', project);
    await next();
  });
  app.route(
    '/',
    createApp({
      store,
      pricesFor: pricer.pricesFor,
      apiRoutes: [
        createPriceRoutes({
          prices: pricer,
          projectId: 'default',
          ...(now === undefined ? {} : { now }),
        }),
      ],
    }),
  );
  return app;
}

/** One chat call's span: `inputTokens` of which `cacheRead` from the cache. */
export function chatSpan(
  model: string,
  startMs: number,
  tokens: { input: number; output: number; cacheRead?: number; sdkCostUsd?: number },
  extra: Record<string, string | number | boolean> = {},
): JsonSpanSpec {
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    name: `chat ${model}`,
    startMs,
    durationMs: 120,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': tokens.input,
      'gen_ai.usage.output_tokens': tokens.output,
      ...(tokens.cacheRead === undefined
        ? {}
        : { 'gen_ai.usage.cache_read.input_tokens': tokens.cacheRead }),
      ...(tokens.sdkCostUsd === undefined ? {} : { 'pilotlight.cost_usd': tokens.sdkCostUsd }),
      ...extra,
    },
  };
}

/** POSTs spans as OTLP JSON into `project`; returns the status. */
export async function ingestInto(
  app: Hono,
  project: string,
  spans: JsonSpanSpec[],
  service = 'svc',
): Promise<number> {
  const res = await app.request('/v1/traces', {
    method: 'POST',
    headers: { 'content-type': 'application/json', [PROJECT_HEADER]: project },
    body: JSON.stringify(otlpJson(spans, service)),
  });
  return res.status;
}

/** A JSON request to the app in `project`. */
export async function call<T = unknown>(
  app: Hono,
  project: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await app.request(url, {
    method,
    headers: {
      [PROJECT_HEADER]: project,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Every stored call of a project, from the store (oldest pages first does not matter). */
export async function storedCalls(store: SpanStore, projectId: string): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  let after: SpanCursor | undefined;
  for (;;) {
    const page = await store.listCalls(projectId, {
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    out.push(...page.data);
    if (page.next === null) return out;
    after = page.next;
  }
}

/** The project's calls by span id. */
export async function callsBySpan(
  store: SpanStore,
  projectId: string,
): Promise<Map<string, CallRecord>> {
  return new Map((await storedCalls(store, projectId)).map((c) => [c.spanId, c]));
}

/** The rollups rebuilt from the stored calls, and the rollups stored, in comparable form. */
export async function rollupsVsRecount(
  store: SpanStore & ReadSideStore,
  projectId: string,
): Promise<{ stored: ComparableRollup[]; recount: ComparableRollup[] }> {
  const batch = new RollupBatch();
  for (const c of await storedCalls(store, projectId)) batch.add(c);
  const ranges = ROLLUP_BUCKETS_SEC.map((bucketSec) => ({
    bucketSec,
    fromMs: 0,
    toMs: Number.MAX_SAFE_INTEGER,
  }));
  return {
    stored: comparableRollups(await store.readRollups(projectId, ranges)),
    recount: comparableRollups([...batch.rows()].map(toStoredRollupRow)),
  };
}

/** The sum of the costs of the stored rollups of one tier (1 minute), for a quick look. */
export function rollupCostSum(rows: readonly ComparableRollup[]): number {
  return rows
    .filter((r) => r.key.split('|')[1] === '60')
    .reduce((sum, r) => sum + Number(r.costUsd), 0);
}
