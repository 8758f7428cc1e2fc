import { Hono } from 'hono';
import type { SpanStore } from '../store/store.js';

/** `GET /healthz`: 200 once the store answers, 503 when it does not. */
export function healthRoutes(store: SpanStore): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    try {
      await store.ping();
      return c.json({ status: 'ok' });
    } catch (error) {
      return c.json({ status: 'unavailable', message: (error as Error).message }, 503);
    }
  });
  return app;
}
