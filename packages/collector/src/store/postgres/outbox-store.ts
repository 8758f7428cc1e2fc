import type pg from 'pg';
import type {
  NewOutboxEntry,
  OutboxEntry,
  OutboxStatus,
  OutboxStore,
} from '../../alerts/outbox.js';
import { toStoreError } from './errors.js';

interface Row {
  id: string;
  notification_id: string;
  sink: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  created_at_ms: string;
  next_attempt_at_ms: string;
  last_error: string | null;
  delivered_at_ms: string | null;
}

function toEntry(r: Row): OutboxEntry {
  return {
    id: r.id,
    notificationId: r.notification_id,
    sink: r.sink,
    payload: r.payload,
    status: r.status,
    attempts: r.attempts,
    createdAtMs: Number(r.created_at_ms),
    nextAttemptAtMs: Number(r.next_attempt_at_ms),
    lastError: r.last_error,
    deliveredAtMs: r.delivered_at_ms === null ? null : Number(r.delivered_at_ms),
  };
}

// A mark applies only while `owner` still holds the lease of a pending entry.
const MARK_WHERE = `WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`;

/**
 * {@link OutboxStore} on PostgreSQL, sharing the span store's pool and schema (the
 * `alert_outbox` table is migration 2 of the PostgreSQL store). Several replicas can
 * deliver from one outbox: a claim leases rows with `FOR UPDATE SKIP LOCKED`, so two
 * replicas never lease the same entry, and an entry whose worker died is claimed again
 * once its lease expires. Transient database failures reject with
 * `PostgresUnavailableError`.
 *
 * @example
 * const spans = await openPostgresStore({ connectionString });
 * const outbox = new Outbox(new PostgresOutboxStore(spans.pool), { sinks, owner: replicaId });
 */
export class PostgresOutboxStore implements OutboxStore {
  constructor(private readonly pool: pg.Pool) {}

  private async query<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>({ name: `pilotlight_outbox_${name}`, text, values });
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const res = await this.query(
      'enqueue',
      `INSERT INTO alert_outbox (id, notification_id, sink, payload, created_at_ms, next_attempt_at_ms)
       SELECT id, notification_id, sink, payload, created_at_ms, created_at_ms
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
           AS t(id, notification_id, sink, payload, created_at_ms)
       ON CONFLICT (id) DO NOTHING`,
      [
        entries.map((e) => e.id),
        entries.map((e) => e.notificationId),
        entries.map((e) => e.sink),
        entries.map((e) => e.payload),
        entries.map((e) => String(e.createdAtMs)),
      ],
    );
    return res.rowCount ?? 0;
  }

  async claimDue(
    nowMs: number,
    limit: number,
    owner: string,
    leaseUntilMs: number,
  ): Promise<OutboxEntry[]> {
    const res = await this.query<Row>(
      'claim',
      `UPDATE alert_outbox o SET lease_owner = $3, lease_until_ms = $4
         FROM (SELECT id FROM alert_outbox
                WHERE status = 'pending' AND next_attempt_at_ms <= $1
                  AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
                ORDER BY next_attempt_at_ms, created_at_ms, id
                LIMIT $2
                FOR UPDATE SKIP LOCKED) due
        WHERE o.id = due.id
        RETURNING o.*`,
      [String(nowMs), limit, owner, String(leaseUntilMs)],
    );
    // RETURNING has no order: restore the claim order (oldest due first).
    return res.rows
      .map(toEntry)
      .sort(
        (a, b) =>
          a.nextAttemptAtMs - b.nextAttemptAtMs ||
          a.createdAtMs - b.createdAtMs ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
  }

  async markDelivered(
    id: string,
    owner: string,
    attempts: number,
    nowMs: number,
  ): Promise<boolean> {
    const res = await this.query(
      'delivered',
      `UPDATE alert_outbox SET status = 'delivered', attempts = $3, delivered_at_ms = $4,
         last_error = NULL, lease_owner = NULL, lease_until_ms = NULL ${MARK_WHERE}`,
      [id, owner, attempts, String(nowMs)],
    );
    return res.rowCount === 1;
  }

  async markRetry(
    id: string,
    owner: string,
    attempts: number,
    nextAttemptAtMs: number,
    error: string,
  ): Promise<boolean> {
    const res = await this.query(
      'retry',
      `UPDATE alert_outbox SET attempts = $3, next_attempt_at_ms = $4, last_error = $5,
         lease_owner = NULL, lease_until_ms = NULL ${MARK_WHERE}`,
      [id, owner, attempts, String(nextAttemptAtMs), error],
    );
    return res.rowCount === 1;
  }

  async markFailed(id: string, owner: string, attempts: number, error: string): Promise<boolean> {
    const res = await this.query(
      'failed',
      `UPDATE alert_outbox SET status = 'failed', attempts = $3, last_error = $4,
         lease_owner = NULL, lease_until_ms = NULL ${MARK_WHERE}`,
      [id, owner, attempts, error],
    );
    return res.rowCount === 1;
  }

  async get(id: string): Promise<OutboxEntry | null> {
    const res = await this.query<Row>('get', 'SELECT * FROM alert_outbox WHERE id = $1', [id]);
    const row = res.rows[0];
    return row === undefined ? null : toEntry(row);
  }

  async list(options: { status?: OutboxStatus; limit?: number } = {}): Promise<OutboxEntry[]> {
    const res = await this.query<Row>(
      'list',
      `SELECT * FROM alert_outbox WHERE ($1::text IS NULL OR status = $1)
        ORDER BY created_at_ms DESC, id LIMIT $2`,
      [options.status ?? null, options.limit ?? 100],
    );
    return res.rows.map(toEntry);
  }
}
