import type { Context } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';

/** Per request: the records an answer held, set by the route. */
export const recordCounts = new WeakMap<Request, number>();
/** Per request: writes its audit entry (set up by the audit middleware). */
export const finishers = new WeakMap<Request, (records: number | null) => Promise<void>>();
/** Requests whose audit entry is written by the route when its stream ends. */
export const deferred = new WeakSet<Request>();

/** Tells the audit log how many records this request returned or changed. */
export function auditRecords(c: Context, records: number): void {
  recordCounts.set(c.req.raw, records);
}

/**
 * For answers whose size is known only once streamed: the audit entry is written when
 * the returned function is called (with the records sent), not when the handler returns.
 */
export function deferAudit(c: Context): (records: number) => Promise<void> {
  const finish = finishers.get(c.req.raw);
  if (finish === undefined) return async () => undefined;
  deferred.add(c.req.raw);
  return finish;
}

/** The route pattern that answered, or `(unmatched)`. */
export function answeringRoute(c: Context): string {
  return matchedRoutes(c).length > 1 ? routePath(c) : '(unmatched)';
}
