import type Database from 'better-sqlite3';
import type { NewOutboxEntry } from './outbox.js';
import { type AlertRule, alertRuleSchema } from './rule.js';
import { SqliteOutboxStore } from './sqlite-outbox-store.js';
import type { AlertState, AlertStatus, Transition } from './state.js';

/**
 * Schema of alert states and their history in SQLite; idempotent, run at construction.
 * The collector's migration runner may take it over as a numbered migration.
 */
export const SQLITE_ALERT_STATE_DDL = `
CREATE TABLE IF NOT EXISTS alert_state (
  rule_id          TEXT NOT NULL,
  grp              TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  status           TEXT NOT NULL,
  severity         TEXT,
  since_ms         INTEGER NOT NULL,
  value            REAL,
  evaluated_at_ms  INTEGER,
  resolved_at_ms   INTEGER,
  PRIMARY KEY (rule_id, grp)
);
CREATE TABLE IF NOT EXISTS alert_history (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id       TEXT NOT NULL,
  rule_id          TEXT NOT NULL,
  grp              TEXT NOT NULL,
  at_ms            INTEGER NOT NULL,
  transition       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_project_time ON alert_history (project_id, at_ms);
CREATE INDEX IF NOT EXISTS alert_history_rule_time ON alert_history (rule_id, at_ms);
CREATE TABLE IF NOT EXISTS alert_rule (
  id               TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  rule             TEXT NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_rule_project ON alert_rule (project_id);
`;

/** A stored alert state, with its project. */
export interface StoredAlertState extends AlertState {
  projectId: string;
}

/** One history record. */
export interface AlertHistoryEntry {
  /** Store sequence: unique, increasing; use as a cursor. */
  seq: number;
  projectId: string;
  transition: Transition;
}

/** What one evaluation round writes, atomically. */
export interface AlertCommit {
  projectId: string;
  /** New states of the evaluated groups. */
  states: readonly AlertState[];
  /** Transitions, appended to the history. */
  transitions: readonly Transition[];
  /** Notifications of the notified transitions, one entry per sink. */
  outbox: readonly NewOutboxEntry[];
  /**
   * The rule and the stored states its evaluation started from (what `load` returned). When
   * given, the commit applies only while the stored states are still those, so two
   * evaluators of one rule (two replicas overlapping during a leader handover) cannot both
   * record a transition: the later one rejects with {@link AlertCommitConflictError} and
   * writes nothing.
   */
  basis?: { ruleId: string; states: readonly AlertState[] };
}

/** Another evaluation of the rule committed after this one loaded its states. */
export class AlertCommitConflictError extends Error {
  override readonly name = 'AlertCommitConflictError';
  readonly code = 'alert_commit_conflict';
  constructor(ruleId: string) {
    super(`rule ${ruleId} was evaluated concurrently; this evaluation is dropped`);
  }
}

/** Whether two sets of a rule's states are the same evaluations (status, since, time). */
export function sameAlertStates(a: readonly AlertState[], b: readonly AlertState[]): boolean {
  const key = (s: AlertState) =>
    `${s.group}\u0000${s.status}\u0000${s.sinceMs}\u0000${s.evaluatedAtMs}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** Filters of {@link AlertStateStore.history}. */
export interface AlertHistoryQuery {
  projectId: string;
  ruleId?: string;
  /** `[fromMs, toMs)` on the transition time. */
  fromMs?: number;
  toMs?: number;
  /** Only entries with `seq` below this (the previous page's last `seq`). */
  beforeSeq?: number;
  limit: number;
}

/**
 * Persistence of alert states and history. `commit` is atomic: a transition is recorded
 * together with its notification, or neither is (so a crash cannot lose or double one).
 */
export interface AlertStateStore {
  /** Stored states of a rule's groups. */
  load(ruleId: string): Promise<AlertState[]>;
  commit(commit: AlertCommit): Promise<void>;
  /** Current states of a project (for `GET /api/alerts`), optionally of some statuses. */
  current(projectId: string, statuses?: readonly AlertStatus[]): Promise<StoredAlertState[]>;
  /** Transitions, newest first (for `GET /api/alerts/history`). */
  history(query: AlertHistoryQuery): Promise<AlertHistoryEntry[]>;
  /** Forgets a deleted rule's states (its history is kept). */
  deleteRule(ruleId: string): Promise<void>;
}

/**
 * Rules managed through the API (`/api/alerts/rules`). Rules are stored as validated
 * JSON and validated again when read, so a rule written by an older version that no longer
 * validates is reported, not silently evaluated.
 */
export interface AlertRuleStore {
  /** Rules, by id; of one project when given. */
  listRules(projectId?: string): Promise<AlertRule[]>;
  getRule(id: string): Promise<AlertRule | null>;
  /** Creates or replaces a rule; resolves to whether it was created. */
  putRule(rule: AlertRule, nowMs: number): Promise<{ created: boolean }>;
  /** Deletes a rule and its states (history kept); resolves to whether it existed. */
  removeRule(id: string): Promise<boolean>;
}

/** Parses a stored rule. @throws {Error} naming the rule when it no longer validates. */
export function parseStoredRule(id: string, json: string): AlertRule {
  const r = alertRuleSchema.safeParse(JSON.parse(json));
  if (!r.success) {
    throw new Error(`stored alert rule ${id} is invalid: ${r.error.issues[0]?.message ?? ''}`);
  }
  return r.data;
}

interface StateRow {
  rule_id: string;
  grp: string;
  project_id: string;
  status: AlertStatus;
  severity: AlertState['severity'];
  since_ms: number;
  value: number | null;
  evaluated_at_ms: number | null;
  resolved_at_ms: number | null;
}

function toState(r: StateRow): StoredAlertState {
  return {
    ruleId: r.rule_id,
    group: r.grp,
    projectId: r.project_id,
    status: r.status,
    severity: r.severity,
    sinceMs: r.since_ms,
    value: r.value,
    evaluatedAtMs: r.evaluated_at_ms,
    resolvedAtMs: r.resolved_at_ms,
  };
}

/**
 * {@link AlertStateStore} on a better-sqlite3 handle, sharing the database (and the
 * transaction) with {@link SqliteOutboxStore}.
 *
 * @example
 * ```ts
 * const alerts = new SqliteAlertStore(db);
 * const outbox = new Outbox(alerts.outbox, { sinks });
 * ```
 */
export class SqliteAlertStore implements AlertStateStore, AlertRuleStore {
  /** The outbox in the same database, for the delivery worker. */
  readonly outbox: SqliteOutboxStore;
  private readonly upsert: Database.Statement;
  private readonly append: Database.Statement;
  private readonly byRule: Database.Statement;
  private readonly forget: Database.Statement;
  private readonly write: Database.Transaction<(c: AlertCommit) => void>;

  constructor(private readonly db: Database.Database) {
    db.exec(SQLITE_ALERT_STATE_DDL);
    this.outbox = new SqliteOutboxStore(db);
    this.upsert = db.prepare(
      `INSERT INTO alert_state (rule_id, grp, project_id, status, severity, since_ms, value,
         evaluated_at_ms, resolved_at_ms)
       VALUES (@ruleId, @group, @projectId, @status, @severity, @sinceMs, @value, @evaluatedAtMs,
         @resolvedAtMs)
       ON CONFLICT (rule_id, grp) DO UPDATE SET project_id = excluded.project_id,
         status = excluded.status, severity = excluded.severity, since_ms = excluded.since_ms,
         value = excluded.value, evaluated_at_ms = excluded.evaluated_at_ms,
         resolved_at_ms = excluded.resolved_at_ms`,
    );
    this.append = db.prepare(
      'INSERT INTO alert_history (project_id, rule_id, grp, at_ms, transition) VALUES (?, ?, ?, ?, ?)',
    );
    this.byRule = db.prepare('SELECT * FROM alert_state WHERE rule_id = ? ORDER BY grp');
    this.forget = db.prepare('DELETE FROM alert_state WHERE rule_id = ?');
    this.write = db.transaction((c: AlertCommit) => {
      if (c.basis !== undefined) {
        const stored = (this.byRule.all(c.basis.ruleId) as StateRow[]).map(toState);
        if (!sameAlertStates(stored, c.basis.states)) {
          throw new AlertCommitConflictError(c.basis.ruleId);
        }
      }
      for (const s of c.states) this.upsert.run({ ...s, projectId: c.projectId });
      for (const t of c.transitions) {
        this.append.run(c.projectId, t.ruleId, t.group, t.atMs, JSON.stringify(t));
      }
      this.outbox.enqueueSync(c.outbox);
    });
  }

  async load(ruleId: string): Promise<AlertState[]> {
    return (this.byRule.all(ruleId) as StateRow[]).map((r) => {
      const { projectId: _projectId, ...state } = toState(r);
      return state;
    });
  }

  async commit(commit: AlertCommit): Promise<void> {
    this.write.immediate(commit);
  }

  async current(projectId: string, statuses?: readonly AlertStatus[]): Promise<StoredAlertState[]> {
    const filter =
      statuses === undefined || statuses.length === 0
        ? ''
        : ` AND status IN (${statuses.map(() => '?').join(', ')})`;
    const rows = this.db
      .prepare(`SELECT * FROM alert_state WHERE project_id = ?${filter} ORDER BY rule_id, grp`)
      .all(projectId, ...(statuses ?? [])) as StateRow[];
    return rows.map(toState);
  }

  async history(query: AlertHistoryQuery): Promise<AlertHistoryEntry[]> {
    const where = ['project_id = ?'];
    const params: (string | number)[] = [query.projectId];
    if (query.ruleId !== undefined) {
      where.push('rule_id = ?');
      params.push(query.ruleId);
    }
    if (query.fromMs !== undefined) {
      where.push('at_ms >= ?');
      params.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push('at_ms < ?');
      params.push(query.toMs);
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    const rows = this.db
      .prepare(
        `SELECT seq, project_id, transition FROM alert_history WHERE ${where.join(' AND ')}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...params, query.limit) as { seq: number; project_id: string; transition: string }[];
    return rows.map((r) => ({
      seq: r.seq,
      projectId: r.project_id,
      transition: JSON.parse(r.transition) as Transition,
    }));
  }

  async deleteRule(ruleId: string): Promise<void> {
    this.forget.run(ruleId);
  }

  async listRules(projectId?: string): Promise<AlertRule[]> {
    const rows = (
      projectId === undefined
        ? this.db.prepare('SELECT id, rule FROM alert_rule ORDER BY id').all()
        : this.db
            .prepare('SELECT id, rule FROM alert_rule WHERE project_id = ? ORDER BY id')
            .all(projectId)
    ) as { id: string; rule: string }[];
    return rows.map((r) => parseStoredRule(r.id, r.rule));
  }

  async getRule(id: string): Promise<AlertRule | null> {
    const row = this.db.prepare('SELECT rule FROM alert_rule WHERE id = ?').get(id) as
      | { rule: string }
      | undefined;
    return row === undefined ? null : parseStoredRule(id, row.rule);
  }

  async putRule(rule: AlertRule, nowMs: number): Promise<{ created: boolean }> {
    const put = this.db.transaction(() => {
      const existed = this.db.prepare('SELECT 1 FROM alert_rule WHERE id = ?').get(rule.id);
      this.db
        .prepare(
          `INSERT INTO alert_rule (id, project_id, rule, created_at_ms, updated_at_ms)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, rule = excluded.rule,
             updated_at_ms = excluded.updated_at_ms`,
        )
        .run(rule.id, rule.projectId, JSON.stringify(rule), nowMs, nowMs);
      return { created: existed === undefined };
    });
    return put.immediate();
  }

  async removeRule(id: string): Promise<boolean> {
    const remove = this.db.transaction(() => {
      this.forget.run(id);
      return this.db.prepare('DELETE FROM alert_rule WHERE id = ?').run(id).changes === 1;
    });
    return remove.immediate();
  }
}
