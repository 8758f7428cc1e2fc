/**
 * Drift monitors, their runs and saved baselines in SQLite. The DDL is idempotent and runs
 * at construction; the collector's migration runner may take it over as a numbered
 * migration (`SQLITE_DRIFT_DDL`).
 */
import type Database from 'better-sqlite3';
import type { DriftRunReader, DriftRunSummary } from '../alerts/evaluate.js';
import type { Comparison, WindowSummary } from './compare.js';
import type { FeatureFilters } from './feature-source.js';
import { type DriftMonitor, driftMonitorSchema } from './monitor.js';

/** Tables of drift monitors, runs and baselines. */
export const SQLITE_DRIFT_DDL = `
CREATE TABLE IF NOT EXISTS drift_monitors (
  id               TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  monitor          TEXT NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS drift_monitors_project ON drift_monitors (project_id);
CREATE TABLE IF NOT EXISTS drift_runs (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  monitor_id       TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  ran_at_ms        INTEGER NOT NULL,
  status           TEXT NOT NULL,
  statistic        REAL,
  p_value          REAL,
  drifted          INTEGER NOT NULL,
  reference_size   INTEGER NOT NULL,
  current_size     INTEGER NOT NULL,
  result           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS drift_runs_monitor_time ON drift_runs (monitor_id, ran_at_ms);
CREATE TABLE IF NOT EXISTS drift_baselines (
  id               TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  baseline         TEXT NOT NULL,
  created_at_ms    INTEGER NOT NULL
);
`;

/** Where a run's reference values came from. */
export type ReferenceSource = 'fixed' | 'previous' | 'baseline';

/** One stored run of a monitor. */
export interface DriftRun extends Comparison {
  /** Store sequence: unique, increasing. */
  id: number;
  monitorId: string;
  projectId: string;
  feature: string;
  ranAtMs: number;
  /** Seed of the random sampling (same seed and data: same sample). */
  seed: number;
  reference: WindowSummary & { source: ReferenceSource; baselineId?: string };
  current: WindowSummary;
}

/** A run before it is stored. */
export type NewDriftRun = Omit<DriftRun, 'id'>;

/** A saved reference sample. */
export interface DriftBaseline {
  id: string;
  projectId: string;
  feature: string;
  filters: FeatureFilters;
  /** The window it was taken from. */
  fromMs: number;
  toMs: number;
  total: number;
  sampled: boolean;
  createdAtMs: number;
  values: { kind: 'numeric'; values: number[] } | { kind: 'categorical'; values: string[] };
}

/** Persistence of monitors, runs and baselines. */
export interface DriftStore extends DriftRunReader {
  listMonitors(projectId?: string): Promise<DriftMonitor[]>;
  getMonitor(id: string): Promise<DriftMonitor | null>;
  putMonitor(monitor: DriftMonitor, nowMs: number): Promise<{ created: boolean }>;
  /** Deletes a monitor (its runs are kept); resolves to whether it existed. */
  removeMonitor(id: string): Promise<boolean>;
  appendRun(run: NewDriftRun): Promise<DriftRun>;
  /** Runs of a monitor, newest first. */
  listRuns(monitorId: string, limit: number): Promise<DriftRun[]>;
  /** When each monitor last ran. */
  lastRunTimes(): Promise<Map<string, number>>;
  putBaseline(baseline: DriftBaseline): Promise<void>;
  getBaseline(id: string): Promise<DriftBaseline | null>;
  /** Baselines of a project, without their values. */
  listBaselines(projectId: string): Promise<Omit<DriftBaseline, 'values'>[]>;
}

/** Parses a stored monitor. @throws {Error} naming the monitor when it no longer validates. */
function parseStoredMonitor(id: string, json: string): DriftMonitor {
  const r = driftMonitorSchema.safeParse(JSON.parse(json));
  if (!r.success) {
    throw new Error(`stored drift monitor ${id} is invalid: ${r.error.issues[0]?.message ?? ''}`);
  }
  return r.data;
}

interface RunRow {
  seq: number;
  statistic: number | null;
  p_value: number | null;
  result: string;
}

// JSON has no Infinity: the statistic and p-value live in REAL columns, the rest in JSON.
function toRun(row: RunRow): DriftRun {
  const run = JSON.parse(row.result) as NewDriftRun;
  return { ...run, id: row.seq, statistic: row.statistic, pValue: row.p_value };
}

/**
 * {@link DriftStore} on a better-sqlite3 handle; also the alerts' {@link DriftRunReader}.
 *
 * @example
 * ```ts
 * const drift = new SqliteDriftStore(db);
 * const alerting = new Alerting({ store, sources: { rollups, drift } });
 * ```
 */
export class SqliteDriftStore implements DriftStore {
  private readonly s: Record<string, Database.Statement>;

  constructor(private readonly db: Database.Database) {
    db.exec(SQLITE_DRIFT_DDL);
    this.s = {
      listAll: db.prepare('SELECT id, monitor FROM drift_monitors ORDER BY id'),
      listProject: db.prepare(
        'SELECT id, monitor FROM drift_monitors WHERE project_id = ? ORDER BY id',
      ),
      get: db.prepare('SELECT id, monitor FROM drift_monitors WHERE id = ?'),
      upsert: db.prepare(
        `INSERT INTO drift_monitors (id, project_id, monitor, created_at_ms, updated_at_ms)
         VALUES (@id, @projectId, @monitor, @now, @now)
         ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,
           monitor = excluded.monitor, updated_at_ms = excluded.updated_at_ms`,
      ),
      remove: db.prepare('DELETE FROM drift_monitors WHERE id = ?'),
      append: db.prepare(
        `INSERT INTO drift_runs (monitor_id, project_id, ran_at_ms, status, statistic, p_value,
           drifted, reference_size, current_size, result)
         VALUES (@monitorId, @projectId, @ranAtMs, @status, @statistic, @pValue, @drifted,
           @referenceSize, @currentSize, @result)`,
      ),
      runs: db.prepare(
        'SELECT seq, statistic, p_value, result FROM drift_runs WHERE monitor_id = ? ORDER BY ran_at_ms DESC, seq DESC LIMIT ?',
      ),
      latest: db.prepare(
        `SELECT status, statistic, drifted, reference_size, current_size, ran_at_ms FROM drift_runs
         WHERE monitor_id = ? AND project_id = ? AND ran_at_ms >= ? AND ran_at_ms < ?
         ORDER BY ran_at_ms DESC, seq DESC LIMIT 1`,
      ),
      lastTimes: db.prepare(
        'SELECT monitor_id, MAX(ran_at_ms) AS at FROM drift_runs GROUP BY monitor_id',
      ),
      putBaseline: db.prepare(
        `INSERT INTO drift_baselines (id, project_id, baseline, created_at_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,
           baseline = excluded.baseline, created_at_ms = excluded.created_at_ms`,
      ),
      getBaseline: db.prepare('SELECT baseline FROM drift_baselines WHERE id = ?'),
      listBaselines: db.prepare(
        'SELECT baseline FROM drift_baselines WHERE project_id = ? ORDER BY id',
      ),
    };
  }

  async listMonitors(projectId?: string): Promise<DriftMonitor[]> {
    const rows = (
      projectId === undefined ? this.s.listAll!.all() : this.s.listProject!.all(projectId)
    ) as { id: string; monitor: string }[];
    return rows.map((r) => parseStoredMonitor(r.id, r.monitor));
  }

  async getMonitor(id: string): Promise<DriftMonitor | null> {
    const row = this.s.get!.get(id) as { id: string; monitor: string } | undefined;
    return row === undefined ? null : parseStoredMonitor(row.id, row.monitor);
  }

  async putMonitor(monitor: DriftMonitor, nowMs: number): Promise<{ created: boolean }> {
    return this.db.transaction(() => {
      const existed = this.s.get!.get(monitor.id) !== undefined;
      this.s.upsert!.run({
        id: monitor.id,
        projectId: monitor.projectId,
        monitor: JSON.stringify(monitor),
        now: nowMs,
      });
      return { created: !existed };
    })();
  }

  async removeMonitor(id: string): Promise<boolean> {
    return this.s.remove!.run(id).changes > 0;
  }

  async appendRun(run: NewDriftRun): Promise<DriftRun> {
    const info = this.s.append!.run({
      monitorId: run.monitorId,
      projectId: run.projectId,
      ranAtMs: run.ranAtMs,
      status: run.status,
      statistic: run.statistic,
      pValue: run.pValue,
      drifted: run.drifted ? 1 : 0,
      referenceSize: run.reference.size,
      currentSize: run.current.size,
      result: JSON.stringify(run),
    });
    return { ...run, id: Number(info.lastInsertRowid) };
  }

  async listRuns(monitorId: string, limit: number): Promise<DriftRun[]> {
    return (this.s.runs!.all(monitorId, limit) as RunRow[]).map(toRun);
  }

  /** The newest run in `[fromMs, toMs)`; null when there is none or it has no verdict. */
  async latestRun(
    projectId: string,
    monitorId: string,
    fromMs: number,
    toMs: number,
  ): Promise<DriftRunSummary | null> {
    const row = this.s.latest!.get(monitorId, projectId, fromMs, toMs) as
      | {
          status: string;
          statistic: number | null;
          drifted: number;
          reference_size: number;
          current_size: number;
          ran_at_ms: number;
        }
      | undefined;
    if (row === undefined || row.status !== 'ok' || row.statistic === null) return null;
    return {
      statistic: row.statistic,
      drifted: row.drifted === 1,
      referenceSize: row.reference_size,
      currentSize: row.current_size,
      ranAtMs: row.ran_at_ms,
    };
  }

  async lastRunTimes(): Promise<Map<string, number>> {
    const rows = this.s.lastTimes!.all() as { monitor_id: string; at: number }[];
    return new Map(rows.map((r) => [r.monitor_id, r.at]));
  }

  async putBaseline(baseline: DriftBaseline): Promise<void> {
    this.s.putBaseline!.run(
      baseline.id,
      baseline.projectId,
      JSON.stringify(baseline),
      baseline.createdAtMs,
    );
  }

  async getBaseline(id: string): Promise<DriftBaseline | null> {
    const row = this.s.getBaseline!.get(id) as { baseline: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.baseline) as DriftBaseline);
  }

  async listBaselines(projectId: string): Promise<Omit<DriftBaseline, 'values'>[]> {
    return (this.s.listBaselines!.all(projectId) as { baseline: string }[]).map((r) => {
      const { values: _values, ...rest } = JSON.parse(r.baseline) as DriftBaseline;
      return rest;
    });
  }
}
