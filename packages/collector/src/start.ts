import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { PriceBook } from '@pilotlight/conventions';
import type { Hono } from 'hono';
import type { OutboxOptions } from './alerts/outbox.js';
import { loadAlertsConfig } from './alerts/rule.js';
import { Auth } from './auth/auth.js';
import { isLoopbackHost } from './auth/http.js';
import type { KeyStore } from './auth/key-store.js';
import { openPostgresKeyStore } from './auth/postgres-key-store.js';
import { openSqliteKeyStore } from './auth/sqlite-key-store.js';
import {
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  type SqliteSynchronous,
} from './config.js';
import { type DriftAndAlerts, openDriftAndAlerts } from './drift/wiring.js';
import {
  type BackgroundJob,
  type BackgroundJobs,
  jobsLockKey,
  runBackgroundJobs,
} from './jobs/background-jobs.js';
import { startRetention } from './jobs/retention.js';
import { createPriceRoutes, createPricer, openPriceStoreFor, type Pricer } from './prices/index.js';
import type { IngestAdmissionOptions } from './routes/ingest.js';
import { createApp, DEFAULT_PROJECT_ID } from './server.js';
import { openPostgresStore, type PostgresSpanStore } from './store/postgres/index.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { ReadSideStore, SpanStore } from './store/store.js';

/** Options of {@link startCollector}. */
export interface StartCollectorOptions {
  /** SQLite database file (created with its directory if missing); ignored with `databaseUrl`. */
  dbPath: string;
  /**
   * PostgreSQL URL: when set, everything (calls, rollups, audit, keys, drift monitors,
   * alerts and their outbox) goes to PostgreSQL instead of SQLite, so several collectors
   * can share one database; the background jobs then run on one elected replica.
   */
  databaseUrl?: string | null;
  /** PostgreSQL pool size of this collector (default 10). */
  databasePoolSize?: number | null;
  /** PostgreSQL schema (default `public`). */
  databaseSchema?: string | null;
  /** TCP port; 0 picks a free one (default 4318). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  maxBodyBytes?: number;
  /**
   * Ingest admission control: when `POST /v1/traces` answers 503 with `Retry-After`
   * instead of queueing (default: the ingest route's limits).
   */
  ingestAdmission?: IngestAdmissionOptions;
  sqliteSynchronous?: SqliteSynchronous;
  prices?: PriceBook;
  /** The web UI's routes, served at `/` after the API (see `AppDeps.dashboard`). */
  dashboard?: Hono;
  /** Days calls are kept; unset or null keeps them forever. */
  retentionDays?: number | null;
  /** Days rollups are kept; unset or null keeps them forever. */
  rollupRetentionDays?: number | null;
  /** Days audit entries are kept; unset or null keeps them forever. */
  auditRetentionDays?: number | null;
  /**
   * Drift monitors and alerting: their `/api/drift/*` and `/api/alerts*` routes and their
   * jobs (default true; always off for an in-memory database).
   */
  driftAndAlerts?: boolean;
  /** Alert configuration file (JSON or YAML): sinks, network policy, rules. */
  alertsConfigFile?: string | null;
  /** Model names labelled in `/metrics` before folding into `other` (default 100). */
  metricsMaxModels?: number;
  /** Intervals of the background jobs (defaults suit production; tests shorten them). */
  jobs?: StartCollectorJobOptions;
  /**
   * Called when this process starts (true) or stops (false) running the background jobs:
   * at once on SQLite; on PostgreSQL when this replica is elected or loses the lock.
   */
  onLeaderChange?: (leading: boolean) => void;
  /**
   * API-key authentication (default true): requests need `Authorization: Bearer <key>`
   * once any key exists; until then only loopback peers are served, into `default`, and
   * binding a non-loopback `host` is refused. False serves every request as `default`
   * with no check (for embedding behind your own authentication only).
   */
  auth?: boolean;
}

/** Intervals of the background jobs of {@link startCollector}. */
export interface StartCollectorJobOptions {
  /** Alert rule evaluation (default 60 s). */
  evaluateEveryMs?: number;
  /** Outbox delivery (default 5 s). */
  deliverEveryMs?: number;
  /** Drift scheduler tick (default 30 s). */
  driftTickMs?: number;
  /** Retention run (default 60 s). */
  retentionIntervalMs?: number;
  /** PostgreSQL: how often a follower tries to become the leader (default 1 s). */
  leaderCheckIntervalMs?: number;
  /** Outbox lease and retry settings. */
  outbox?: Pick<OutboxOptions, 'leaseMs' | 'baseDelayMs' | 'maxDelayMs'>;
}

/** Thrown by {@link startCollector} for a non-loopback bind while no API key exists. */
export class InsecureBindError extends Error {
  override readonly name = 'InsecureBindError';
  constructor(host: string) {
    super(
      `refusing to listen on ${host} without API keys: anyone who can reach it could read ` +
        'and write your data. Create a project and a key first (pilotlight projects create ' +
        'NAME; pilotlight keys create --project NAME), or bind to 127.0.0.1.',
    );
  }
}

/** A running collector. */
export interface CollectorHandle {
  /** Base URL, e.g. `http://127.0.0.1:4318`; OTLP exporters post to `${url}/v1/traces`. */
  url: string;
  port: number;
  /** Absolute path of the SQLite database file ('' on PostgreSQL). */
  dbPath: string;
  /** Where the data lives, for people: the SQLite path, or the PostgreSQL URL without its password. */
  database: string;
  /**
   * `keys`: requests need an API key; `local`: no key exists yet, so only this machine is
   * served (into `default`); `off`: started with `auth: false`.
   */
  authMode: 'keys' | 'local' | 'off';
  /**
   * Whether this process runs the background jobs now: always on SQLite; on PostgreSQL
   * only while it is the elected leader.
   */
  readonly isLeader: boolean;
  /** Stops accepting connections, lets in-flight requests finish, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the store and serves the collector in this process (for tests, examples
 * and embedding). `pilotlight serve` does the same from environment variables.
 *
 * @example
 * const collector = await startCollector({ dbPath: '/tmp/pl.db', port: 0 });
 * // … export spans to `${collector.url}/v1/traces` …
 * await collector.close();
 */
export async function startCollector(options: StartCollectorOptions): Promise<CollectorHandle> {
  const databaseUrl = options.databaseUrl ?? null;
  const sqlite =
    databaseUrl === null
      ? openSqliteStore({ path: options.dbPath, synchronous: options.sqliteSynchronous ?? 'full' })
      : null;
  const postgres: PostgresSpanStore | null =
    sqlite === null
      ? await openPostgresStore({
          connectionString: databaseUrl!,
          ...(options.databasePoolSize == null ? {} : { poolSize: options.databasePoolSize }),
          ...(options.databaseSchema == null ? {} : { schema: options.databaseSchema }),
        })
      : null;
  const store: SpanStore & ReadSideStore = sqlite ?? postgres!;
  const jobOptions = options.jobs ?? {};
  let jobs: DriftAndAlerts | undefined;
  let background: BackgroundJobs | undefined;
  let server: ReturnType<typeof serve> | undefined;
  let keyStore: KeyStore | undefined;
  let pricer: Pricer | undefined;
  try {
    // Per-project price overrides, effective from a date; the table everyone else uses.
    pricer = await createPricer({
      store: await openPriceStoreFor(store),
      ...(options.prices === undefined ? {} : { base: options.prices.entries }),
    });
    let auth: Auth | undefined;
    if (options.auth ?? true) {
      keyStore =
        sqlite !== null
          ? openSqliteKeyStore(sqlite.path)
          : await openPostgresKeyStore(postgres!.pool, postgres!.schema);
      auth = new Auth(keyStore);
    }
    const host = options.host ?? DEFAULT_HOST;
    const keysRequired = auth === undefined ? false : await auth.hasKeys();
    if (auth !== undefined && !keysRequired && !isLoopbackHost(host)) {
      throw new InsecureBindError(host);
    }
    if ((options.driftAndAlerts ?? true) && sqlite?.path !== ':memory:') {
      const file = options.alertsConfigFile ?? null;
      const common = {
        store,
        projectId: DEFAULT_PROJECT_ID,
        ...(file === null ? {} : { config: await loadAlertsConfig(file) }),
        ...(jobOptions.outbox === undefined ? {} : { outbox: jobOptions.outbox }),
      };
      jobs =
        sqlite !== null
          ? openDriftAndAlerts({ ...common, dbPath: sqlite.path })
          : await openDriftAndAlerts({
              ...common,
              postgres: { pool: postgres!.pool, schema: postgres!.schema },
            });
    }
    const app = createApp({
      store,
      ...(auth === undefined ? {} : { auth }),
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(options.ingestAdmission === undefined
        ? {}
        : { ingestAdmission: options.ingestAdmission }),
      ...(options.prices === undefined ? {} : { prices: options.prices }),
      pricesFor: pricer.pricesFor,
      ...(options.dashboard === undefined ? {} : { dashboard: options.dashboard }),
      apiRoutes: [
        createPriceRoutes({ prices: pricer, projectId: DEFAULT_PROJECT_ID }),
        ...(jobs === undefined ? [] : [jobs.routes]),
      ],
      ...(options.metricsMaxModels === undefined
        ? {}
        : { metricsMaxModels: options.metricsMaxModels }),
    });
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serve(
        { fetch: app.fetch, port: options.port ?? DEFAULT_PORT, hostname: host },
        resolve,
      );
      server.once('error', reject);
    });
    const listening = server!;
    background = runBackgroundJobs(backgroundJobs(store, jobs, options, auth), {
      ...(postgres === null
        ? {}
        : {
            leaderElection: {
              pool: postgres.pool,
              lockKey: jobsLockKey(postgres.schema),
              ...(jobOptions.leaderCheckIntervalMs === undefined
                ? {}
                : { checkIntervalMs: jobOptions.leaderCheckIntervalMs }),
            },
          }),
      ...(options.onLeaderChange === undefined ? {} : { onLeaderChange: options.onLeaderChange }),
      onError: (error) => console.error('pilotlight: background jobs:', error),
    });
    const running = background;
    const prices = pricer;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${shownHost}:${address.port}`,
      port: address.port,
      dbPath: sqlite?.path ?? '',
      database: sqlite?.path ?? redactPassword(databaseUrl!),
      authMode: auth === undefined ? 'off' : keysRequired ? 'keys' : 'local',
      get isLeader() {
        return running.isLeader;
      },
      close() {
        closing ??= new Promise<void>((resolve) => {
          listening.close(() => resolve());
          // Idle keep-alive sockets would otherwise hold close() open.
          if ('closeIdleConnections' in listening) listening.closeIdleConnections();
        })
          // Steps down first, so another replica takes the jobs over at once.
          .then(() => running.stop())
          .then(() => jobs?.close())
          .then(() => keyStore?.close())
          .then(() => {
            prices.close();
            return prices.store.close();
          })
          .then(() => store.close());
        return closing;
      },
    };
  } catch (error) {
    server?.close();
    await background?.stop();
    jobs?.close();
    await keyStore?.close();
    pricer?.close();
    await pricer?.store.close();
    await store.close();
    throw error;
  }
}

/**
 * The jobs {@link runBackgroundJobs} starts on the leader (or in the one process): retention
 * when a retention period is set, and drift monitors, alert evaluation and the outbox.
 */
function backgroundJobs(
  store: SpanStore & ReadSideStore,
  driftAndAlerts: DriftAndAlerts | undefined,
  options: StartCollectorOptions,
  auth: Auth | undefined,
): BackgroundJob[] {
  const j = options.jobs ?? {};
  const out: BackgroundJob[] = [];
  const retention = {
    callRetentionDays: options.retentionDays ?? null,
    rollupRetentionDays: options.rollupRetentionDays ?? null,
    auditRetentionDays: options.auditRetentionDays ?? null,
  };
  // Projects' own (shorter) call retention, set with `pilotlight projects set`.
  const projectRetentionDays = async (): Promise<ReadonlyMap<string, number>> =>
    new Map(
      (await auth!.listProjects()).flatMap((p) =>
        p.retentionDays === null ? [] : [[p.id, p.retentionDays] as const],
      ),
    );
  if (auth !== undefined || Object.values(retention).some((days) => days !== null)) {
    out.push({
      name: 'retention',
      start: () =>
        startRetention(store, {
          ...retention,
          ...(auth === undefined ? {} : { projectRetentionDays }),
          ...(j.retentionIntervalMs === undefined ? {} : { intervalMs: j.retentionIntervalMs }),
          onError: (error) => console.error('pilotlight: retention job failed:', error),
        }),
    });
  }
  if (driftAndAlerts !== undefined) {
    out.push({
      name: 'drift and alerts',
      start: () => {
        driftAndAlerts.start({
          ...(j.evaluateEveryMs === undefined ? {} : { evaluateEveryMs: j.evaluateEveryMs }),
          ...(j.deliverEveryMs === undefined ? {} : { deliverEveryMs: j.deliverEveryMs }),
          ...(j.driftTickMs === undefined ? {} : { driftTickMs: j.driftTickMs }),
          // A replica that takes over sends what its predecessor left in the outbox now.
          immediately: true,
          onError: (job, error) => console.error(`pilotlight: ${job} job failed:`, error),
        });
        return { stop: () => driftAndAlerts.stop() };
      },
    });
  }
  return out;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}
