import { randomUUID } from 'node:crypto';
import type { CallRecord, JsonValue } from '@pilotlight/conventions';
import pg from 'pg';
import type {
  AuditStore,
  FeedbackStore,
  InsertDetail,
  InsertResult,
  ReadSideStore,
  SpanPage,
  SpanStore,
  StoredFeedback,
} from '../store.js';
import { SPAN_RANGE_FILTERS } from '../store.js';
import { appendAudit, deleteAuditBefore, listAudit } from './audit.js';
import { inTransaction, withClient } from './client.js';
import { isConnectionLost, toStoreError } from './errors.js';
import { migratePostgres, SCHEMA_NAME } from './migrations.js';
import { dayOf, dropCallsBefore, ensureDayPartition, type RetentionResult } from './partitions.js';
import {
  deleteCallsBefore,
  deleteProjectCallsBefore,
  deleteRollupsBefore,
  listModels,
  schemaSizeBytes,
  updateModelMetadata,
  writeModels,
} from './read-side.js';
import { readRollups, writeRollups } from './rollups.js';

/** Connections per collector process. Each replica holds this many; size the server's `max_connections` for all of them. */
export const DEFAULT_POOL_SIZE = 10;
/** How long a request waits for a free pooled connection (or a new one) before failing with 503 (ms). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
/** Server-side cap on one statement (ms); a slower one is cancelled and answered 503 (overloaded). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/**
 * Client-side cap on waiting for a query's answer, beyond the statement timeout (ms).
 * A database that vanished without closing the connection (host down, network
 * partition) would otherwise hold a request until TCP gives up, minutes later.
 */
export const DEFAULT_QUERY_TIMEOUT_MARGIN_MS = 5_000;
/** Idle pooled connections are closed after this long (ms). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** How often the store's size (for the `sizeBytes` gauge) is measured again (ms). */
export const SIZE_REFRESH_INTERVAL_MS = 30_000;
/** Day partitions are created on demand for spans up to this many days before today (UTC); older spans go to the default partition. */
export const DEFAULT_PARTITION_PAST_DAYS = 31;
/** …and up to this many days after today; later (clock-skewed) spans go to the default partition. */
export const DEFAULT_PARTITION_FUTURE_DAYS = 2;

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq URL; `sslmode` etc. as node-postgres reads them). */
  connectionString: string;
  /** Maximum pooled connections (default {@link DEFAULT_POOL_SIZE}). */
  poolSize?: number;
  /** Schema holding the tables, created if missing (default `public`). Lowercase letters, digits and `_`. */
  schema?: string;
  /** Wait for a pooled connection at most this long (default {@link DEFAULT_CONNECTION_TIMEOUT_MS}). */
  connectionTimeoutMs?: number;
  /** `statement_timeout` of every connection (default {@link DEFAULT_STATEMENT_TIMEOUT_MS}). */
  statementTimeoutMs?: number;
  /**
   * Give up waiting for a query's answer after this long, and discard its connection
   * (default: statement timeout + {@link DEFAULT_QUERY_TIMEOUT_MARGIN_MS}).
   */
  queryTimeoutMs?: number;
  /** Close idle connections after this long (default {@link DEFAULT_IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
  /** `application_name` of the connections, shown in `pg_stat_activity` (default `pilotlight-collector`). */
  applicationName?: string;
  /** See {@link DEFAULT_PARTITION_PAST_DAYS}. */
  partitionPastDays?: number;
  /** See {@link DEFAULT_PARTITION_FUTURE_DAYS}. */
  partitionFutureDays?: number;
  /** Clock used to place the partition window, Unix ms (default `Date.now`; tests move it). */
  now?: () => number;
  /** Errors of idle pooled connections (the pool drops them and reconnects on demand); default: ignored. */
  onPoolError?: (error: Error) => void;
}

/**
 * A {@link SpanStore}, {@link ReadSideStore}, {@link AuditStore} and {@link FeedbackStore}
 * on PostgreSQL, plus its pool and partition-level retention.
 */
export interface PostgresSpanStore extends SpanStore, ReadSideStore, AuditStore, FeedbackStore {
  /** The schema holding the tables. */
  readonly schema: string;
  /** The connection pool (for jobs and leader election that share the store's database). */
  readonly pool: pg.Pool;
  /**
   * Retention in one go: drops whole day partitions that end at or before the cutoff,
   * and deletes older rows from the default partition.
   */
  dropCallsBefore(cutoffUnixNano: bigint): Promise<RetentionResult>;
}

interface Row {
  seq: string;
  project_id: string;
  trace_id: Buffer;
  span_id: Buffer;
  parent_span_id: Buffer | null;
  name: string;
  operation: string | null;
  provider: string | null;
  model: string | null;
  response_model: string | null;
  response_id: string | null;
  finish_reasons: string[] | null;
  service_name: string | null;
  start_ns: string;
  end_ns: string;
  ttft_ms: number | null;
  input_tokens: string | null;
  output_tokens: string | null;
  cache_read_input_tokens: string | null;
  cache_creation_input_tokens: string | null;
  reasoning_output_tokens: string | null;
  tokens_estimated: boolean;
  cost_usd: number | null;
  cost_source: 'sdk' | 'collector' | null;
  confidence: number | null;
  status: 'ok' | 'error';
  error_type: string | null;
  input: JsonValue | null;
  output: JsonValue | null;
  source_dialect: string | null;
  warnings: string[];
  attributes: Record<string, JsonValue>;
}

// Column, SQL array type of its parameter, and how the parameter becomes the column.
// project_id and received_at_ms are the same for a whole batch: scalar parameters $1 and $2.
const ARRAY_COLUMNS: readonly (readonly [string, string, (v: string) => string])[] = [
  ['trace_id', 'text', (v) => `decode(${v}, 'hex')`],
  ['span_id', 'text', (v) => `decode(${v}, 'hex')`],
  ['parent_span_id', 'text', (v) => `decode(${v}, 'hex')`],
  ['name', 'text', (v) => v],
  ['operation', 'text', (v) => v],
  ['provider', 'text', (v) => v],
  ['model', 'text', (v) => v],
  ['response_model', 'text', (v) => v],
  ['response_id', 'text', (v) => v],
  ['finish_reasons', 'json', (v) => v],
  ['service_name', 'text', (v) => v],
  ['start_ns', 'bigint', (v) => v],
  ['end_ns', 'bigint', (v) => v],
  ['ttft_ms', 'float8', (v) => v],
  ['input_tokens', 'bigint', (v) => v],
  ['output_tokens', 'bigint', (v) => v],
  ['cache_read_input_tokens', 'bigint', (v) => v],
  ['cache_creation_input_tokens', 'bigint', (v) => v],
  ['reasoning_output_tokens', 'bigint', (v) => v],
  ['tokens_estimated', 'boolean', (v) => v],
  ['cost_usd', 'float8', (v) => v],
  ['cost_source', 'text', (v) => v],
  ['confidence', 'float8', (v) => v],
  ['status', 'text', (v) => v],
  ['error_type', 'text', (v) => v],
  ['input', 'json', (v) => v],
  ['output', 'json', (v) => v],
  ['source_dialect', 'text', (v) => v],
  ['warnings', 'json', (v) => v],
  ['attributes', 'json', (v) => v],
];

/**
 * One statement for any batch size: the batch travels as one array per column
 * and `unnest` turns them back into rows, so the text is fixed and prepared once
 * per connection (a multi-row VALUES list would need a new statement per size
 * and caps out at 65 535 parameters). Measured against multi-row VALUES and
 * COPY into a staging table in `bench/postgres-insert.ts`.
 */
export const INSERT_CALLS_SQL = `INSERT INTO calls (project_id, received_at_ms, ${ARRAY_COLUMNS.map(([c]) => c).join(', ')})
SELECT $1, $2, ${ARRAY_COLUMNS.map(([c, , expr]) => expr(`t.${c}`)).join(', ')}
FROM unnest(${ARRAY_COLUMNS.map(([, type], i) => `$${i + 3}::${type}[]`).join(', ')})
  AS t(${ARRAY_COLUMNS.map(([c]) => c).join(', ')})
ON CONFLICT DO NOTHING
RETURNING encode(trace_id, 'hex') || '/' || encode(span_id, 'hex') || '/' || start_ns AS k`;

/**
 * The call measure each range filter bounds, as SQL on `calls`: doubles compared like the
 * record's own fields (`durationMs` is the span's nanoseconds / 1e6); NULL never matches.
 */
const POSTGRES_MEASURES = {
  latency: '((end_ns - start_ns)::double precision / 1e6::double precision)',
  ttft: 'ttft_ms',
  tokens:
    '(CASE WHEN input_tokens IS NULL AND output_tokens IS NULL THEN NULL ELSE COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) END)::double precision',
  cost: 'cost_usd',
  confidence: 'confidence',
} as const;

const SELECT_COLUMNS = `seq, project_id, trace_id, span_id, parent_span_id, name, operation, provider, model,
  response_model, response_id, finish_reasons, service_name, start_ns, end_ns, ttft_ms, input_tokens,
  output_tokens, cache_read_input_tokens, cache_creation_input_tokens, reasoning_output_tokens,
  tokens_estimated, cost_usd, cost_source, confidence, status, error_type, input, output, source_dialect,
  warnings, attributes`;

// PostgreSQL text cannot hold U+0000; JSON columns keep it escaped, text columns get U+FFFD.
const text = (v: string | null): string | null =>
  v === null || !v.includes('\u0000') ? v : v.replaceAll('\u0000', '\uFFFD');
const json = (v: JsonValue | readonly string[] | null): string | null =>
  v === null ? null : JSON.stringify(v);
const intOrNull = (v: string | null): number | null => (v === null ? null : Number(v));
const iso = (nanos: bigint): string => new Date(Number(nanos / 1_000_000n)).toISOString();

/** The batch as one array per column of {@link ARRAY_COLUMNS}; throws (before any write) on a malformed record. */
export function toColumnArrays(records: readonly CallRecord[]): unknown[][] {
  const cols: unknown[][] = ARRAY_COLUMNS.map(() => new Array<unknown>(records.length));
  records.forEach((r, i) => {
    const start = BigInt(r.startTimeUnixNano);
    const end = start + BigInt(Math.round(r.durationMs * 1e6));
    const values: unknown[] = [
      r.traceId,
      r.spanId,
      r.parentSpanId,
      text(r.name),
      text(r.operation),
      text(r.provider),
      text(r.model),
      text(r.responseModel),
      text(r.responseId),
      json(r.finishReasons),
      text(r.serviceName),
      start.toString(),
      end.toString(),
      r.ttftMs,
      r.inputTokens,
      r.outputTokens,
      r.cacheReadInputTokens,
      r.cacheCreationInputTokens,
      r.reasoningOutputTokens,
      r.tokensEstimated,
      r.costUsd,
      r.costSource,
      r.confidence,
      r.status,
      text(r.errorType),
      json(r.input),
      json(r.output),
      text(r.sourceDialect),
      JSON.stringify(r.warnings),
      JSON.stringify(r.attributes),
    ];
    values.forEach((v, c) => {
      (cols[c] as unknown[])[i] = v;
    });
  });
  return cols;
}

function fromRow(row: Row): CallRecord {
  const start = BigInt(row.start_ns);
  const end = BigInt(row.end_ns);
  return {
    traceId: row.trace_id.toString('hex'),
    spanId: row.span_id.toString('hex'),
    parentSpanId: row.parent_span_id === null ? null : row.parent_span_id.toString('hex'),
    projectId: row.project_id,
    name: row.name,
    operation: row.operation,
    provider: row.provider,
    model: row.model,
    responseModel: row.response_model,
    responseId: row.response_id,
    finishReasons: row.finish_reasons,
    serviceName: row.service_name,
    startTime: iso(start),
    endTime: iso(end),
    startTimeUnixNano: row.start_ns,
    durationMs: Number(end - start) / 1e6,
    ttftMs: row.ttft_ms,
    inputTokens: intOrNull(row.input_tokens),
    outputTokens: intOrNull(row.output_tokens),
    cacheReadInputTokens: intOrNull(row.cache_read_input_tokens),
    cacheCreationInputTokens: intOrNull(row.cache_creation_input_tokens),
    reasoningOutputTokens: intOrNull(row.reasoning_output_tokens),
    tokensEstimated: row.tokens_estimated,
    costUsd: row.cost_usd,
    costSource: row.cost_source,
    confidence: row.confidence,
    status: row.status,
    errorType: row.error_type,
    input: row.input,
    output: row.output,
    sourceDialect: row.source_dialect,
    warnings: row.warnings,
    attributes: row.attributes,
  };
}

interface FeedbackRow {
  id: string;
  trace_id: string;
  span_id: string | null;
  score: number;
  label: string | null;
  comment: string | null;
  created_at_ms: string;
}

const FEEDBACK_COLUMNS = `id, encode(trace_id, 'hex') AS trace_id, encode(span_id, 'hex') AS span_id,
  score, label, comment, created_at_ms`;

// The existence check and the insert are one statement: feedback only on a stored call.
const INSERT_FEEDBACK_SQL = `INSERT INTO feedback (id, project_id, trace_id, span_id, score, label, comment, created_at_ms)
SELECT $1::text, $2::text, decode($3::text, 'hex'), decode($4::text, 'hex'), $5::float8, $6::text, $7::text, $8::bigint
WHERE EXISTS (SELECT 1 FROM calls WHERE project_id = $2 AND trace_id = decode($3, 'hex')
  AND ($4::text IS NULL OR span_id = decode($4, 'hex')))
RETURNING ${FEEDBACK_COLUMNS}`;

function fromFeedbackRow(row: FeedbackRow): StoredFeedback {
  return {
    id: row.id,
    traceId: row.trace_id,
    spanId: row.span_id,
    score: row.score,
    label: row.label,
    comment: row.comment,
    createdAt: new Date(Number(row.created_at_ms)).toISOString(),
  };
}

const positive = (name: string, v: number | undefined, fallback: number): number => {
  const value = v ?? fallback;
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return value;
};

/**
 * Opens a span store on PostgreSQL: creates the schema if missing, applies
 * migrations under an advisory lock (replicas starting together wait for one
 * another), and keeps a connection pool with `synchronous_commit = on`, so an
 * insert resolves only once its rows are durable.
 *
 * Transient failures (database down, restarting, connections killed, pool
 * exhausted, statement timeout) reject with {@link PostgresUnavailableError}; the
 * pool reconnects by itself when the database is back.
 *
 * @throws {PostgresUnavailableError} when the database cannot be reached at start-up.
 * @example
 * const store = await openPostgresStore({ connectionString: 'postgres://pilotlight@db:5432/pilotlight', poolSize: 20 });
 * await store.insertCalls('default', records);
 * await store.close();
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresSpanStore> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(
      `schema must match ${SCHEMA_NAME} (lowercase letters, digits, _), got ${JSON.stringify(schema)}`,
    );
  }
  const statementTimeoutMs = positive(
    'statementTimeoutMs',
    options.statementTimeoutMs,
    DEFAULT_STATEMENT_TIMEOUT_MS,
  );
  const pastDays = positive(
    'partitionPastDays',
    options.partitionPastDays,
    DEFAULT_PARTITION_PAST_DAYS,
  );
  const futureDays = positive(
    'partitionFutureDays',
    options.partitionFutureDays,
    DEFAULT_PARTITION_FUTURE_DAYS,
  );
  const now = options.now ?? Date.now;
  const onPoolError = options.onPoolError ?? (() => undefined);

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: Math.max(1, positive('poolSize', options.poolSize, DEFAULT_POOL_SIZE)),
    connectionTimeoutMillis: positive(
      'connectionTimeoutMs',
      options.connectionTimeoutMs,
      DEFAULT_CONNECTION_TIMEOUT_MS,
    ),
    idleTimeoutMillis: positive('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS),
    application_name: options.applicationName ?? 'pilotlight-collector',
    query_timeout: positive(
      'queryTimeoutMs',
      options.queryTimeoutMs,
      statementTimeoutMs + DEFAULT_QUERY_TIMEOUT_MARGIN_MS,
    ),
    keepAlive: true,
    // Every connection: our schema first, commits durable before they are acknowledged.
    options: `-c search_path=${schema} -c synchronous_commit=on -c statement_timeout=${statementTimeoutMs}`,
  });
  // An idle client whose server connection dies emits 'error' on the pool; without a
  // listener that would crash the process. The pool has already discarded it.
  pool.on('error', (error) => onPoolError(error));

  try {
    await withClient(pool, (client) => migratePostgres(client, schema));
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toStoreError(error);
  }

  let closed = false;
  // sizeBytes() is synchronous (a metrics gauge): serve the latest measurement, refreshed in the background.
  let sizeBytes = await schemaSizeBytes(pool, schema).catch(() => 0);
  const sizeTimer = setInterval(() => {
    schemaSizeBytes(pool, schema).then(
      (bytes) => {
        sizeBytes = bytes;
      },
      () => undefined,
    );
  }, SIZE_REFRESH_INTERVAL_MS);
  sizeTimer.unref();
  const knownDays = new Set<number>();
  const guard = (): void => {
    if (closed) throw new Error('the span store is closed');
  };

  /** Runs `fn`, retrying once on a fresh connection when the first one turned out dead; maps transient errors. */
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    guard();
    try {
      return await fn();
    } catch (error) {
      if (!isConnectionLost(error) || closed) throw toStoreError(error);
      try {
        return await fn();
      } catch (retryError) {
        throw toStoreError(retryError);
      }
    }
  };

  const ensurePartitions = async (records: readonly CallRecord[]): Promise<void> => {
    const today = Math.floor(now() / 86_400_000);
    const missing = new Set<number>();
    for (const r of records) {
      const day = dayOf(BigInt(r.startTimeUnixNano));
      if (day < today - pastDays || day > today + futureDays || knownDays.has(day)) continue;
      missing.add(day);
    }
    for (const day of missing) {
      await ensureDayPartition(pool, schema, day);
      knownDays.add(day);
    }
  };

  /** Inserts a batch with its rollups and model sightings in one transaction. */
  const insertDetailed = async (
    projectId: string,
    records: readonly CallRecord[],
  ): Promise<InsertDetail> => {
    guard();
    if (records.length === 0) return { inserted: 0, duplicates: 0, newIndexes: [] };
    // Built before any write: a malformed record rejects the whole batch untouched.
    const columns = toColumnArrays(records);
    const receivedAtMs = Date.now();
    return run(async () => {
      await ensurePartitions(records);
      // One transaction: the calls, then the rollups of those that were new.
      return inTransaction(pool, async (client) => {
        const res = await client.query<{ k: string }>({
          name: 'pilotlight_insert_calls',
          text: INSERT_CALLS_SQL,
          values: [text(projectId), receivedAtMs, ...columns],
        });
        const stored = new Set(res.rows.map((r) => r.k));
        // Positions of the stored records: the first of any repeats inside the batch.
        const newIndexes: number[] = [];
        records.forEach((r, i) => {
          const k = `${r.traceId}/${r.spanId}/${BigInt(r.startTimeUnixNano)}`;
          if (stored.delete(k)) newIndexes.push(i);
        });
        const fresh = newIndexes.map((i) => records[i] as CallRecord);
        await writeRollups(client, projectId, fresh);
        await writeModels(client, projectId, fresh);
        return {
          inserted: newIndexes.length,
          duplicates: records.length - newIndexes.length,
          newIndexes,
        };
      });
    });
  };

  return {
    schema,
    pool,
    async insertCalls(projectId, records): Promise<InsertResult> {
      const { inserted, duplicates } = await insertDetailed(projectId, records);
      return { inserted, duplicates };
    },
    insertCallsDetailed: (projectId, records) => insertDetailed(projectId, records),
    async listCalls(projectId, q): Promise<SpanPage> {
      const where = ['project_id = $1'];
      const values: unknown[] = [projectId];
      const add = (sql: (p: string) => string, value: unknown): void => {
        values.push(value);
        where.push(sql(`$${values.length}`));
      };
      if (q.traceId !== undefined) add((p) => `trace_id = decode(${p}, 'hex')`, q.traceId);
      if (q.model !== undefined) add((p) => `model = ${p}`, q.model);
      if (q.service !== undefined) add((p) => `service_name = ${p}`, q.service);
      if (q.provider !== undefined) add((p) => `provider = ${p}`, q.provider);
      if (q.operation !== undefined) add((p) => `operation = ${p}`, q.operation);
      if (q.status !== undefined) add((p) => `status = ${p}`, q.status);
      for (const f of SPAN_RANGE_FILTERS) {
        const bound = q[f.key];
        if (bound !== undefined) {
          add((p) => `${POSTGRES_MEASURES[f.measure]} ${f.op} ${p}::double precision`, bound);
        }
      }
      if (q.fromUnixNano !== undefined) add((p) => `start_ns >= ${p}`, q.fromUnixNano.toString());
      if (q.toUnixNano !== undefined) add((p) => `start_ns < ${p}`, q.toUnixNano.toString());
      if (q.after !== undefined) {
        values.push(q.after.startTimeUnixNano.toString(), String(q.after.seq));
        where.push(`(start_ns, seq) < ($${values.length - 1}::bigint, $${values.length}::bigint)`);
      }
      values.push(q.limit + 1);
      const sql = `SELECT ${SELECT_COLUMNS} FROM calls WHERE ${where.join(' AND ')}
        ORDER BY start_ns DESC, seq DESC LIMIT $${values.length}`;
      const rows = await run(async () => (await pool.query<Row>(sql, values)).rows);
      const more = rows.length > q.limit;
      const page = more ? rows.slice(0, q.limit) : rows;
      const last = page[page.length - 1];
      return {
        data: page.map(fromRow),
        next:
          more && last !== undefined
            ? { startTimeUnixNano: BigInt(last.start_ns), seq: Number(last.seq) }
            : null,
      };
    },
    async readRollups(projectId, ranges, filter) {
      return run(() => readRollups(pool, projectId, ranges, filter));
    },
    async getTrace(projectId, traceId) {
      const rows = await run(
        async () =>
          (
            await pool.query<Row>({
              name: 'pilotlight_get_trace',
              text: `SELECT ${SELECT_COLUMNS} FROM calls WHERE project_id = $1 AND trace_id = decode($2, 'hex') ORDER BY start_ns, seq`,
              values: [projectId, traceId],
            })
          ).rows,
      );
      return rows.map(fromRow);
    },
    async ping() {
      await run(async () => {
        await pool.query('SELECT 1');
      });
    },
    async dropCallsBefore(cutoffUnixNano) {
      const result = await run(() => dropCallsBefore(pool, schema, cutoffUnixNano));
      knownDays.clear();
      return result;
    },
    async listModels(projectId) {
      return run(() => listModels(pool, projectId));
    },
    async updateModelMetadata(projectId, model, patch) {
      return run(() => updateModelMetadata(pool, projectId, model, patch));
    },
    async deleteCallsBefore(beforeUnixNano, limit) {
      const deleted = await run(() => deleteCallsBefore(pool, schema, beforeUnixNano, limit));
      knownDays.clear();
      return deleted;
    },
    async deleteProjectCallsBefore(projectId, beforeUnixNano, limit) {
      return run(() => deleteProjectCallsBefore(pool, projectId, beforeUnixNano, limit));
    },
    async deleteRollupsBefore(beforeMs, limit) {
      return run(() => deleteRollupsBefore(pool, beforeMs, limit));
    },
    async appendAudit(projectId, entry) {
      await run(() => appendAudit(pool, projectId, entry));
    },
    async listAudit(projectId, query) {
      return run(() => listAudit(pool, projectId, query));
    },
    async deleteAuditBefore(beforeMs, limit) {
      return run(() => deleteAuditBefore(pool, beforeMs, limit));
    },
    async insertFeedback(projectId, f, createdAtMs) {
      const rows = await run(
        async () =>
          (
            await pool.query<FeedbackRow>({
              name: 'pilotlight_insert_feedback',
              text: INSERT_FEEDBACK_SQL,
              values: [
                randomUUID(),
                projectId,
                f.traceId,
                f.spanId,
                f.score,
                f.label === null ? null : text(f.label),
                f.comment === null ? null : text(f.comment),
                createdAtMs,
              ],
            })
          ).rows,
      );
      return rows[0] === undefined ? null : fromFeedbackRow(rows[0]);
    },
    async listFeedback(projectId, traceId) {
      const rows = await run(
        async () =>
          (
            await pool.query<FeedbackRow>({
              name: 'pilotlight_list_feedback',
              text: `SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE project_id = $1
                AND trace_id = decode($2, 'hex') ORDER BY created_at_ms, seq`,
              values: [projectId, traceId],
            })
          ).rows,
      );
      return rows.map(fromFeedbackRow);
    },
    sizeBytes() {
      return closed ? 0 : sizeBytes;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sizeTimer);
      await pool.end();
    },
  };
}
