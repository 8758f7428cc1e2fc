import type pg from 'pg';
import { toStoreError } from '../store/postgres/errors.js';
import {
  type NewOutboxEntry,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStatus,
  type OutboxStore,
  outboxEntryFromRow,
} from './outbox.js';

/** Lock key serialising the outbox DDL when several replicas start at once. */
const DDL_LOCK_KEY = 'pilotlight.alert_outbox.ddl';

/** Schema of the outbox in PostgreSQL (`{{t}}` is the qualified table name). */
const DDL = `
CREATE TABLE IF NOT EXISTS {{t}} (
  id                 TEXT PRIMARY KEY,
  notification_id    TEXT NOT NULL,
  sink               TEXT NOT NULL,
  payload            TEXT NOT NULL,
  status             TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  created_at_ms      BIGINT NOT NULL,
  next_attempt_at_ms BIGINT NOT NULL,
  lease_owner        TEXT,
  lease_until_ms     BIGINT,
  last_error         TEXT,
  delivered_at_ms    BIGINT
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON {{t}} (next_attempt_at_ms) WHERE status = 'pending';
`;

/** Options of {@link PostgresOutboxStore.open}. */
export interface PostgresOutboxStoreOptions {
  /** Schema holding the table (created if missing); `public` by default. */
  schema?: string;
}

/**
 * {@link OutboxStore} in PostgreSQL, for several collectors sharing one database: claims
 * use `FOR UPDATE SKIP LOCKED`, so concurrent workers never lease the same entry and never
 * wait on each other; an entry whose worker died is retried once its lease expires (with
 * the same idempotency key). Writes are committed before they resolve.
 *
 * @example
 * ```ts
 * const store = await PostgresOutboxStore.open(pool, { schema: 'pilotlight' });
 * const outbox = new Outbox(store, { sinks, owner: replicaId });
 * ```
 */
export class PostgresOutboxStore implements OutboxStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly table: string,
  ) {}

  /** Creates the table if needed (serialised by an advisory lock) and returns the store. */
  static async open(
    pool: pg.Pool,
    options: PostgresOutboxStoreOptions = {},
  ): Promise<PostgresOutboxStore> {
    const schema = options.schema ?? 'public';
    const quoted = `"${schema.replace(/"/g, '""')}"`;
    const table = `${quoted}.alert_outbox`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_KEY]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await client.query(DDL.replaceAll('{{t}}', table));
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return new PostgresOutboxStore(pool, table);
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

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<number> {
    try {
      return await this.enqueueOn(this.pool, entries);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * {@link enqueue} on a given connection: for callers inside their own transaction
   * (the alert store commits states, history and notifications together).
   */
  async enqueueOn(
    client: pg.Pool | pg.PoolClient,
    entries: readonly NewOutboxEntry[],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    const values: unknown[] = [];
    const tuples = entries.map((e, i) => {
      values.push(e.id, e.notificationId, e.sink, e.payload, e.createdAtMs);
      const b = i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 5})`;
    });
    const r = await client.query(
      `INSERT INTO ${this.table}
         (id, notification_id, sink, payload, created_at_ms, next_attempt_at_ms)
       VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
      values,
    );
    return r.rowCount ?? 0;
  }

  async claimDue(
    nowMs: number,
    limit: number,
    owner: string,
    leaseUntilMs: number,
  ): Promise<OutboxEntry[]> {
    const r = await this.query<OutboxRow>(
      `UPDATE ${this.table} SET lease_owner = $3, lease_until_ms = $4
       WHERE id IN (
         SELECT id FROM ${this.table}
         WHERE status = 'pending' AND next_attempt_at_ms <= $1
           AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
         ORDER BY next_attempt_at_ms, created_at_ms, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [nowMs, limit, owner, leaseUntilMs],
    );
    return r.rows
      .map(outboxEntryFromRow)
      .sort(
        (a, b) =>
          a.nextAttemptAtMs - b.nextAttemptAtMs ||
          a.createdAtMs - b.createdAtMs ||
          (a.id < b.id ? -1 : 1),
      );
  }

  async markDelivered(
    id: string,
    owner: string,
    attempts: number,
    nowMs: number,
  ): Promise<boolean> {
    const r = await this.query(
      `UPDATE ${this.table} SET status = 'delivered', attempts = $1, delivered_at_ms = $2,
         last_error = NULL, lease_owner = NULL, lease_until_ms = NULL
       WHERE id = $3 AND lease_owner = $4 AND status = 'pending'`,
      [attempts, nowMs, id, owner],
    );
    return r.rowCount === 1;
  }

  async markRetry(
    id: string,
    owner: string,
    attempts: number,
    nextAttemptAtMs: number,
    error: string,
  ): Promise<boolean> {
    const r = await this.query(
      `UPDATE ${this.table} SET attempts = $1, next_attempt_at_ms = $2, last_error = $3,
         lease_owner = NULL, lease_until_ms = NULL
       WHERE id = $4 AND lease_owner = $5 AND status = 'pending'`,
      [attempts, nextAttemptAtMs, error, id, owner],
    );
    return r.rowCount === 1;
  }

  async markFailed(id: string, owner: string, attempts: number, error: string): Promise<boolean> {
    const r = await this.query(
      `UPDATE ${this.table} SET status = 'failed', attempts = $1, last_error = $2,
         lease_owner = NULL, lease_until_ms = NULL
       WHERE id = $3 AND lease_owner = $4 AND status = 'pending'`,
      [attempts, error, id, owner],
    );
    return r.rowCount === 1;
  }

  async get(id: string): Promise<OutboxEntry | null> {
    const r = await this.query<OutboxRow>(`SELECT * FROM ${this.table} WHERE id = $1`, [id]);
    const row = r.rows[0];
    return row === undefined ? null : outboxEntryFromRow(row);
  }

  async list(options: { status?: OutboxStatus; limit?: number } = {}): Promise<OutboxEntry[]> {
    const limit = options.limit ?? 100;
    const r =
      options.status === undefined
        ? await this.query<OutboxRow>(
            `SELECT * FROM ${this.table} ORDER BY created_at_ms DESC, id LIMIT $1`,
            [limit],
          )
        : await this.query<OutboxRow>(
            `SELECT * FROM ${this.table} WHERE status = $1 ORDER BY created_at_ms DESC, id LIMIT $2`,
            [options.status, limit],
          );
    return r.rows.map(outboxEntryFromRow);
  }
}
