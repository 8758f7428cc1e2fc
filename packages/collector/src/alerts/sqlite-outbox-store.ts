import type Database from 'better-sqlite3';
import {
  type NewOutboxEntry,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStatus,
  type OutboxStore,
  outboxEntryFromRow,
} from './outbox.js';

/**
 * Schema of the outbox in SQLite. Idempotent (`IF NOT EXISTS`), so it can run at every
 * start; the collector's migration runner may take it over as a numbered migration.
 */
export const SQLITE_OUTBOX_DDL = `
CREATE TABLE IF NOT EXISTS alert_outbox (
  id                 TEXT PRIMARY KEY,
  notification_id    TEXT NOT NULL,
  sink               TEXT NOT NULL,
  payload            TEXT NOT NULL,
  status             TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  created_at_ms      INTEGER NOT NULL,
  next_attempt_at_ms INTEGER NOT NULL,
  lease_owner        TEXT,
  lease_until_ms     INTEGER,
  last_error         TEXT,
  delivered_at_ms    INTEGER
);
CREATE INDEX IF NOT EXISTS alert_outbox_due
  ON alert_outbox (next_attempt_at_ms) WHERE status = 'pending';
`;

/**
 * {@link OutboxStore} on a better-sqlite3 handle (the collector's database, in WAL mode
 * with `synchronous = FULL`, so an enqueued entry survives a crash). Creates its table on
 * construction. Claims run in one immediate transaction, so two processes sharing the
 * file never lease the same entry.
 *
 * @example
 * ```ts
 * const store = new SqliteOutboxStore(new Database('pilotlight.db'));
 * ```
 */
export class SqliteOutboxStore implements OutboxStore {
  private readonly insert: Database.Statement;
  private readonly selectDue: Database.Statement;
  private readonly lease: Database.Statement;
  private readonly delivered: Database.Statement;
  private readonly retry: Database.Statement;
  private readonly failed: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly claim: Database.Transaction<
    (nowMs: number, limit: number, owner: string, until: number) => OutboxRow[]
  >;
  private readonly insertMany: (entries: readonly NewOutboxEntry[]) => number;

  constructor(private readonly db: Database.Database) {
    db.exec(SQLITE_OUTBOX_DDL);
    this.insert = db.prepare(
      `INSERT INTO alert_outbox (id, notification_id, sink, payload, created_at_ms, next_attempt_at_ms)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.selectDue = db.prepare(
      `SELECT * FROM alert_outbox
       WHERE status = 'pending' AND next_attempt_at_ms <= ?
         AND (lease_until_ms IS NULL OR lease_until_ms <= ?)
       ORDER BY next_attempt_at_ms, created_at_ms, id LIMIT ?`,
    );
    this.lease = db.prepare(
      'UPDATE alert_outbox SET lease_owner = ?, lease_until_ms = ? WHERE id = ?',
    );
    this.delivered = db.prepare(
      `UPDATE alert_outbox SET status = 'delivered', attempts = ?, delivered_at_ms = ?,
         last_error = NULL, lease_owner = NULL, lease_until_ms = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    );
    this.retry = db.prepare(
      `UPDATE alert_outbox SET attempts = ?, next_attempt_at_ms = ?, last_error = ?,
         lease_owner = NULL, lease_until_ms = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    );
    this.failed = db.prepare(
      `UPDATE alert_outbox SET status = 'failed', attempts = ?, last_error = ?,
         lease_owner = NULL, lease_until_ms = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    );
    this.byId = db.prepare('SELECT * FROM alert_outbox WHERE id = ?');
    this.claim = db.transaction((nowMs: number, limit: number, owner: string, until: number) => {
      const rows = this.selectDue.all(nowMs, nowMs, limit) as OutboxRow[];
      for (const r of rows) this.lease.run(owner, until, r.id);
      return rows;
    });
    this.insertMany = db.transaction((entries: readonly NewOutboxEntry[]) => {
      let added = 0;
      for (const e of entries) {
        added += this.insert.run(
          e.id,
          e.notificationId,
          e.sink,
          e.payload,
          e.createdAtMs,
          e.createdAtMs,
        ).changes;
      }
      return added;
    });
  }

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<number> {
    return this.insertMany(entries);
  }

  /**
   * {@link enqueue}, synchronously: for callers inside their own better-sqlite3
   * transaction on the same handle (it nests as a savepoint).
   */
  enqueueSync(entries: readonly NewOutboxEntry[]): number {
    return this.insertMany(entries);
  }

  async claimDue(
    nowMs: number,
    limit: number,
    owner: string,
    leaseUntilMs: number,
  ): Promise<OutboxEntry[]> {
    return this.claim.immediate(nowMs, limit, owner, leaseUntilMs).map(outboxEntryFromRow);
  }

  async markDelivered(
    id: string,
    owner: string,
    attempts: number,
    nowMs: number,
  ): Promise<boolean> {
    return this.delivered.run(attempts, nowMs, id, owner).changes === 1;
  }

  async markRetry(
    id: string,
    owner: string,
    attempts: number,
    nextAttemptAtMs: number,
    error: string,
  ): Promise<boolean> {
    return this.retry.run(attempts, nextAttemptAtMs, error, id, owner).changes === 1;
  }

  async markFailed(id: string, owner: string, attempts: number, error: string): Promise<boolean> {
    return this.failed.run(attempts, error, id, owner).changes === 1;
  }

  async get(id: string): Promise<OutboxEntry | null> {
    const row = this.byId.get(id) as OutboxRow | undefined;
    return row === undefined ? null : outboxEntryFromRow(row);
  }

  async list(options: { status?: OutboxStatus; limit?: number } = {}): Promise<OutboxEntry[]> {
    const limit = options.limit ?? 100;
    const rows = (
      options.status === undefined
        ? this.db
            .prepare('SELECT * FROM alert_outbox ORDER BY created_at_ms DESC, id LIMIT ?')
            .all(limit)
        : this.db
            .prepare(
              'SELECT * FROM alert_outbox WHERE status = ? ORDER BY created_at_ms DESC, id LIMIT ?',
            )
            .all(options.status, limit)
    ) as OutboxRow[];
    return rows.map(outboxEntryFromRow);
  }
}
