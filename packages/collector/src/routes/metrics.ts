import { Hono } from 'hono';
import type { CollectorMetrics } from '../metrics/metrics.js';

/** `GET /metrics`: the Prometheus text exposition of the collector's metrics. */
export function metricsRoutes(metrics: CollectorMetrics): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
  );
  return app;
}
