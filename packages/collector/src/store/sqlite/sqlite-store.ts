import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CallRecord, JsonValue } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import type { InsertResult, SpanPage, SpanQuery, SpanStore } from '../store.js';
import { migrate } from './migrations.js';

/** How long a writer waits for another connection's lock before failing (ms). */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * Page cache per connection (KiB). SQLite's default is 2 MiB; the unique index on
 * random trace/span ids is touched all over on every insert, so a larger cache
 * keeps more of it in memory as the table grows.
 */
const CACHE_SIZE_KIB = 32 * 1024;

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `:memory:` for a throwaway store. */
  path: string;
  /**
   * `full` (default): every commit fsyncs the WAL, so an acknowledged span survives
   * power loss. `normal`: survives a killed process, may lose the latest commits on
   * power loss; fewer fsyncs.
   */
  synchronous?: 'full' | 'normal';
}

/** A {@link SpanStore} on one SQLite file (WAL), plus where that file is. */
export interface SqliteSpanStore extends SpanStore {
  /** Absolute path of the database file. */
  readonly path: string;
}

const COLUMNS = [
  'project_id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'name',
  'operation',
  'provider',
  'model',
  'response_model',
  'response_id',
  'finish_reasons',
  'service_name',
  'start_ns',
  'end_ns',
  'ttft_ms',
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
  'reasoning_output_tokens',
  'tokens_estimated',
  'cost_usd',
  'cost_source',
  'confidence',
  'status',
  'error_type',
  'input',
  'output',
  'source_dialect',
  'warnings',
  'attributes',
  'received_at_ms',
] as const;

interface Row {
  seq: bigint;
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
  finish_reasons: string | null;
  service_name: string | null;
  start_ns: bigint;
  end_ns: bigint;
  ttft_ms: number | null;
  input_tokens: bigint | null;
  output_tokens: bigint | null;
  cache_read_input_tokens: bigint | null;
  cache_creation_input_tokens: bigint | null;
  reasoning_output_tokens: bigint | null;
  tokens_estimated: bigint;
  cost_usd: number | null;
  cost_source: 'sdk' | 'collector' | null;
  confidence: number | null;
  status: 'ok' | 'error';
  error_type: string | null;
  input: string | null;
  output: string | null;
  source_dialect: string | null;
  warnings: string;
  attributes: string;
}

const idBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');
const jsonOrNull = (v: JsonValue | readonly string[] | null): string | null =>
  v === null ? null : JSON.stringify(v);
const parseOrNull = <T>(v: string | null): T | null => (v === null ? null : (JSON.parse(v) as T));
const intOrNull = (v: bigint | null): number | null => (v === null ? null : Number(v));
const iso = (nanos: bigint): string => new Date(Number(nanos / 1_000_000n)).toISOString();

function toRow(projectId: string, r: CallRecord, receivedAtMs: number): unknown[] {
  const start = BigInt(r.startTimeUnixNano);
  const end = start + BigInt(Math.round(r.durationMs * 1e6));
  return [
    projectId,
    idBytes(r.traceId),
    idBytes(r.spanId),
    r.parentSpanId === null ? null : idBytes(r.parentSpanId),
    r.name,
    r.operation,
    r.provider,
    r.model,
    r.responseModel,
    r.responseId,
    jsonOrNull(r.finishReasons),
    r.serviceName,
    start,
    end,
    r.ttftMs,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadInputTokens,
    r.cacheCreationInputTokens,
    r.reasoningOutputTokens,
    r.tokensEstimated ? 1 : 0,
    r.costUsd,
    r.costSource,
    r.confidence,
    r.status,
    r.errorType,
    jsonOrNull(r.input),
    jsonOrNull(r.output),
    r.sourceDialect,
    JSON.stringify(r.warnings),
    JSON.stringify(r.attributes),
    receivedAtMs,
  ];
}

function fromRow(row: Row): CallRecord {
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
    finishReasons: parseOrNull<string[]>(row.finish_reasons),
    serviceName: row.service_name,
    startTime: iso(row.start_ns),
    endTime: iso(row.end_ns),
    startTimeUnixNano: row.start_ns.toString(),
    durationMs: Number(row.end_ns - row.start_ns) / 1e6,
    ttftMs: row.ttft_ms,
    inputTokens: intOrNull(row.input_tokens),
    outputTokens: intOrNull(row.output_tokens),
    cacheReadInputTokens: intOrNull(row.cache_read_input_tokens),
    cacheCreationInputTokens: intOrNull(row.cache_creation_input_tokens),
    reasoningOutputTokens: intOrNull(row.reasoning_output_tokens),
    tokensEstimated: row.tokens_estimated === 1n,
    costUsd: row.cost_usd,
    costSource: row.cost_source,
    confidence: row.confidence,
    status: row.status,
    errorType: row.error_type,
    input: parseOrNull<JsonValue>(row.input),
    output: parseOrNull<JsonValue>(row.output),
    sourceDialect: row.source_dialect,
    warnings: JSON.parse(row.warnings) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, JsonValue>,
  };
}

/**
 * Opens (creating if needed) a SQLite span store: WAL journal, migrations applied,
 * statements prepared once. One synchronous transaction per insert batch.
 *
 * @example
 * const store = openSqliteStore({ path: './.pilotlight/pilotlight.db' });
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteSpanStore {
  const file = options.path === ':memory:' ? ':memory:' : path.resolve(options.path);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  let closed = false;
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${(options.synchronous ?? 'full') === 'full' ? 'FULL' : 'NORMAL'}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const insert = db.prepare(
    `INSERT INTO calls (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
  );
  const insertBatch = db.transaction(
    (projectId: string, records: readonly CallRecord[]): InsertResult => {
      const now = Date.now();
      let inserted = 0;
      for (const r of records) inserted += insert.run(toRow(projectId, r, now)).changes;
      return { inserted, duplicates: records.length - inserted };
    },
  );
  const trace = db
    .prepare('SELECT * FROM calls WHERE project_id = ? AND trace_id = ? ORDER BY start_ns, seq')
    .safeIntegers(true);

  // One prepared statement per combination of filters, built on first use.
  const listStatements = new Map<string, Database.Statement>();
  const listStatement = (q: SpanQuery): Database.Statement => {
    const where = ['project_id = @projectId'];
    if (q.traceId !== undefined) where.push('trace_id = @traceId');
    if (q.model !== undefined) where.push('model = @model');
    if (q.status !== undefined) where.push('status = @status');
    if (q.fromUnixNano !== undefined) where.push('start_ns >= @from');
    if (q.toUnixNano !== undefined) where.push('start_ns < @to');
    if (q.after !== undefined) where.push('(start_ns, seq) < (@afterStart, @afterSeq)');
    const key = where.join(' AND ');
    let stmt = listStatements.get(key);
    if (stmt === undefined) {
      stmt = db
        .prepare(`SELECT * FROM calls WHERE ${key} ORDER BY start_ns DESC, seq DESC LIMIT @limit`)
        .safeIntegers(true);
      listStatements.set(key, stmt);
    }
    return stmt;
  };

  const guard = (): void => {
    if (closed) throw new Error('the span store is closed');
  };

  return {
    path: file,
    async insertCalls(projectId, records) {
      guard();
      if (records.length === 0) return { inserted: 0, duplicates: 0 };
      return insertBatch(projectId, records);
    },
    async listCalls(projectId, q) {
      guard();
      const params: Record<string, unknown> = { projectId, limit: q.limit + 1 };
      if (q.traceId !== undefined) params.traceId = idBytes(q.traceId);
      if (q.model !== undefined) params.model = q.model;
      if (q.status !== undefined) params.status = q.status;
      if (q.fromUnixNano !== undefined) params.from = q.fromUnixNano;
      if (q.toUnixNano !== undefined) params.to = q.toUnixNano;
      if (q.after !== undefined) {
        params.afterStart = q.after.startTimeUnixNano;
        params.afterSeq = BigInt(q.after.seq);
      }
      const rows = listStatement(q).all(params) as Row[];
      const more = rows.length > q.limit;
      const page = more ? rows.slice(0, q.limit) : rows;
      const last = page[page.length - 1];
      const result: SpanPage = {
        data: page.map(fromRow),
        next:
          more && last !== undefined
            ? { startTimeUnixNano: last.start_ns, seq: Number(last.seq) }
            : null,
      };
      return result;
    },
    async getTrace(projectId, traceId) {
      guard();
      return (trace.all(projectId, idBytes(traceId)) as Row[]).map(fromRow);
    },
    async ping() {
      guard();
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
