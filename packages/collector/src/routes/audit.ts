import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors.js';
import type { AuditStore } from '../store/store.js';
import {
  answeringRoute,
  auditRecords,
  deferred,
  finishers,
  recordCounts,
} from './audit-context.js';
import { keyIdOf, projectOf } from './project-context.js';
import { fromStore, invalid, timeSchema } from './query.js';

/** Largest page of `GET /api/audit`. */
export const MAX_AUDIT_PAGE_SIZE = 1000;

/**
 * Middleware recording every request it sees in the audit log: who (API key id, never
 * the key; null in zero-config local mode), what (route, path, parameters), when, the status and
 * how many records were returned. Written after the answer is built and before it is
 * sent: a request whose audit entry cannot be stored fails (503) rather than going
 * unrecorded.
 */
export function auditMiddleware(options: {
  store: AuditStore;
  projectId: string;
  now: () => number;
}): MiddlewareHandler {
  const { store, now } = options;
  return async (c, next) => {
    const req = c.req.raw;
    const filters = { ...c.req.query() };
    let route = '(unmatched)';
    let status = 0;
    // Project and key are read when the entry is written: a project-management route
    // sets the project it changed.
    finishers.set(req, (records) =>
      store.appendAudit(projectOf(c, options.projectId), {
        atMs: now(),
        keyId: keyIdOf(c),
        method: c.req.method,
        route,
        path: c.req.path,
        filters,
        status,
        records,
      }),
    );
    await next();
    route = answeringRoute(c);
    status = c.res.status;
    if (deferred.has(req)) return;
    try {
      await finishers.get(req)!(recordCounts.get(req) ?? null);
    } catch (error) {
      // An answer that already failed on the store (reported once) returned nothing to
      // audit; a successful one is not sent unrecorded.
      if (status >= 500) return;
      throw new StoreUnavailableError(error);
    }
  };
}

const auditQuerySchema = z
  .strictObject({
    from: timeSchema.optional(),
    to: timeSchema.optional(),
    route: z.string().min(1).max(200).optional(),
    keyId: z.string().min(1).max(200).optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'expected a positive integer')
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_AUDIT_PAGE_SIZE))
      .optional(),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, 'not a cursor returned by this API')
      .transform(Number)
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    path: ['to'],
    message: 'must be after from',
  });

/**
 * `GET /api/audit?from=&to=&route=&keyId=&limit=&cursor=` → `{ data, nextCursor }`, newest
 * first. (Reading the audit log is itself audited.)
 */
export function auditRoutes(options: { store: AuditStore; projectId: string }): Hono {
  const { store } = options;
  const app = new Hono();
  app.get('/api/audit', async (c) => {
    const parsed = auditQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const p = parsed.data;
    const limit = p.limit ?? 100;
    const rows = await fromStore(
      store.listAudit(projectOf(c, options.projectId), {
        limit: limit + 1,
        ...(p.from === undefined ? {} : { fromMs: Number(p.from / 1_000_000n) }),
        ...(p.to === undefined ? {} : { toMs: Number(p.to / 1_000_000n) }),
        ...(p.route === undefined ? {} : { route: p.route }),
        ...(p.keyId === undefined ? {} : { keyId: p.keyId }),
        ...(p.cursor === undefined ? {} : { beforeSeq: p.cursor }),
      }),
    );
    const page = rows.slice(0, limit);
    auditRecords(c, page.length);
    return c.json({
      data: page.map((e) => ({ ...e, at: new Date(e.atMs).toISOString() })),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    });
  });
  return app;
}
