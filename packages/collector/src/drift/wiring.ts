/**
 * Drift monitors and alerting on the collector's database, wired together: one call for
 * the collector's start-up to open them, mount their routes and start their jobs. On
 * SQLite they live in the collector's file; on PostgreSQL in the span store's schema, so
 * every replica serves the same monitors, rules and alerts.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import type pg from 'pg';
import { createRollupReader } from '../alerts/evaluate.js';
import type { OutboxOptions } from '../alerts/outbox.js';
import { PostgresAlertStore } from '../alerts/postgres-alert-store.js';
import type { AlertsConfig } from '../alerts/rule.js';
import { Alerting, type AlertStore } from '../alerts/service.js';
import type { AlertLogRecord } from '../alerts/sinks/log.js';
import type { AlertSink } from '../alerts/sinks/types.js';
import { SqliteAlertStore } from '../alerts/sqlite-alert-store.js';
import { fromStoredRollupRow } from '../rollups/rollup.js';
import { createAlertRoutes } from '../routes/alerts.js';
import { createDriftRoutes } from '../routes/drift.js';
import type { ReadSideStore } from '../store/store.js';
import type { FeatureSource } from './feature-source.js';
import { DriftMonitors } from './monitors.js';
import { PostgresDriftStore } from './postgres-drift-store.js';
import { PostgresFeatureSource } from './postgres-feature-source.js';
import { type DriftStore, SqliteDriftStore } from './sqlite-drift-store.js';
import { SqliteFeatureSource } from './sqlite-feature-source.js';

/** How long a connection waits for another's write lock (ms), like the span store. */
const BUSY_TIMEOUT_MS = 5_000;

/** What {@link openDriftAndAlerts} needs on either engine. */
export interface DriftAndAlertsBaseOptions {
  /** Where alert rules read rollups (the span store). */
  store: Pick<ReadSideStore, 'readRollups'>;
  /** The project of API requests that name none. */
  projectId: string;
  /** The loaded alerts config file (sinks, network policy, file rules). */
  config?: AlertsConfig;
  /** Extra sinks by name (built in code). */
  sinks?: ReadonlyMap<string, AlertSink>;
  /** Where the `log` sink writes. */
  log?: (record: AlertLogRecord) => void;
  /** This process's id in outbox leases (default: host, pid and a random suffix). */
  owner?: string;
  /** Outbox delivery settings (lease, backoff, batch). */
  outbox?: Omit<OutboxOptions, 'sinks' | 'now' | 'owner'>;
  now?: () => number;
}

/** Options of {@link openDriftAndAlerts} on SQLite. */
export interface DriftAndAlertsOptions extends DriftAndAlertsBaseOptions {
  /** The collector's SQLite file; drift and alert tables are created in it. */
  dbPath: string;
}

/** Options of {@link openDriftAndAlerts} on PostgreSQL. */
export interface PostgresDriftAndAlertsOptions extends DriftAndAlertsBaseOptions {
  /**
   * The span store's pool and schema (`PostgresSpanStore.pool` / `.schema`): drift tables
   * come with its migrations, alert tables are created if missing.
   */
  postgres: { pool: pg.Pool; schema: string };
}

/** Job intervals of {@link DriftAndAlerts.start}. */
export interface DriftAndAlertsJobOptions {
  evaluateEveryMs?: number;
  deliverEveryMs?: number;
  driftTickMs?: number;
  /** Run every job once now, then on its interval (a replica that just took over). */
  immediately?: boolean;
  onError?: (job: 'evaluate' | 'deliver' | 'drift', error: unknown) => void;
}

/** Opened drift monitors and alerting. */
export interface DriftAndAlerts {
  monitors: DriftMonitors;
  /** Feature values of stored calls (for reports). */
  features: FeatureSource;
  alerting: Alerting;
  /** `/api/drift/*` and `/api/alerts*`, to mount with `app.route('/', routes)`. */
  routes: Hono;
  /**
   * Starts the drift scheduler, the alert evaluation and the outbox on unref'd timers
   * (idempotent while started). Call it in a single process, or on the elected leader.
   */
  start(options?: DriftAndAlertsJobOptions): void;
  /** Stops the jobs (runs in progress finish); `start` may be called again. Idempotent. */
  stop(): void;
  /** Stops the jobs and closes the connections it opened; idempotent. */
  close(): void;
}

/**
 * Opens drift monitors and alerting on the collector's database: on SQLite (`dbPath`) two
 * more connections to the same file (one writes drift and alert tables, one reads calls),
 * synchronously; on PostgreSQL (`postgres`) the span store's pool, once the alert tables
 * exist (a promise).
 *
 * @throws {RangeError} for an in-memory SQLite database.
 * @example
 * ```ts
 * const jobs = openDriftAndAlerts({ dbPath: store.path, store, projectId: 'default', config });
 * // or: await openDriftAndAlerts({ postgres: { pool: pg.pool, schema: pg.schema }, store: pg, projectId: 'default' });
 * app.route('/', jobs.routes);
 * jobs.start();
 * // on shutdown: jobs.close();
 * ```
 */
export function openDriftAndAlerts(options: DriftAndAlertsOptions): DriftAndAlerts;
export function openDriftAndAlerts(options: PostgresDriftAndAlertsOptions): Promise<DriftAndAlerts>;
export function openDriftAndAlerts(
  options: DriftAndAlertsOptions | PostgresDriftAndAlertsOptions,
): DriftAndAlerts | Promise<DriftAndAlerts> {
  if ('postgres' in options) {
    const { pool, schema } = options.postgres;
    return PostgresAlertStore.open(pool, { schema }).then((alertStore) =>
      assemble(options, {
        driftStore: new PostgresDriftStore(pool, schema),
        features: new PostgresFeatureSource(pool, schema),
        alertStore,
        // The pool is the span store's: closing the span store ends it.
        close: () => undefined,
      }),
    );
  }
  // A second connection to ':memory:' would be another, empty database.
  if (options.dbPath === ':memory:' || options.dbPath === '') {
    throw new RangeError('drift monitors need the collector database file, not an in-memory one');
  }
  const db = new Database(options.dbPath);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const reader = new Database(options.dbPath, { readonly: true });
  reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return assemble(options, {
    driftStore: new SqliteDriftStore(db),
    features: new SqliteFeatureSource(reader),
    alertStore: new SqliteAlertStore(db),
    close: () => {
      db.close();
      reader.close();
    },
  });
}

/** An outbox lease owner unique to this process, even where every container is pid 1. */
function defaultOwner(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function assemble(
  options: DriftAndAlertsBaseOptions,
  parts: {
    driftStore: DriftStore;
    features: FeatureSource;
    alertStore: AlertStore;
    close: () => void;
  },
): DriftAndAlerts {
  const now = options.now ?? Date.now;
  const { driftStore, features } = parts;
  const monitors = new DriftMonitors({ store: driftStore, features, now });
  const alerting = new Alerting({
    store: parts.alertStore,
    sources: {
      rollups: createRollupReader(async (projectId, ranges) =>
        (await options.store.readRollups(projectId, ranges)).map(fromStoredRollupRow),
      ),
      drift: driftStore,
    },
    now,
    owner: options.owner ?? defaultOwner(),
    ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.sinks === undefined ? {} : { sinks: options.sinks }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const routes = new Hono();
  routes.route('/', createDriftRoutes({ monitors, features, projectId: options.projectId, now }));
  routes.route('/', createAlertRoutes({ alerting, projectId: options.projectId }));
  let closed = false;
  const stop = (): void => {
    monitors.stop();
    alerting.stop();
  };
  return {
    monitors,
    features,
    alerting,
    routes,
    start(jobs = {}) {
      if (closed) return;
      const onError = jobs.onError ?? (() => undefined);
      const immediately = jobs.immediately === true;
      monitors.start({
        ...(jobs.driftTickMs === undefined ? {} : { tickMs: jobs.driftTickMs }),
        immediately,
        onError: (e) => onError('drift', e),
      });
      alerting.start({
        ...(jobs.evaluateEveryMs === undefined ? {} : { evaluateEveryMs: jobs.evaluateEveryMs }),
        ...(jobs.deliverEveryMs === undefined ? {} : { deliverEveryMs: jobs.deliverEveryMs }),
        immediately,
        onError,
      });
    },
    stop,
    close() {
      if (closed) return;
      closed = true;
      stop();
      parts.close();
    },
  };
}
