import { StoreUnavailableError } from '../../errors.js';

/** Why the store could not serve a request. */
export type StoreUnavailableReason = 'unreachable' | 'overloaded';

/**
 * PostgreSQL cannot serve the request right now, but may later: the database is
 * down, unreachable, restarting, or overloaded (`reason`). It is the collector's
 * {@link StoreUnavailableError}, so the HTTP layer answers 503 with `Retry-After`.
 * Nothing was necessarily written; inserts are idempotent, so a client may simply
 * resend.
 */
export class PostgresUnavailableError extends StoreUnavailableError {
  constructor(
    readonly reason: StoreUnavailableReason,
    message: string,
    cause: unknown,
  ) {
    super(cause);
    this.message = message;
  }
}

// SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const OVERLOADED_SQLSTATES = new Set([
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const UNREACHABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, smart/fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '57P05', // idle_session_timeout
  '25006', // read_only_sql_transaction (a demoted primary after fail-over)
]);
const UNREACHABLE_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Classifies a driver error: `unreachable` and `overloaded` are transient (the
 * caller should answer 503), `null` means any other error (a bug or bad data).
 */
export function classifyPostgresError(error: unknown): StoreUnavailableReason | null {
  const code = field(error, 'code');
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_NET_CODES.has(code))
      return 'unreachable';
    if (OVERLOADED_SQLSTATES.has(code)) return 'overloaded';
  }
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a lost socket and a pool wait timeout by message only.
  if (
    /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  ) {
    return 'unreachable';
  }
  if (/timeout exceeded when trying to connect/i.test(message)) return 'overloaded';
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const reason = classifyPostgresError(inner);
      if (reason !== null) return reason;
    }
  }
  return null;
}

/** Whether a query failed because its connection was lost (so a retry on a fresh connection may succeed). */
export function isConnectionLost(error: unknown): boolean {
  const code = field(error, 'code');
  if (code === 'ECONNREFUSED') return false;
  if (
    typeof code === 'string' &&
    (code.startsWith('08') || code === '57P01' || code === 'ECONNRESET' || code === 'EPIPE')
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** Wraps transient driver errors in {@link PostgresUnavailableError}; returns any other error unchanged. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof PostgresUnavailableError) return error;
  const reason = classifyPostgresError(error);
  if (reason === null) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new PostgresUnavailableError(reason, `PostgreSQL is ${reason}: ${detail}`, error);
}
