/**
 * The collector app for `ingest-http.ts`, in its own process: `BENCH_MODE` is
 * - `store`: SQLite with the writer thread (the default store),
 * - `inline`: SQLite written on the event loop that also parses (the earlier design),
 * - `decode`: the same app with a store that acknowledges without writing: the ceiling of
 *   HTTP + decoding + normalising on this machine,
 * - `admit` / `admit-counts` / `no-admit`: the ingest route alone on the writer-thread
 *   store, with the default admission limits (wait bound and count caps) / with the count
 *   caps only (no wait bound) / with admission control off (the overload comparison).
 * Every mode takes the admission limits `BENCH_MAX_PENDING_SPANS`, `BENCH_MAX_PENDING_BYTES`
 * and `BENCH_MAX_WAIT_MS` when set (else the defaults).
 * Prints `listening on URL` once ready. `BENCH_DB` is the SQLite file; `BENCH_MEMORY_LOG=1`
 * prints the process's memory (RSS, heap) to stderr every 5 s.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp, openSqliteStore, type SpanStore } from '../src/index.js';
import { ingestRoutes } from '../src/routes/ingest.js';

const mode = process.env.BENCH_MODE ?? 'store';
const dbPath = process.env.BENCH_DB ?? '/tmp/pilotlight-ingest-bench.db';

const noStore: SpanStore = {
  async insertCalls(_projectId, records) {
    return { inserted: records.length, duplicates: 0 };
  },
  async listCalls() {
    return { data: [], next: null };
  },
  async getTrace() {
    return [];
  },
  async ping() {},
  async close() {},
};

const store =
  mode === 'decode' ? noStore : openSqliteStore({ path: dbPath, writerThread: mode !== 'inline' });
// `BENCH_MAX_PENDING_SPANS` / `_BYTES` / `BENCH_MAX_WAIT_MS` try other limits than the defaults.
const limits = {
  ...(process.env.BENCH_MAX_PENDING_SPANS === undefined
    ? {}
    : { maxPendingSpans: Number(process.env.BENCH_MAX_PENDING_SPANS) }),
  ...(process.env.BENCH_MAX_PENDING_BYTES === undefined
    ? {}
    : { maxPendingBytes: Number(process.env.BENCH_MAX_PENDING_BYTES) }),
  ...(process.env.BENCH_MAX_WAIT_MS === undefined
    ? {}
    : { maxWaitMs: Number(process.env.BENCH_MAX_WAIT_MS) }),
};
let app: Hono;
if (mode === 'admit' || mode === 'admit-counts' || mode === 'no-admit') {
  app = new Hono();
  const off =
    mode === 'no-admit'
      ? { maxPendingSpans: Infinity, maxPendingBytes: Infinity, maxWaitMs: Infinity }
      : mode === 'admit-counts'
        ? { ...limits, maxWaitMs: Infinity }
        : limits;
  app.route('/', ingestRoutes({ store, projectId: 'default', ...off }));
} else {
  app = createApp({ store, ingestAdmission: limits });
}
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
process.on('SIGTERM', () => {
  server.close(() => {
    store.close().then(() => process.exit(0));
  });
  if ('closeIdleConnections' in server) server.closeIdleConnections();
});
if (process.env.BENCH_MEMORY_LOG === '1') {
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (x: number) => (x / 1048576).toFixed(0);
    console.error(
      `memory: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}`,
    );
  }, 5000).unref();
}
