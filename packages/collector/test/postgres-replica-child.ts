/**
 * One collector replica on PostgreSQL, for the multi-process tests: the real app
 * (createApp) on the PostgreSQL store, listening on an ephemeral port. Prints
 * `listening on <url>` once ready. Env: PL_TEST_PG_URL, PL_TEST_PG_SCHEMA.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../src/server.js';
import { openPostgresStore } from '../src/store/postgres/index.js';

const connectionString = process.env.PL_TEST_PG_URL;
const schema = process.env.PL_TEST_PG_SCHEMA;
if (connectionString === undefined || schema === undefined) {
  throw new Error('PL_TEST_PG_URL and PL_TEST_PG_SCHEMA are required');
}
const store = await openPostgresStore({ connectionString, schema, poolSize: 4 });
const app = createApp({ store, logError: (error) => console.error('unexpected', error) });
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
