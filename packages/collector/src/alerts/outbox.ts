/**
 * The durable notification outbox. A notification is written to the store (one entry per
 * sink) before any attempt to send it; a worker then claims due entries, sends them, and
 * records the outcome: delivered (once), retried later with backoff (receiver down, 5xx,
 * 429, timeout), or failed (4xx, refused target, too many attempts). Because the entry and
 * its idempotency key are stored, a restart resumes where it stopped and the receiver sees
 * the same key on every attempt.
 *
 * Several workers (replicas) may share one store: `claimDue` leases entries, so an entry is
 * attempted by one worker at a time; a worker that dies mid-send loses its lease and the
 * entry is retried (with the same idempotency key, so receivers can drop the duplicate).
 */
import type { AlertNotification } from './notification.js';
import type { AlertSink, DeliveryOutcome } from './sinks/types.js';

/** First retry delay; each further attempt doubles it (with jitter). */
export const DEFAULT_BASE_DELAY_MS = 1_000;
/** Longest delay between two attempts. */
export const DEFAULT_MAX_DELAY_MS = 5 * 60_000;
/** Attempts before an entry is given up as failed. */
export const DEFAULT_MAX_ATTEMPTS = 50;
/** Age after which an undelivered entry is given up as failed: a day-old page is noise. */
export const DEFAULT_MAX_AGE_MS = 24 * 3_600_000;
/** How long a claimed entry is reserved for its worker; must exceed the sink timeout. */
export const DEFAULT_LEASE_MS = 60_000;
/** Entries claimed per `deliverDue` call. */
export const DEFAULT_BATCH_SIZE = 50;
/** Entries sent at once within a batch. */
export const DEFAULT_CONCURRENCY = 4;
/** Longest `Retry-After` honoured. */
const MAX_RETRY_AFTER_MS = 3_600_000;

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** An entry to store: one notification for one sink. */
export interface NewOutboxEntry {
  /** `<notification id>/<sink name>`: unique per notification and sink. */
  id: string;
  /** The notification's id, sent as `Idempotency-Key`. */
  notificationId: string;
  sink: string;
  /** The notification as JSON, stored once so every attempt sends the same bytes. */
  payload: string;
  createdAtMs: number;
}

/** A stored entry. */
export interface OutboxEntry extends NewOutboxEntry {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAtMs: number;
  lastError: string | null;
  deliveredAtMs: number | null;
}

/**
 * An `alert_outbox` row as either engine returns it (PostgreSQL hands BIGINT columns back
 * as strings, SQLite as numbers).
 */
export interface OutboxRow {
  id: string;
  notification_id: string;
  sink: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  created_at_ms: number | string;
  next_attempt_at_ms: number | string;
  last_error: string | null;
  delivered_at_ms: number | string | null;
}

/** The entry a stored row holds, on either engine. */
export function outboxEntryFromRow(r: OutboxRow): OutboxEntry {
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

/**
 * Persistence of the outbox. `enqueue` must be durable when it resolves; `mark*` apply
 * only while `owner` holds the entry's lease (so a worker whose lease expired cannot
 * overwrite the outcome of the worker that took over) and return whether they applied.
 */
export interface OutboxStore {
  /** Stores entries; an id already stored is left unchanged. Resolves to the number added. */
  enqueue(entries: readonly NewOutboxEntry[]): Promise<number>;
  /**
   * Leases up to `limit` pending entries due at `nowMs` (oldest due first) whose lease is
   * free or expired, to `owner` until `leaseUntilMs`.
   */
  claimDue(
    nowMs: number,
    limit: number,
    owner: string,
    leaseUntilMs: number,
  ): Promise<OutboxEntry[]>;
  markDelivered(id: string, owner: string, attempts: number, nowMs: number): Promise<boolean>;
  markRetry(
    id: string,
    owner: string,
    attempts: number,
    nextAttemptAtMs: number,
    error: string,
  ): Promise<boolean>;
  markFailed(id: string, owner: string, attempts: number, error: string): Promise<boolean>;
  get(id: string): Promise<OutboxEntry | null>;
  /** Entries, newest first, optionally of one status. */
  list(options?: { status?: OutboxStatus; limit?: number }): Promise<OutboxEntry[]>;
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  /** Sinks by name (resolved at each attempt, so a reloaded config applies). */
  sinks: ReadonlyMap<string, AlertSink> | ((name: string) => AlertSink | undefined);
  /** Clock, Unix ms; `Date.now` by default. */
  now?: () => number;
  /** Uniform [0, 1) for backoff jitter; `Math.random` by default. */
  random?: () => number;
  /** This worker's name in leases (e.g. a replica id). */
  owner?: string;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  maxAgeMs?: number;
  leaseMs?: number;
  batchSize?: number;
  concurrency?: number;
}

/** What one {@link Outbox.deliverDue} call did. */
export interface DeliveryReport {
  attempted: number;
  delivered: number;
  retried: number;
  failed: number;
}

/** The entry id of a notification for a sink. */
export function outboxEntryId(notificationId: string, sink: string): string {
  return `${notificationId}/${sink}`;
}

/** The entries of `notification` for each of `sinks` (what {@link Outbox.enqueue} stores). */
export function outboxEntriesFor(
  notification: AlertNotification,
  sinks: readonly string[],
  createdAtMs: number,
): NewOutboxEntry[] {
  const payload = JSON.stringify(notification);
  return sinks.map((sink) => ({
    id: outboxEntryId(notification.id, sink),
    notificationId: notification.id,
    sink,
    payload,
    createdAtMs,
  }));
}

/**
 * Delay before attempt `attempts + 1` after `attempts` failed ones: exponential from
 * `baseDelayMs`, capped at `maxDelayMs`, with "equal jitter" (half fixed, half random) so
 * that retries of many entries spread out but never come sooner than half the step.
 */
export function backoffDelayMs(
  attempts: number,
  random: number,
  baseDelayMs = DEFAULT_BASE_DELAY_MS,
  maxDelayMs = DEFAULT_MAX_DELAY_MS,
): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(step / 2 + (step / 2) * random);
}

/**
 * Stores notifications before sending them and delivers them with retries.
 *
 * @example
 * ```ts
 * const outbox = new Outbox(new SqliteOutboxStore(db), { sinks: createSinks(config) });
 * await outbox.enqueue(buildNotification(rule, transition), rule.sinks); // durable now
 * await outbox.deliverDue(); // from the job scheduler, every few seconds
 * ```
 */
export class Outbox {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly owner: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;
  private readonly maxAgeMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly sinkOf: (name: string) => AlertSink | undefined;

  constructor(
    private readonly store: OutboxStore,
    options: OutboxOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.owner = options.owner ?? `pid-${process.pid}`;
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    const sinks = options.sinks;
    this.sinkOf = typeof sinks === 'function' ? sinks : (name) => sinks.get(name);
  }

  /**
   * Stores `notification` for each sink; durable when it resolves. Enqueueing the same
   * notification again (same id) adds nothing. Resolves to the number of entries added.
   */
  enqueue(notification: AlertNotification, sinks: readonly string[]): Promise<number> {
    return this.store.enqueue(outboxEntriesFor(notification, sinks, this.now()));
  }

  /** Claims due entries and attempts each once; call it on a schedule. */
  async deliverDue(): Promise<DeliveryReport> {
    const nowMs = this.now();
    const entries = await this.store.claimDue(
      nowMs,
      this.batchSize,
      this.owner,
      nowMs + this.leaseMs,
    );
    const report: DeliveryReport = { attempted: 0, delivered: 0, retried: 0, failed: 0 };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        const result = await this.attempt(entry);
        report.attempted++;
        report[result]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, entries.length) }, worker));
    return report;
  }

  private async attempt(entry: OutboxEntry): Promise<'delivered' | 'retried' | 'failed'> {
    const attempts = entry.attempts + 1;
    const sink = this.sinkOf(entry.sink);
    let outcome: DeliveryOutcome;
    if (sink === undefined) {
      outcome = { status: 'failure', reason: `sink "${entry.sink}" is not configured` };
    } else {
      let notification: AlertNotification;
      try {
        notification = JSON.parse(entry.payload) as AlertNotification;
      } catch {
        await this.store.markFailed(entry.id, this.owner, attempts, 'stored payload is not JSON');
        return 'failed';
      }
      try {
        outcome = await sink.send(notification, {
          idempotencyKey: entry.notificationId,
          attempt: attempts,
        });
      } catch (err) {
        // Sinks should not throw; if one does, treat it as transient.
        outcome = { status: 'retryable', reason: `sink threw: ${String(err)}` };
      }
    }
    const nowMs = this.now();
    if (outcome.status === 'success') {
      await this.store.markDelivered(entry.id, this.owner, attempts, nowMs);
      return 'delivered';
    }
    if (outcome.status === 'failure') {
      await this.store.markFailed(entry.id, this.owner, attempts, outcome.reason);
      return 'failed';
    }
    const delay = Math.max(
      backoffDelayMs(attempts, this.random(), this.baseDelayMs, this.maxDelayMs),
      Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS),
    );
    const nextAttemptAtMs = nowMs + delay;
    if (attempts >= this.maxAttempts || nextAttemptAtMs - entry.createdAtMs > this.maxAgeMs) {
      await this.store.markFailed(
        entry.id,
        this.owner,
        attempts,
        `gave up after ${attempts} attempts: ${outcome.reason}`,
      );
      return 'failed';
    }
    await this.store.markRetry(entry.id, this.owner, attempts, nextAttemptAtMs, outcome.reason);
    return 'retried';
  }
}
