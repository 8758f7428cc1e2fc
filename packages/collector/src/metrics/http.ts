import type { Handler, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { CollectorMetrics } from './metrics.js';

/** Route label of requests no route matched (404s of arbitrary paths must not become labels). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Hono middleware counting every request by route pattern (never the raw path: ids and
 * scanners' paths would explode the label), method and final status, including the
 * responses that `onError` produced. Register it first: `app.use('*', httpMetrics(m))`.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * app.use('*', httpMetricsMiddleware(metrics));
 * app.get('/metrics', metricsHandler(metrics));
 * ```
 */
export function httpMetricsMiddleware(metrics: CollectorMetrics): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // The last matched route is the handler that answered; a catch-all middleware
    // pattern there means no route matched.
    const path = routePath(c, -1);
    const route = path === '*' || path === '/*' ? UNMATCHED_ROUTE : path;
    metrics.recordHttpRequest(route, c.req.method, c.res.status);
  };
}

/** The `GET /metrics` handler: the Prometheus text exposition. */
export function metricsHandler(metrics: CollectorMetrics): Handler {
  return async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType });
}
