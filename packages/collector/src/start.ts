import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { PriceBook } from '@pilotlight/conventions';
import type { Hono } from 'hono';
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
import { type RetentionJob, startRetention } from './jobs/retention.js';
import { createApp, DEFAULT_PROJECT_ID } from './server.js';
import { openPostgresStore, type PostgresSpanStore } from './store/postgres/index.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { ReadSideStore, SpanStore } from './store/store.js';

/** Options of {@link startCollector}. */
export interface StartCollectorOptions {
  /** SQLite database file (created with its directory if missing); ignored with `databaseUrl`. */
  dbPath: string;
  /**
   * PostgreSQL URL: when set, calls and rollups go to PostgreSQL instead of SQLite, so
   * several collectors can share one database. Drift monitors and alerting still need
   * the SQLite file and are off on PostgreSQL for now.
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
  /**
   * API-key authentication (default true): requests need `Authorization: Bearer <key>`
   * once any key exists; until then only loopback peers are served, into `default`, and
   * binding a non-loopback `host` is refused. False serves every request as `default`
   * with no check (for embedding behind your own authentication only).
   */
  auth?: boolean;
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
  const store: SpanStore & ReadSideStore =
    sqlite ??
    (await openPostgresStore({
      connectionString: databaseUrl!,
      ...(options.databasePoolSize == null ? {} : { poolSize: options.databasePoolSize }),
      ...(options.databaseSchema == null ? {} : { schema: options.databaseSchema }),
    }));
  let jobs: DriftAndAlerts | undefined;
  let retention: RetentionJob | undefined;
  let server: ReturnType<typeof serve> | undefined;
  let keyStore: KeyStore | undefined;
  try {
    let auth: Auth | undefined;
    if (options.auth ?? true) {
      keyStore =
        sqlite !== null
          ? openSqliteKeyStore(sqlite.path)
          : await openPostgresKeyStore(
              (store as PostgresSpanStore).pool,
              (store as PostgresSpanStore).schema,
            );
      auth = new Auth(keyStore);
    }
    const host = options.host ?? DEFAULT_HOST;
    const keysRequired = auth === undefined ? false : await auth.hasKeys();
    if (auth !== undefined && !keysRequired && !isLoopbackHost(host)) {
      throw new InsecureBindError(host);
    }
    if ((options.driftAndAlerts ?? true) && sqlite !== null && sqlite.path !== ':memory:') {
      const file = options.alertsConfigFile ?? null;
      jobs = openDriftAndAlerts({
        dbPath: sqlite.path,
        store: sqlite,
        projectId: DEFAULT_PROJECT_ID,
        ...(file === null ? {} : { config: await loadAlertsConfig(file) }),
      });
    }
    const app = createApp({
      store,
      ...(auth === undefined ? {} : { auth }),
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(options.prices === undefined ? {} : { prices: options.prices }),
      ...(options.dashboard === undefined ? {} : { dashboard: options.dashboard }),
      ...(jobs === undefined ? {} : { apiRoutes: [jobs.routes] }),
      ...(options.metricsMaxModels === undefined
        ? {}
        : { metricsMaxModels: options.metricsMaxModels }),
    });
    retention = startRetention(store, {
      callRetentionDays: options.retentionDays ?? null,
      rollupRetentionDays: options.rollupRetentionDays ?? null,
      auditRetentionDays: options.auditRetentionDays ?? null,
    });
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serve(
        { fetch: app.fetch, port: options.port ?? DEFAULT_PORT, hostname: host },
        resolve,
      );
      server.once('error', reject);
    });
    const listening = server!;
    jobs?.start({
      onError: (job, error) => console.error(`pilotlight: ${job} job failed:`, error),
    });
    const shownHost = host.includes(':') ? `[${host}]` : host;
    const stopRetention = retention;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${shownHost}:${address.port}`,
      port: address.port,
      dbPath: sqlite?.path ?? '',
      database: sqlite?.path ?? redactPassword(databaseUrl!),
      authMode: auth === undefined ? 'off' : keysRequired ? 'keys' : 'local',
      close() {
        closing ??= new Promise<void>((resolve) => {
          listening.close(() => resolve());
          // Idle keep-alive sockets would otherwise hold close() open.
          if ('closeIdleConnections' in listening) listening.closeIdleConnections();
        })
          .then(() => stopRetention.stop())
          .then(() => jobs?.close())
          .then(() => keyStore?.close())
          .then(() => store.close());
        return closing;
      },
    };
  } catch (error) {
    server?.close();
    await retention?.stop();
    jobs?.close();
    await keyStore?.close();
    await store.close();
    throw error;
  }
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
