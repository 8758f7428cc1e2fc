import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import {
  parseAlertRule,
  parseAlertRuleInput,
  type RuleIssue,
  toRuleIssues,
} from '../alerts/rule.js';
import { type Alerting, AlertRuleConflictError } from '../alerts/service.js';
import type { AlertStatus } from '../alerts/state.js';
import { FOREIGN_PROJECT_ISSUE, projectOf, scopedProject } from './project-context.js';

/** Default and largest page of `GET /api/alerts/history`. */
export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;

const ALERT_STATUSES = ['ok', 'pending', 'firing', 'resolved'] as const;

/** The error body every route here answers with: `{ error, message, issues }`. */
export function problem(
  c: Context,
  status: 400 | 404 | 409,
  error: string,
  message: string,
  issues: RuleIssue[] = [],
): Response {
  return c.json({ error, message, issues }, status);
}

/** 400 naming every bad field. */
export function invalid(c: Context, issues: RuleIssue[]): Response {
  const what = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return problem(c, 400, 'invalid_request', what, issues);
}

/** The JSON body of a request, or a 400 when it is not JSON. */
export async function jsonBody(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return {
      ok: false,
      response: problem(c, 400, 'invalid_json', 'the request body is not valid JSON'),
    };
  }
}

const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Unix ms or an ISO 8601 time. */
const timeParam = z.string().transform((s, ctx) => {
  const ms = /^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or Unix milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const currentQuery = z.strictObject({
  projectId: z.string().min(1).max(256).optional(),
  /** Comma-separated statuses. */
  status: z
    .string()
    .transform((s) => s.split(',').filter((x) => x !== ''))
    .pipe(z.array(z.enum(ALERT_STATUSES)))
    .optional(),
});

const historyQuery = z.strictObject({
  projectId: z.string().min(1).max(256).optional(),
  ruleId: z.string().min(1).max(128).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  /** Entries with `seq` below this (the previous page's `nextBefore`). */
  before: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: intParam(1, MAX_HISTORY_LIMIT).optional(),
});

const rulesQuery = z.strictObject({ projectId: z.string().min(1).max(256).optional() });

/** What {@link createAlertRoutes} needs. */
export interface AlertRoutesDeps {
  alerting: Alerting;
  /** The project of requests that name none. */
  projectId: string;
}

/**
 * The alerts API:
 * - `GET /api/alerts/rules` → `{ data: [rule & { source: 'file' | 'api' }] }`;
 * - `POST /api/alerts/rules` → 201 with the rule (id assigned when missing), 409 when the
 *   id is taken;
 * - `PUT /api/alerts/rules/:id` → 201 (created) or 200 (replaced), 409 for a config-file rule;
 * - `DELETE /api/alerts/rules/:id` → 204, 404 when unknown, 409 for a config-file rule;
 * - `GET /api/alerts?status=firing,pending` → `{ data: states }`;
 * - `GET /api/alerts/history?ruleId=&from=&to=&before=&limit=` → `{ data, nextBefore }`, newest first.
 *
 * Every 4xx answers `{ error, message, issues }`, the issues naming each bad field.
 *
 * @example
 * ```ts
 * app.route('/', createAlertRoutes({ alerting, projectId: DEFAULT_PROJECT_ID }));
 * ```
 */
export function createAlertRoutes(deps: AlertRoutesDeps): Hono {
  const { alerting } = deps;
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
  /** The rule `id` of the request's project, or undefined (unknown, or another project's). */
  const ownRule = async (c: Context, id: string) =>
    (await alerting.rules(projectOf(c, deps.projectId))).find((r) => r.id === id);

  app.get('/api/alerts/rules', async (c) => {
    const q = rulesQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const projectId = scopedProject(c, deps.projectId, q.data.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    return c.json({ data: await alerting.rules(projectId) });
  });

  app.post('/api/alerts/rules', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const value = withProject(c, body.value);
    if (value === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    const parsed = parseAlertRuleInput(value);
    if (!parsed.ok) return invalid(c, parsed.issues);
    const rule = { ...parsed.value, id: parsed.value.id ?? `rule-${crypto.randomUUID()}` };
    const sinkIssues = alerting.sinkIssues(rule);
    if (sinkIssues.length > 0) return invalid(c, sinkIssues);
    if ((await alerting.rules()).some((r) => r.id === rule.id)) {
      return problem(c, 409, 'alert_rule_conflict', `rule ${rule.id} already exists`, [
        { path: 'id', message: 'already exists; use PUT to replace it' },
      ]);
    }
    try {
      await alerting.putRule(rule);
    } catch (error) {
      if (error instanceof AlertRuleConflictError) {
        return problem(c, 409, error.code, error.message);
      }
      throw error;
    }
    return c.json(rule, 201);
  });

  app.put('/api/alerts/rules/:id', async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const value = withProject(c, body.value);
    if (value === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    // Rule ids are unique across projects: another project's rule is not replaced.
    const existing = (await alerting.rules()).find((r) => r.id === id);
    if (existing !== undefined && (await ownRule(c, id)) === undefined) {
      return problem(c, 409, 'alert_rule_conflict', `rule id ${id} is taken; choose another`, [
        { path: 'id', message: 'taken' },
      ]);
    }
    if (typeof value === 'object' && value !== null && 'id' in value && value.id !== id) {
      return invalid(c, [{ path: 'id', message: `does not match the URL (${id})` }]);
    }
    const parsed = parseAlertRule(
      typeof value === 'object' && value !== null ? { ...value, id } : value,
    );
    if (!parsed.ok) return invalid(c, parsed.issues);
    const sinkIssues = alerting.sinkIssues(parsed.value);
    if (sinkIssues.length > 0) return invalid(c, sinkIssues);
    try {
      const { created } = await alerting.putRule(parsed.value);
      return c.json(parsed.value, created ? 201 : 200);
    } catch (error) {
      if (error instanceof AlertRuleConflictError) {
        return problem(c, 409, error.code, error.message);
      }
      throw error;
    }
  });

  app.delete('/api/alerts/rules/:id', async (c) => {
    const id = c.req.param('id');
    try {
      if ((await ownRule(c, id)) === undefined || !(await alerting.deleteRule(id))) {
        return problem(c, 404, 'not_found', `no alert rule ${id}`);
      }
    } catch (error) {
      if (error instanceof AlertRuleConflictError) {
        return problem(c, 409, error.code, error.message);
      }
      throw error;
    }
    return c.body(null, 204);
  });

  app.get('/api/alerts', async (c) => {
    const q = currentQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const statuses: AlertStatus[] | undefined = q.data.status;
    const projectId = scopedProject(c, deps.projectId, q.data.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    return c.json({ data: await alerting.current(projectId, statuses) });
  });

  app.get('/api/alerts/history', async (c) => {
    const q = historyQuery.safeParse(c.req.query());
    if (!q.success) return invalid(c, toRuleIssues(q.error));
    const { ruleId, from, to, before, limit } = q.data;
    const projectId = scopedProject(c, deps.projectId, q.data.projectId);
    if (projectId === null) return invalid(c, [FOREIGN_PROJECT_ISSUE]);
    if (from !== undefined && to !== undefined && !(from < to)) {
      return invalid(c, [{ path: 'to', message: 'must be after from' }]);
    }
    const pageSize = limit ?? DEFAULT_HISTORY_LIMIT;
    const data = await alerting.history({
      projectId,
      limit: pageSize,
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(from === undefined ? {} : { fromMs: from }),
      ...(to === undefined ? {} : { toMs: to }),
      ...(before === undefined ? {} : { beforeSeq: before }),
    });
    const last = data[data.length - 1];
    return c.json({
      data,
      nextBefore: data.length === pageSize && last !== undefined ? last.seq : null,
    });
  });

  return app;
}
