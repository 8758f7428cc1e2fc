/**
 * Drift monitors and alerting on the collector's SQLite file, wired together: one call for
 * the collector's start-up to open them, mount their routes and start their jobs.
 */
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { createRollupReader } from '../alerts/evaluate.js';
import type { AlertsConfig } from '../alerts/rule.js';
import { Alerting } from '../alerts/service.js';
import type { AlertLogRecord } from '../alerts/sinks/log.js';
import type { AlertSink } from '../alerts/sinks/types.js';
import { SqliteAlertStore } from '../alerts/sqlite-alert-store.js';
import { fromStoredRollupRow } from '../rollups/rollup.js';
import { createAlertRoutes } from '../routes/alerts.js';
import { createDriftRoutes } from '../routes/drift.js';
import type { ReadSideStore } from '../store/store.js';
import type { FeatureSource } from './feature-source.js';
import { DriftMonitors } from './monitors.js';
import { SqliteDriftStore } from './sqlite-drift-store.js';
import { SqliteFeatureSource } from './sqlite-feature-source.js';

/** How long a connection waits for another's write lock (ms), like the span store. */
const BUSY_TIMEOUT_MS = 5_000;

/** Options of {@link openDriftAndAlerts}. */
export interface DriftAndAlertsOptions {
  /** The collector's SQLite file; drift and alert tables are created in it. */
  dbPath: string;
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
  now?: () => number;
}

/** Job intervals of {@link DriftAndAlerts.start}. */
export interface DriftAndAlertsJobOptions {
  evaluateEveryMs?: number;
  deliverEveryMs?: number;
  driftTickMs?: number;
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
  /** Starts the drift scheduler, the alert evaluation and the outbox on unref'd timers. */
  start(options?: DriftAndAlertsJobOptions): void;
  /** Stops the jobs and closes the connections; idempotent. */
  close(): void;
}

/**
 * Opens drift monitors and alerting on the collector's database (two more connections to
 * the same file: one writes drift and alert tables, one reads calls).
 *
 * @throws {RangeError} for an in-memory database.
 * @example
 * ```ts
 * const jobs = openDriftAndAlerts({ dbPath: store.path, store, projectId: 'default', config });
 * app.route('/', jobs.routes);
 * jobs.start();
 * // on shutdown: jobs.close();
 * ```
 */
export function openDriftAndAlerts(options: DriftAndAlertsOptions): DriftAndAlerts {
  // A second connection to ':memory:' would be another, empty database.
  if (options.dbPath === ':memory:' || options.dbPath === '') {
    throw new RangeError('drift monitors need the collector database file, not an in-memory one');
  }
  const db = new Database(options.dbPath);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const reader = new Database(options.dbPath, { readonly: true });
  reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const now = options.now ?? Date.now;
  const driftStore = new SqliteDriftStore(db);
  const features = new SqliteFeatureSource(reader);
  const monitors = new DriftMonitors({ store: driftStore, features, now });
  const alerting = new Alerting({
    store: new SqliteAlertStore(db),
    sources: {
      rollups: createRollupReader(async (projectId, ranges) =>
        (await options.store.readRollups(projectId, ranges)).map(fromStoredRollupRow),
      ),
      drift: driftStore,
    },
    now,
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.sinks === undefined ? {} : { sinks: options.sinks }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const routes = new Hono();
  routes.route('/', createDriftRoutes({ monitors, features, projectId: options.projectId, now }));
  routes.route('/', createAlertRoutes({ alerting, projectId: options.projectId }));
  let closed = false;
  return {
    monitors,
    features,
    alerting,
    routes,
    start(jobs = {}) {
      const onError = jobs.onError ?? (() => undefined);
      monitors.start({
        ...(jobs.driftTickMs === undefined ? {} : { tickMs: jobs.driftTickMs }),
        onError: (e) => onError('drift', e),
      });
      alerting.start({
        ...(jobs.evaluateEveryMs === undefined ? {} : { evaluateEveryMs: jobs.evaluateEveryMs }),
        ...(jobs.deliverEveryMs === undefined ? {} : { deliverEveryMs: jobs.deliverEveryMs }),
        onError,
      });
    },
    close() {
      if (closed) return;
      closed = true;
      monitors.stop();
      alerting.stop();
      db.close();
      reader.close();
    },
  };
}
