/**
 * Drift monitors, their runs and saved baselines in PostgreSQL: the same behaviour as
 * {@link SqliteDriftStore}, for collectors that share one database. The tables come with
 * the span store's versioned migrations (`drift`, version 7), so open the span store on
 * the same schema first.
 */
import type pg from 'pg';
import type { DriftRunSummary } from '../alerts/evaluate.js';
import { toStoreError } from '../store/postgres/errors.js';
import { quoteIdent } from '../store/postgres/migrations.js';
import { type DriftMonitor, driftMonitorSchema } from './monitor.js';
import type { DriftBaseline, DriftRun, DriftStore, NewDriftRun } from './sqlite-drift-store.js';

interface RunRow {
  seq: string;
  statistic: number | null;
  p_value: number | null;
  result: NewDriftRun;
}

/** Parses a stored monitor. @throws {Error} naming the monitor when it no longer validates. */
function parseStoredMonitor(id: string, json: unknown): DriftMonitor {
  const r = driftMonitorSchema.safeParse(json);
  if (!r.success) {
    throw new Error(`stored drift monitor ${id} is invalid: ${r.error.issues[0]?.message ?? ''}`);
  }
  return r.data;
}

// JSON has no Infinity: the statistic and p-value live in float columns, the rest in JSON.
function toRun(row: RunRow): DriftRun {
  return { ...row.result, id: Number(row.seq), statistic: row.statistic, pValue: row.p_value };
}

/**
 * {@link DriftStore} on a PostgreSQL pool (the span store's `pool` and `schema`); also the
 * alerts' `DriftRunReader`. Connection failures reject with the store's
 * `PostgresUnavailableError`, so the routes answer 503.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ connectionString });
 * const drift = new PostgresDriftStore(store.pool, store.schema);
 * ```
 */
export class PostgresDriftStore implements DriftStore {
  private readonly t: { monitors: string; runs: string; baselines: string };

  constructor(
    private readonly pool: pg.Pool,
    schema = 'public',
  ) {
    const s = quoteIdent(schema);
    this.t = {
      monitors: `${s}.drift_monitors`,
      runs: `${s}.drift_runs`,
      baselines: `${s}.drift_baselines`,
    };
  }

  private async query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async listMonitors(projectId?: string): Promise<DriftMonitor[]> {
    const { rows } =
      projectId === undefined
        ? await this.query<{ id: string; monitor: unknown }>(
            `SELECT id, monitor FROM ${this.t.monitors} ORDER BY id`,
          )
        : await this.query<{ id: string; monitor: unknown }>(
            `SELECT id, monitor FROM ${this.t.monitors} WHERE project_id = $1 ORDER BY id`,
            [projectId],
          );
    return rows.map((r) => parseStoredMonitor(r.id, r.monitor));
  }

  async getMonitor(id: string): Promise<DriftMonitor | null> {
    const { rows } = await this.query<{ id: string; monitor: unknown }>(
      `SELECT id, monitor FROM ${this.t.monitors} WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? null : parseStoredMonitor(row.id, row.monitor);
  }

  async putMonitor(monitor: DriftMonitor, nowMs: number): Promise<{ created: boolean }> {
    // xmax = 0 only for a freshly inserted row: tells insert from update in one statement.
    const { rows } = await this.query<{ created: boolean }>(
      `INSERT INTO ${this.t.monitors} (id, project_id, monitor, created_at_ms, updated_at_ms)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET project_id = EXCLUDED.project_id,
         monitor = EXCLUDED.monitor, updated_at_ms = EXCLUDED.updated_at_ms
       RETURNING (xmax = 0) AS created`,
      [monitor.id, monitor.projectId, JSON.stringify(monitor), nowMs],
    );
    return { created: rows[0]?.created === true };
  }

  async removeMonitor(id: string): Promise<boolean> {
    const r = await this.query(`DELETE FROM ${this.t.monitors} WHERE id = $1`, [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async appendRun(run: NewDriftRun): Promise<DriftRun> {
    const { rows } = await this.query<{ seq: string }>(
      `INSERT INTO ${this.t.runs} (monitor_id, project_id, ran_at_ms, status, statistic, p_value,
         drifted, reference_size, current_size, result)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
      [
        run.monitorId,
        run.projectId,
        run.ranAtMs,
        run.status,
        run.statistic,
        run.pValue,
        run.drifted,
        run.reference.size,
        run.current.size,
        JSON.stringify(run),
      ],
    );
    return { ...run, id: Number(rows[0]?.seq) };
  }

  async listRuns(monitorId: string, limit: number): Promise<DriftRun[]> {
    const { rows } = await this.query<RunRow>(
      `SELECT seq, statistic, p_value, result FROM ${this.t.runs} WHERE monitor_id = $1
       ORDER BY ran_at_ms DESC, seq DESC LIMIT $2`,
      [monitorId, limit],
    );
    return rows.map(toRun);
  }

  /** The newest run in `[fromMs, toMs)`; null when there is none or it has no verdict. */
  async latestRun(
    projectId: string,
    monitorId: string,
    fromMs: number,
    toMs: number,
  ): Promise<DriftRunSummary | null> {
    const { rows } = await this.query<{
      status: string;
      statistic: number | null;
      drifted: boolean;
      reference_size: number;
      current_size: number;
      ran_at_ms: string;
    }>(
      `SELECT status, statistic, drifted, reference_size, current_size, ran_at_ms FROM ${this.t.runs}
       WHERE monitor_id = $1 AND project_id = $2 AND ran_at_ms >= $3 AND ran_at_ms < $4
       ORDER BY ran_at_ms DESC, seq DESC LIMIT 1`,
      [monitorId, projectId, fromMs, toMs],
    );
    const row = rows[0];
    if (row === undefined || row.status !== 'ok' || row.statistic === null) return null;
    return {
      statistic: row.statistic,
      drifted: row.drifted,
      referenceSize: row.reference_size,
      currentSize: row.current_size,
      ranAtMs: Number(row.ran_at_ms),
    };
  }

  async lastRunTimes(): Promise<Map<string, number>> {
    const { rows } = await this.query<{ monitor_id: string; at: string }>(
      `SELECT monitor_id, max(ran_at_ms) AS at FROM ${this.t.runs} GROUP BY monitor_id`,
    );
    return new Map(rows.map((r) => [r.monitor_id, Number(r.at)]));
  }

  async putBaseline(baseline: DriftBaseline): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.baselines} (id, project_id, baseline, created_at_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET project_id = EXCLUDED.project_id,
         baseline = EXCLUDED.baseline, created_at_ms = EXCLUDED.created_at_ms`,
      [baseline.id, baseline.projectId, JSON.stringify(baseline), baseline.createdAtMs],
    );
  }

  async getBaseline(id: string): Promise<DriftBaseline | null> {
    const { rows } = await this.query<{ baseline: DriftBaseline }>(
      `SELECT baseline FROM ${this.t.baselines} WHERE id = $1`,
      [id],
    );
    return rows[0]?.baseline ?? null;
  }

  async listBaselines(projectId: string): Promise<Omit<DriftBaseline, 'values'>[]> {
    // The values (up to the sample cap) stay in the database.
    const { rows } = await this.query<{ baseline: Omit<DriftBaseline, 'values'> }>(
      `SELECT (baseline::jsonb - 'values')::json AS baseline FROM ${this.t.baselines}
       WHERE project_id = $1 ORDER BY id`,
      [projectId],
    );
    return rows.map((r) => r.baseline);
  }
}
