import type { CallRecord, CallStatus } from '@pilotlight/conventions';
import type { StoredRollupRow } from '../rollups/rollup.js';
import type { RollupRange, SummaryFilter } from '../rollups/summary.js';

/** Filters and page of a span listing, all optional but the project. */
export interface SpanQuery {
  traceId?: string;
  model?: string;
  /** Exact `service.name` of the emitting resource. */
  service?: string;
  /** Exact provider (`openai`, `anthropic`, …). */
  provider?: string;
  /** Exact GenAI operation (`chat`, `embeddings`, …). */
  operation?: string;
  status?: CallStatus;
  /** Inclusive lower bound on the call's duration (`durationMs`). */
  minLatencyMs?: number;
  /** Inclusive upper bound on the call's duration (`durationMs`). */
  maxLatencyMs?: number;
  /** Inclusive lower bound on time to first token; calls without one never match. */
  minTtftMs?: number;
  /** Inclusive upper bound on time to first token; calls without one never match. */
  maxTtftMs?: number;
  /**
   * Inclusive lower bound on input + output tokens (a missing side counts as 0); calls
   * with neither never match.
   */
  minTokens?: number;
  /** Inclusive upper bound on input + output tokens, as for `minTokens`. */
  maxTokens?: number;
  /** Inclusive lower bound on `costUsd`; calls without a cost never match. */
  minCostUsd?: number;
  /** Inclusive upper bound on `costUsd`; calls without a cost never match. */
  maxCostUsd?: number;
  /** Inclusive lower bound on `confidence` (0–1); calls without one never match. */
  minConfidence?: number;
  /** Inclusive upper bound on `confidence` (0–1); calls without one never match. */
  maxConfidence?: number;
  /** Inclusive lower bound on span start, Unix nanoseconds. */
  fromUnixNano?: bigint;
  /** Exclusive upper bound on span start, Unix nanoseconds. */
  toUnixNano?: bigint;
  /** Page size. */
  limit: number;
  /** Continue after this position (from a previous page's `nextCursor`). */
  after?: SpanCursor;
}

/** The numeric range filters of a span listing, each an inclusive bound. */
export type SpanRangeKey =
  | 'minLatencyMs'
  | 'maxLatencyMs'
  | 'minTtftMs'
  | 'maxTtftMs'
  | 'minTokens'
  | 'maxTokens'
  | 'minCostUsd'
  | 'maxCostUsd'
  | 'minConfidence'
  | 'maxConfidence';

/**
 * Each range filter with the call measure it bounds and its direction; the stores map
 * the measure to their own SQL expression.
 */
export const SPAN_RANGE_FILTERS: readonly {
  key: SpanRangeKey;
  measure: 'latency' | 'ttft' | 'tokens' | 'cost' | 'confidence';
  op: '>=' | '<=';
}[] = [
  { key: 'minLatencyMs', measure: 'latency', op: '>=' },
  { key: 'maxLatencyMs', measure: 'latency', op: '<=' },
  { key: 'minTtftMs', measure: 'ttft', op: '>=' },
  { key: 'maxTtftMs', measure: 'ttft', op: '<=' },
  { key: 'minTokens', measure: 'tokens', op: '>=' },
  { key: 'maxTokens', measure: 'tokens', op: '<=' },
  { key: 'minCostUsd', measure: 'cost', op: '>=' },
  { key: 'maxCostUsd', measure: 'cost', op: '<=' },
  { key: 'minConfidence', measure: 'confidence', op: '>=' },
  { key: 'maxConfidence', measure: 'confidence', op: '<=' },
];

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

/** An {@link InsertResult} that also says which spans were new. */
export interface InsertDetail extends InsertResult {
  /**
   * Positions (in the records given) of the spans newly stored, ascending. Metrics count
   * only these, so a resent batch is not counted twice.
   */
  newIndexes: readonly number[];
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

/** The editable governance fields of a model in the inventory. */
export interface ModelMetadata {
  /** Who answers for the model in production (a person, team or channel). */
  owner: string | null;
  /** What the model is used for. */
  purpose: string | null;
  /** When it was last reviewed (ISO 8601 date or time). */
  reviewedAt: string | null;
  /** What happens when it fails (fallback, degraded mode, page someone…). */
  onFailure: string | null;
}

/** A model seen in a project, as kept at ingest, with its metadata. */
export interface StoredModel extends ModelMetadata {
  model: string;
  /** Provider of the latest call seen. */
  provider: string;
  /** Start of the earliest and latest call seen, Unix ms. */
  firstSeenMs: number;
  lastSeenMs: number;
}

/**
 * The read side that must not scan raw calls: rollup rows, the model inventory,
 * retention and size. A separate contract from {@link SpanStore} so that an engine can
 * gain it on its own (both engines have it).
 */
export interface ReadSideStore {
  /** {@link SpanStore.insertCalls}, also reporting which spans were new. */
  insertCallsDetailed(projectId: string, records: readonly CallRecord[]): Promise<InsertDetail>;
  /**
   * Stored rollup rows of one project within `ranges` (`bucket_sec = r.bucketSec AND
   * bucket_start_ms ∈ [r.fromMs, r.toMs)`), optionally filtered by exact dimensions.
   */
  readRollups(
    projectId: string,
    ranges: readonly RollupRange[],
    filter?: SummaryFilter,
  ): Promise<StoredRollupRow[]>;
  /** Every model seen in the project, by name. */
  listModels(projectId: string): Promise<StoredModel[]>;
  /**
   * Sets the given metadata fields (others unchanged) of a model seen in the project.
   * @returns the updated model, or null when the model was never seen.
   */
  updateModelMetadata(
    projectId: string,
    model: string,
    patch: Partial<ModelMetadata>,
  ): Promise<StoredModel | null>;
  /**
   * Deletes at most `limit` calls (of any project) that started before
   * `beforeUnixNano`, in one short transaction.
   * @returns how many were deleted (fewer than `limit`: nothing expired is left).
   */
  deleteCallsBefore(beforeUnixNano: bigint, limit: number): Promise<number>;
  /**
   * {@link deleteCallsBefore} for one project (a project's own, shorter retention).
   * @returns how many were deleted (fewer than `limit`: nothing expired is left).
   */
  deleteProjectCallsBefore(
    projectId: string,
    beforeUnixNano: bigint,
    limit: number,
  ): Promise<number>;
  /** Deletes at most `limit` rollup rows whose bucket starts before `beforeMs`. */
  deleteRollupsBefore(beforeMs: number, limit: number): Promise<number>;
  /** Bytes the store occupies (for the store-size gauge). */
  sizeBytes(): number;
}

/** Whether a store also implements the {@link ReadSideStore} contract. */
export function hasReadSide<T extends SpanStore>(store: T): store is T & ReadSideStore {
  const s = store as Partial<ReadSideStore>;
  return typeof s.readRollups === 'function' && typeof s.listModels === 'function';
}

/** One audited API request. */
export interface AuditEntry {
  /** Unix ms when the answer was complete. */
  atMs: number;
  /** Id of the API key used (never the key itself); null without key authentication. */
  keyId: string | null;
  method: string;
  /** Route pattern (`/api/traces/:traceId`). */
  route: string;
  /** The path as requested (holds path parameters such as the trace or model id). */
  path: string;
  /** Query parameters and path parameters as sent (a body's field names for changes). */
  filters: Record<string, string>;
  status: number;
  /** Records returned or changed; null when the answer is not a list of records. */
  records: number | null;
}

/** A stored {@link AuditEntry} with its position. */
export interface StoredAuditEntry extends AuditEntry {
  seq: number;
}

/** Filters and page of an audit listing. */
export interface AuditQuery {
  fromMs?: number;
  toMs?: number;
  route?: string;
  keyId?: string;
  limit: number;
  /** Continue below this `seq` (newest first). */
  beforeSeq?: number;
}

/** Where the audit log of reads and changes lives. */
export interface AuditStore {
  appendAudit(projectId: string, entry: AuditEntry): Promise<void>;
  /** Entries newest first. */
  listAudit(projectId: string, query: AuditQuery): Promise<StoredAuditEntry[]>;
  /** Deletes at most `limit` entries older than `beforeMs`; returns how many. */
  deleteAuditBefore(beforeMs: number, limit: number): Promise<number>;
}

/** Whether a store also keeps an audit log. */
export function hasAudit<T extends SpanStore>(store: T): store is T & AuditStore {
  const s = store as Partial<AuditStore>;
  return typeof s.appendAudit === 'function' && typeof s.listAudit === 'function';
}

/** Feedback on a traced call, as sent to `POST /api/feedback`. */
export interface FeedbackInput {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters: the one call of the trace it is about, or null for the whole trace. */
  spanId: string | null;
  /** A finite number (1/0 for thumbs up/down, a rating…). */
  score: number;
  label: string | null;
  comment: string | null;
}

/** Feedback as stored. */
export interface StoredFeedback extends FeedbackInput {
  /** Opaque, unique id (a random UUID: it reveals nothing about other projects' feedback). */
  id: string;
  /** When it was stored (ISO 8601). */
  createdAt: string;
}

/** Where scores and feedback linked to stored calls live. */
export interface FeedbackStore {
  /**
   * Stores feedback, only if its trace (and span, when given) is stored in the project;
   * the check and the write are one statement, so no feedback outlives a concurrent check.
   * @returns the stored feedback, or null when the trace or span is not stored in the project.
   */
  insertFeedback(
    projectId: string,
    feedback: FeedbackInput,
    createdAtMs: number,
  ): Promise<StoredFeedback | null>;
  /** The feedback on a trace, oldest first; empty when there is none. */
  listFeedback(projectId: string, traceId: string): Promise<StoredFeedback[]>;
}

/** Whether a store also keeps feedback. */
export function hasFeedback<T extends SpanStore>(store: T): store is T & FeedbackStore {
  const s = store as Partial<FeedbackStore>;
  return typeof s.insertFeedback === 'function' && typeof s.listFeedback === 'function';
}
