/**
 * One full collector replica on PostgreSQL (`startCollector`, as `pilotlight serve` runs it)
 * with short job intervals, for the leader failover test. Prints `listening on <url>`, then
 * `leader` / `follower` whenever it starts or stops running the background jobs.
 * Env: PL_TEST_PG_URL, PL_TEST_PG_SCHEMA, PL_TEST_ALERTS_CONFIG.
 */
import { startCollector } from '../src/start.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const collector = await startCollector({
  dbPath: '',
  databaseUrl: env('PL_TEST_PG_URL'),
  databaseSchema: env('PL_TEST_PG_SCHEMA'),
  databasePoolSize: 4,
  port: 0,
  alertsConfigFile: env('PL_TEST_ALERTS_CONFIG'),
  retentionDays: 7,
  jobs: {
    evaluateEveryMs: 250,
    deliverEveryMs: 200,
    driftTickMs: 250,
    retentionIntervalMs: 250,
    leaderCheckIntervalMs: 250,
    outbox: { leaseMs: 3_000, baseDelayMs: 200 },
  },
  onLeaderChange: (leading) => console.log(leading ? 'leader' : 'follower'),
});
console.log(`listening on ${collector.url}`);
process.once('SIGTERM', () => {
  collector.close().then(() => process.exit(0));
});
