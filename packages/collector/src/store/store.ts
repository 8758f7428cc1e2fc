import type { CallRecord, CallStatus } from '@pilotlight/conventions';

/** Filters and page of a span listing, all optional but the project. */
export interface SpanQuery {
  traceId?: string;
  model?: string;
  status?: CallStatus;
  /** Inclusive lower bound on span start, Unix nanoseconds. */
  fromUnixNano?: bigint;
  /** Exclusive upper bound on span start, Unix nanoseconds. */
  toUnixNano?: bigint;
  /** Page size. */
  limit: number;
  /** Continue after this position (from a previous page's `nextCursor`). */
  after?: SpanCursor;
}

/**
 * A position in the listing order (span start descending, then store sequence
 * descending): a unique total order, so keyset pagination neither skips nor
 * repeats rows while new spans arrive.
 */
export interface SpanCursor {
  startTimeUnixNano: bigint;
  /** The store's own insertion sequence number: unique, breaks ties. */
  seq: number;
}

/** One page of spans, newest first. */
export interface SpanPage {
  data: CallRecord[];
  /** Where the next page starts, or null when this is the last page. */
  next: SpanCursor | null;
}

/** What an insert did. */
export interface InsertResult {
  /** Spans newly stored. */
  inserted: number;
  /** Spans already stored under the same (project, trace id, span id), left unchanged. */
  duplicates: number;
}

/**
 * Where call records live. Every method is async so that engines with network or
 * worker-thread I/O (PostgreSQL, a writer thread) implement the same contract.
 * Every read and write is scoped to one project.
 */
export interface SpanStore {
  /**
   * Stores records atomically (all or none) and resolves only once they are
   * durably committed. A record whose (project, trace id, span id) is already
   * stored is skipped, so resending a batch is harmless.
   */
  insertCalls(projectId: string, records: readonly CallRecord[]): Promise<InsertResult>;
  /** Spans matching `query`, newest first. */
  listCalls(projectId: string, query: SpanQuery): Promise<SpanPage>;
  /** Every span of a trace, oldest first; empty when the trace is unknown. */
  getTrace(projectId: string, traceId: string): Promise<CallRecord[]>;
  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the store; idempotent. */
  close(): Promise<void>;
}
