/**
 * One collector process for `bench/postgres-ingest.ts`: the full `startCollector` (auth,
 * audit, drift, alerts, leader-run jobs) on SQLite (`BENCH_SQLITE_PATH`) or PostgreSQL
 * (`BENCH_PG_URL`, `BENCH_PG_SCHEMA`, `BENCH_PG_POOL`). Prints `listening on <url>`.
 */
import { startCollector } from '../src/start.js';

const pgUrl = process.env.BENCH_PG_URL;
const collector = await startCollector({
  dbPath: process.env.BENCH_SQLITE_PATH ?? '',
  port: 0,
  ...(pgUrl === undefined
    ? {}
    : {
        databaseUrl: pgUrl,
        databaseSchema: process.env.BENCH_PG_SCHEMA ?? null,
        databasePoolSize: Number(process.env.BENCH_PG_POOL ?? 10),
      }),
});
console.log(`listening on ${collector.url}`);
process.once('SIGTERM', () => {
  collector.close().then(() => process.exit(0));
});
