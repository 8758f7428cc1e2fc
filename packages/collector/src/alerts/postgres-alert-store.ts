import type pg from 'pg';
import { withClient } from '../store/postgres/client.js';
import { toStoreError } from '../store/postgres/errors.js';
import { PostgresOutboxStore } from './postgres-outbox-store.js';
import type { AlertRule } from './rule.js';
import {
  type AlertCommit,
  AlertCommitConflictError,
  type AlertHistoryEntry,
  type AlertHistoryQuery,
  type AlertRuleStore,
  type AlertStateStore,
  parseStoredRule,
  type StoredAlertState,
  sameAlertStates,
} from './sqlite-alert-store.js';
import type { AlertState, AlertStatus, Severity, Transition } from './state.js';

/** Lock key serialising the DDL when several replicas start at once. */
const DDL_LOCK_KEY = 'pilotlight.alert_state.ddl';

const DDL = `
CREATE TABLE IF NOT EXISTS {{s}}.alert_state (
  rule_id          TEXT NOT NULL,
  grp              TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  status           TEXT NOT NULL,
  severity         TEXT,
  since_ms         BIGINT NOT NULL,
  value            DOUBLE PRECISION,
  evaluated_at_ms  BIGINT,
  resolved_at_ms   BIGINT,
  PRIMARY KEY (rule_id, grp)
);
CREATE TABLE IF NOT EXISTS {{s}}.alert_history (
  seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id       TEXT NOT NULL,
  rule_id          TEXT NOT NULL,
  grp              TEXT NOT NULL,
  at_ms            BIGINT NOT NULL,
  transition       JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_project_time ON {{s}}.alert_history (project_id, at_ms);
CREATE INDEX IF NOT EXISTS alert_history_rule_time ON {{s}}.alert_history (rule_id, at_ms);
CREATE TABLE IF NOT EXISTS {{s}}.alert_rule (
  id               TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  rule             TEXT NOT NULL,
  created_at_ms    BIGINT NOT NULL,
  updated_at_ms    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_rule_project ON {{s}}.alert_rule (project_id);
`;

interface StateRow {
  rule_id: string;
  grp: string;
  project_id: string;
  status: AlertStatus;
  severity: Severity | null;
  since_ms: string;
  value: number | null;
  evaluated_at_ms: string | null;
  resolved_at_ms: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function toState(r: StateRow): StoredAlertState {
  return {
    ruleId: r.rule_id,
    group: r.grp,
    projectId: r.project_id,
    status: r.status,
    severity: r.severity,
    sinceMs: Number(r.since_ms),
    value: r.value,
    evaluatedAtMs: num(r.evaluated_at_ms),
    resolvedAtMs: num(r.resolved_at_ms),
  };
}

/**
 * {@link AlertStateStore} in PostgreSQL: states, history and the outbox in one schema,
 * committed together in one transaction. Pair it with leader election (issue 9) so that
 * one replica evaluates rules; any replica may drain the outbox.
 *
 * @example
 * ```ts
 * const alerts = await PostgresAlertStore.open(pool, { schema: 'pilotlight' });
 * const outbox = new Outbox(alerts.outbox, { sinks, owner: replicaId });
 * ```
 */
export class PostgresAlertStore implements AlertStateStore, AlertRuleStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    /** The outbox in the same schema, for the delivery worker. */
    readonly outbox: PostgresOutboxStore,
  ) {}

  /** Creates the tables if needed (serialised by an advisory lock) and returns the store. */
  static async open(pool: pg.Pool, options: { schema?: string } = {}): Promise<PostgresAlertStore> {
    const schemaName = options.schema ?? 'public';
    const outbox = await PostgresOutboxStore.open(pool, { schema: schemaName });
    const schema = `"${schemaName.replace(/"/g, '""')}"`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_KEY]);
      await client.query(DDL.replaceAll('{{s}}', schema));
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return new PostgresAlertStore(pool, schema, outbox);
  }

  /** A query whose connection failures reject with `PostgresUnavailableError` (answered 503). */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async load(ruleId: string): Promise<AlertState[]> {
    const r = await this.query<StateRow>(
      `SELECT * FROM ${this.schema}.alert_state WHERE rule_id = $1 ORDER BY grp`,
      [ruleId],
    );
    return r.rows.map((row) => {
      const { projectId: _projectId, ...state } = toState(row);
      return state;
    });
  }

  async commit(c: AlertCommit): Promise<void> {
    await this.inTransaction(async (client) => {
      if (c.basis !== undefined) {
        // Commits of one rule take turns; each checks nobody committed since it loaded.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `pilotlight.alert_eval:${this.schema}:${c.basis.ruleId}`,
        ]);
        const stored = await client.query<StateRow>(
          `SELECT * FROM ${this.schema}.alert_state WHERE rule_id = $1`,
          [c.basis.ruleId],
        );
        if (!sameAlertStates(stored.rows.map(toState), c.basis.states)) {
          throw new AlertCommitConflictError(c.basis.ruleId);
        }
      }
      for (const s of c.states) {
        await client.query(
          `INSERT INTO ${this.schema}.alert_state (rule_id, grp, project_id, status, severity,
             since_ms, value, evaluated_at_ms, resolved_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (rule_id, grp) DO UPDATE SET project_id = EXCLUDED.project_id,
             status = EXCLUDED.status, severity = EXCLUDED.severity,
             since_ms = EXCLUDED.since_ms, value = EXCLUDED.value,
             evaluated_at_ms = EXCLUDED.evaluated_at_ms, resolved_at_ms = EXCLUDED.resolved_at_ms`,
          [
            s.ruleId,
            s.group,
            c.projectId,
            s.status,
            s.severity,
            s.sinceMs,
            s.value,
            s.evaluatedAtMs,
            s.resolvedAtMs,
          ],
        );
      }
      for (const t of c.transitions) {
        await client.query(
          `INSERT INTO ${this.schema}.alert_history (project_id, rule_id, grp, at_ms, transition)
           VALUES ($1, $2, $3, $4, $5)`,
          [c.projectId, t.ruleId, t.group, t.atMs, JSON.stringify(t)],
        );
      }
      await this.outbox.enqueueOn(client, c.outbox);
    });
  }

  /** Runs `fn` in a transaction; connection failures reject with `PostgresUnavailableError`. */
  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withClient(this.pool, async (client) => {
        await client.query('BEGIN');
        try {
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async current(projectId: string, statuses?: readonly AlertStatus[]): Promise<StoredAlertState[]> {
    const r =
      statuses === undefined || statuses.length === 0
        ? await this.query<StateRow>(
            `SELECT * FROM ${this.schema}.alert_state WHERE project_id = $1 ORDER BY rule_id, grp`,
            [projectId],
          )
        : await this.query<StateRow>(
            `SELECT * FROM ${this.schema}.alert_state WHERE project_id = $1 AND status = ANY($2)
             ORDER BY rule_id, grp`,
            [projectId, [...statuses]],
          );
    return r.rows.map(toState);
  }

  async history(query: AlertHistoryQuery): Promise<AlertHistoryEntry[]> {
    const where = ['project_id = $1'];
    const params: (string | number)[] = [query.projectId];
    const add = (clause: string, value: string | number) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (query.ruleId !== undefined) add('rule_id = ?', query.ruleId);
    if (query.fromMs !== undefined) add('at_ms >= ?', query.fromMs);
    if (query.toMs !== undefined) add('at_ms < ?', query.toMs);
    if (query.beforeSeq !== undefined) add('seq < ?', query.beforeSeq);
    params.push(query.limit);
    const r = await this.query<{ seq: string; project_id: string; transition: Transition }>(
      `SELECT seq, project_id, transition FROM ${this.schema}.alert_history
       WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return r.rows.map((row) => ({
      seq: Number(row.seq),
      projectId: row.project_id,
      transition: row.transition,
    }));
  }

  async deleteRule(ruleId: string): Promise<void> {
    await this.query(`DELETE FROM ${this.schema}.alert_state WHERE rule_id = $1`, [ruleId]);
  }

  async listRules(projectId?: string): Promise<AlertRule[]> {
    const r =
      projectId === undefined
        ? await this.query<{ id: string; rule: string }>(
            `SELECT id, rule FROM ${this.schema}.alert_rule ORDER BY id`,
          )
        : await this.query<{ id: string; rule: string }>(
            `SELECT id, rule FROM ${this.schema}.alert_rule WHERE project_id = $1 ORDER BY id`,
            [projectId],
          );
    return r.rows.map((row) => parseStoredRule(row.id, row.rule));
  }

  async getRule(id: string): Promise<AlertRule | null> {
    const r = await this.query<{ rule: string }>(
      `SELECT rule FROM ${this.schema}.alert_rule WHERE id = $1`,
      [id],
    );
    const row = r.rows[0];
    return row === undefined ? null : parseStoredRule(id, row.rule);
  }

  async putRule(rule: AlertRule, nowMs: number): Promise<{ created: boolean }> {
    // xmax = 0 only for a freshly inserted row: tells insert from update in one statement.
    const r = await this.query<{ created: boolean }>(
      `INSERT INTO ${this.schema}.alert_rule (id, project_id, rule, created_at_ms, updated_at_ms)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET project_id = EXCLUDED.project_id, rule = EXCLUDED.rule,
         updated_at_ms = EXCLUDED.updated_at_ms
       RETURNING (xmax = 0) AS created`,
      [rule.id, rule.projectId, JSON.stringify(rule), nowMs],
    );
    return { created: r.rows[0]?.created === true };
  }

  async removeRule(id: string): Promise<boolean> {
    return this.inTransaction(async (client) => {
      await client.query(`DELETE FROM ${this.schema}.alert_state WHERE rule_id = $1`, [id]);
      const r = await client.query(`DELETE FROM ${this.schema}.alert_rule WHERE id = $1`, [id]);
      return r.rowCount === 1;
    });
  }
}
