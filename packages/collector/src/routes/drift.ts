import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { toRuleIssues } from '../alerts/rule.js';
import type { FeatureSource } from '../drift/feature-source.js';
import { isFeatureError, parseFeature } from '../drift/features.js';
import {
  DRIFT_METHODS,
  featureFiltersSchema,
  parseDriftMonitor,
  parseDriftMonitorInput,
} from '../drift/monitor.js';
import type { DriftMonitors } from '../drift/monitors.js';
import {
  buildDriftReport,
  driftReportCsp,
  driftReportJson,
  renderDriftReportHtml,
} from '../drift/report.js';
import { invalid, jsonBody, problem } from './alerts.js';
import { FOREIGN_PROJECT_ISSUE, projectOf, scopedProject } from './project-context.js';

/** Default and largest page of `GET /api/drift/runs`. */
export const DEFAULT_RUNS_LIMIT = 100;
export const MAX_RUNS_LIMIT = 1000;
/** Most features one report request may ask for. */
export const MAX_REPORT_FEATURES = 20;

const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const time = (s: string): number => (/^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s));

/** `FROM..TO`, each an ISO 8601 time or Unix ms. */
const rangeParam = z.string().transform((s, ctx) => {
  const parts = s.split('..');
  const [fromMs, toMs] = parts.map(time);
  if (parts.length !== 2 || Number.isNaN(fromMs) || Number.isNaN(toMs)) {
    ctx.addIssue({ code: 'custom', message: 'expected FROM..TO (ISO 8601 times or Unix ms)' });
    return z.NEVER;
  }
  if (!(fromMs! < toMs!)) {
    ctx.addIssue({ code: 'custom', message: 'FROM must be before TO' });
    return z.NEVER;
  }
  return { fromMs: fromMs!, toMs: toMs! };
});

const runsQuery = z.strictObject({
  monitorId: z.string().min(1).max(128),
  limit: intParam(1, MAX_RUNS_LIMIT).optional(),
});

const reportQuery = z.strictObject({
  projectId: z.string().min(1).max(256).optional(),
  feature: z.array(z.string().min(1)).min(1).max(MAX_REPORT_FEATURES),
  reference: rangeParam,
  current: rangeParam,
  format: z.enum(['json', 'html']).default('json'),
  method: z.enum(DRIFT_METHODS).default('auto'),
  threshold: z.string().transform(Number).pipe(z.number().positive().finite()).optional(),
  minSamples: intParam(1, 1_000_000).optional(),
  sampleCap: intParam(100, 1_000_000).optional(),
  model: z.string().max(256).optional(),
  provider: z.string().max(256).optional(),
  service: z.string().max(256).optional(),
  operation: z.string().max(256).optional(),
});

const baselineBody = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : -')
    .optional(),
  projectId: z.string().min(1).max(256).optional(),
  feature: z.string().min(1).max(300),
  filters: featureFiltersSchema.default({}),
  /** The window sampled: ISO 8601 times or Unix ms. */
  from: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : time(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or Unix ms' });
      return z.NEVER;
    }
    return ms;
  }),
  to: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : time(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or Unix ms' });
      return z.NEVER;
    }
    return ms;
  }),
  cap: z.number().int().min(100).max(1_000_000).optional(),
});

/** JSON without losing infinite statistics (written as `"Infinity"`). */
function json(c: Context, value: unknown, status: 200 | 201 = 200): Response {
  const text = JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
  return c.body(text, status, { 'content-type': 'application/json; charset=utf-8' });
}

/** What {@link createDriftRoutes} needs. */
export interface DriftRoutesDeps {
  monitors: DriftMonitors;
  /** Reads feature values for reports (the same source the monitors use). */
  features: FeatureSource;
  /** The project of requests that name none. */
  projectId: string;
  now?: () => number;
}

/**
 * The drift API:
 * - `GET /api/drift/monitors` → `{ data: monitors }`;
 * - `POST /api/drift/monitors` → 201 with the monitor (id assigned when missing), 409 when taken;
 * - `PUT /api/drift/monitors/:id` → 201 (created) or 200 (replaced);
 * - `DELETE /api/drift/monitors/:id` → 204, 404 when unknown (its runs are kept);
 * - `POST /api/drift/monitors/:id/run` → the stored run, 404 when unknown;
 * - `GET /api/drift/runs?monitorId=&limit=` → `{ data: runs }`, newest first;
 * - `POST /api/drift/baselines` `{ id?, feature, filters?, from, to, cap? }` → 201: a saved
 *   sample that monitors can use as their reference (`{ type: 'baseline', baselineId }`);
 * - `GET /api/drift/baselines` → `{ data }` (without their values);
 * - `GET /api/drift/report?feature=latency&feature=model&reference=FROM..TO&current=FROM..TO&format=json|html`.
 *
 * Every 4xx answers `{ error, message, issues }`, the issues naming each bad field.
 *
 * @example
 * ```ts
 * app.route('/', createDriftRoutes({ monitors, features, projectId: DEFAULT_PROJECT_ID }));
 * ```
 */
export function createDriftRoutes(deps: DriftRoutesDeps): Hono {
  const { monitors } = deps;
  const app = new Hono();
  /** The body with the request's project filled in, or null when it names another one. */
  const withProject = (c: Context, body: unknown): unknown => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const named = 'projectId' in body ? body.projectId : undefined;
    const projectId = scopedProject(
      c,
      deps.projectId,
      typeof named === 'string' ? named : undefined,
    );
    if (projectId === null) return null;
    return typeof named === 'string' || named === undefined ? { ...body, projectId } : body;
  };
  /** The monitor `id` when it belongs to the request's project (else as unknown). */
  const ownMonitor = async (c: Context, id: string) => {
    const monitor = await monitors.get(id);
    return monitor !== null && monitor.projectId === projectOf(c, deps.projectId) ? monitor : null;
  };
  const projectQuery = z.strictObject({ projectId: z.string().min(1).max(256).optional() });

  app.get('/api/drift/monitors', async (c) => {
    const q = projectQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const projectId = scopedProject(c, deps.projectId, q.data.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    return c.json({ data: await monitors.list(projectId) });
  });

  app.post('/api/drift/monitors', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const value = withProject(c, body.value);
    if (value === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    const parsed = parseDriftMonitorInput(value);
    if (!parsed.ok) return invalid(c, parsed.issues);
    const monitor = { ...parsed.value, id: parsed.value.id ?? monitors.newId() };
    if ((await monitors.get(monitor.id)) !== null) {
      return problem(c, 409, 'drift_monitor_conflict', `monitor ${monitor.id} already exists`, [
        { path: 'id', message: 'already exists; use PUT to replace it' },
      ]);
    }
    await monitors.put(monitor);
    return c.json(monitor, 201);
  });

  app.put('/api/drift/monitors/:id', async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const value = withProject(c, body.value);
    if (value === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    // Monitor ids are unique across projects: another project's monitor is not replaced.
    if ((await monitors.get(id)) !== null && (await ownMonitor(c, id)) === null) {
      return problem(
        c,
        409,
        'drift_monitor_conflict',
        `monitor id ${id} is taken; choose another`,
        [{ path: 'id', message: 'taken' }],
      );
    }
    if (typeof value === 'object' && value !== null && 'id' in value && value.id !== id) {
      return invalid(c, [{ path: 'id', message: `does not match the URL (${id})` }]);
    }
    const parsed = parseDriftMonitor(
      typeof value === 'object' && value !== null ? { ...value, id } : value,
    );
    if (!parsed.ok) return invalid(c, parsed.issues);
    const { created } = await monitors.put(parsed.value);
    return c.json(parsed.value, created ? 201 : 200);
  });

  app.delete('/api/drift/monitors/:id', async (c) => {
    const id = c.req.param('id');
    if ((await ownMonitor(c, id)) === null || !(await monitors.remove(id))) {
      return problem(c, 404, 'not_found', `no drift monitor ${id}`);
    }
    return c.body(null, 204);
  });

  app.post('/api/drift/monitors/:id/run', async (c) => {
    const id = c.req.param('id');
    if ((await ownMonitor(c, id)) === null) {
      return problem(c, 404, 'not_found', `no drift monitor ${id}`);
    }
    return json(c, await monitors.runNow(id));
  });

  app.get('/api/drift/runs', async (c) => {
    const q = runsQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    // Runs outlive their monitor; each carries its project, so only the request's are shown.
    const projectId = projectOf(c, deps.projectId);
    const runs = await monitors.runs(q.data.monitorId, q.data.limit ?? DEFAULT_RUNS_LIMIT);
    return json(c, { data: runs.filter((r) => r.projectId === projectId) });
  });

  app.post('/api/drift/baselines', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const q = baselineBody.safeParse(body.value);
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const b = q.data;
    const issues = [];
    const f = parseFeature(b.feature);
    if (isFeatureError(f)) issues.push({ path: 'feature', message: f.error });
    if (!(b.from < b.to)) issues.push({ path: 'to', message: 'must be after from' });
    const projectId = scopedProject(c, deps.projectId, b.projectId);
    if (projectId === null) issues.push(FOREIGN_PROJECT_ISSUE);
    if (issues.length > 0 || projectId === null) return invalid(c, issues);
    // Baseline ids are unique across projects: another project's baseline is not replaced.
    const existing = b.id === undefined ? null : await monitors.store.getBaseline(b.id);
    if (existing !== null && existing.projectId !== projectId) {
      return problem(
        c,
        409,
        'drift_baseline_conflict',
        `baseline id ${b.id} is taken; choose another`,
        [{ path: 'id', message: 'taken' }],
      );
    }
    const saved = await monitors.saveBaseline({
      projectId,
      feature: b.feature,
      filters: b.filters,
      fromMs: b.from,
      toMs: b.to,
      ...(b.id === undefined ? {} : { id: b.id }),
      ...(b.cap === undefined ? {} : { cap: b.cap }),
    });
    return c.json(saved, 201);
  });

  app.get('/api/drift/baselines', async (c) => {
    const q = projectQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const projectId = scopedProject(c, deps.projectId, q.data.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    return c.json({ data: await monitors.store.listBaselines(projectId) });
  });

  app.get('/api/drift/report', async (c) => {
    const raw: Record<string, unknown> = { ...c.req.query() };
    const features = c.req.queries('feature');
    if (features !== undefined) raw.feature = features.flatMap((f) => f.split(',')).filter(Boolean);
    const q = reportQuery.safeParse(raw);
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const p = q.data;
    const projectId = scopedProject(c, deps.projectId, p.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    const filters = {
      ...(p.model === undefined ? {} : { model: p.model }),
      ...(p.provider === undefined ? {} : { provider: p.provider }),
      ...(p.service === undefined ? {} : { service: p.service }),
      ...(p.operation === undefined ? {} : { operation: p.operation }),
    };
    let report: Awaited<ReturnType<typeof buildDriftReport>>;
    try {
      report = await buildDriftReport(
        deps.features,
        {
          projectId,
          features: p.feature,
          filters,
          reference: p.reference,
          current: p.current,
          method: p.method,
          ...(p.threshold === undefined ? {} : { threshold: p.threshold }),
          ...(p.minSamples === undefined ? {} : { minSamples: p.minSamples }),
          ...(p.sampleCap === undefined ? {} : { sampleCap: p.sampleCap }),
        },
        undefined,
        (deps.now ?? Date.now)(),
      );
    } catch (error) {
      if (error instanceof RangeError) {
        return invalid(c, [{ path: 'feature', message: error.message }]);
      }
      throw error;
    }
    if (p.format === 'html') {
      return c.html(renderDriftReportHtml(report), 200, {
        'content-security-policy': driftReportCsp(),
      });
    }
    return c.body(driftReportJson(report), 200, {
      'content-type': 'application/json; charset=utf-8',
    });
  });

  return app;
}
