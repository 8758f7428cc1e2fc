import { type Context, Hono } from 'hono';
import type { SpanStore } from '../store/store.js';

/**
 * `GET /healthz` and `GET /readyz`: 200 while the store answers, 503 while it does not.
 * A load balancer routes to a collector only while `/readyz` is 200; both ask the store,
 * so a collector whose database is unreachable leaves the pool until it comes back.
 */
export function healthRoutes(store: SpanStore): Hono {
  const app = new Hono();
  const check = async (c: Context) => {
    try {
      await store.ping();
      return c.json({ status: 'ok' });
    } catch (error) {
      return c.json({ status: 'unavailable', message: (error as Error).message }, 503);
    }
  };
  app.get('/healthz', check);
  app.get('/readyz', check);
  return app;
}
