import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CallRecord, JsonValue } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import { RollupBatch, type StoredRollupRow, toStoredRollupRow } from '../../rollups/rollup.js';
import {
  mergeSketchBytes,
  rollupParams,
  rollupSelectQuery,
  rollupUpsertSql,
  SKETCH_MERGE_FUNCTION,
} from '../../rollups/sql.js';
import type {
  AuditStore,
  FeedbackStore,
  InsertDetail,
  ModelMetadata,
  ReadSideStore,
  SpanPage,
  SpanQuery,
  SpanStore,
  StoredAuditEntry,
  StoredFeedback,
  StoredModel,
} from '../store.js';
import { SPAN_RANGE_FILTERS } from '../store.js';
import { migrate } from './migrations.js';

/** How long a writer waits for another connection's lock before failing (ms). */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * Page cache per connection (KiB). SQLite's default is 2 MiB; the unique index on
 * random trace/span ids is touched all over on every insert, so a larger cache
 * keeps more of it in memory as the table grows.
 */
const CACHE_SIZE_KIB = 32 * 1024;

/** Prepared rollup reads kept (one per distinct query shape). */
const MAX_CACHED_ROLLUP_STATEMENTS = 64;

/**
 * The call measure each range filter bounds, as SQL on `calls`: doubles compared like the
 * record's own fields (`durationMs` is the span's nanoseconds / 1e6); NULL never matches.
 */
const SQLITE_MEASURES = {
  latency: '((end_ns - start_ns) / 1e6)',
  ttft: 'ttft_ms',
  tokens:
    '(CASE WHEN input_tokens IS NULL AND output_tokens IS NULL THEN NULL ELSE COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) END)',
  cost: 'cost_usd',
  confidence: 'confidence',
} as const;

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

/** A {@link SpanStore} and {@link ReadSideStore} on one SQLite file (WAL), plus where that file is. */
export interface SqliteSpanStore extends SpanStore, ReadSideStore, AuditStore, FeedbackStore {
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

/** A rollup row selected as an array, columns in `ROLLUP_COLUMNS` order (as `rollupSelectQuery` selects them). */
function rollupFromArray(v: unknown[]): StoredRollupRow {
  return {
    projectId: v[0] as string,
    bucketSec: v[1] as number,
    bucketStartMs: v[2] as number,
    service: v[3] as string,
    provider: v[4] as string,
    model: v[5] as string,
    operation: v[6] as string,
    calls: v[7] as number,
    errors: v[8] as number,
    inputTokens: v[9] as number,
    outputTokens: v[10] as number,
    cachedInputTokens: v[11] as number,
    costUsd: v[12] as number,
    confidenceSum: v[13] as number,
    confidenceCount: v[14] as number,
    latencySketch: v[15] as Buffer,
    ttftSketch: v[16] as Buffer,
  };
}

interface AuditRow {
  seq: number;
  at_ms: number;
  key_id: string | null;
  method: string;
  route: string;
  path: string;
  filters: string;
  status: number;
  records: number | null;
}

interface FeedbackRow {
  id: string;
  trace_id: Buffer;
  span_id: Buffer | null;
  score: number;
  label: string | null;
  comment: string | null;
  created_at_ms: number;
}

function fromFeedbackRow(row: FeedbackRow): StoredFeedback {
  return {
    id: row.id,
    traceId: row.trace_id.toString('hex'),
    spanId: row.span_id === null ? null : row.span_id.toString('hex'),
    score: row.score,
    label: row.label,
    comment: row.comment,
    createdAt: new Date(row.created_at_ms).toISOString(),
  };
}

interface ModelRow {
  model: string;
  provider: string;
  first_seen_ms: number;
  last_seen_ms: number;
  owner: string | null;
  purpose: string | null;
  reviewed_at: string | null;
  on_failure: string | null;
}

function fromModelRow(row: ModelRow): StoredModel {
  return {
    model: row.model,
    provider: row.provider,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
    owner: row.owner,
    purpose: row.purpose,
    reviewedAt: row.reviewed_at,
    onFailure: row.on_failure,
  };
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

  db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, (a: unknown, b: unknown) =>
    mergeSketchBytes(a as Uint8Array, b as Uint8Array),
  );
  const insert = db.prepare(
    `INSERT INTO calls (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
  );
  // Counters add and sketches merge inside SQLite: no read-modify-write round trip.
  const upsertRollup = db.prepare(rollupUpsertSql('sqlite'));
  // Within one UPDATE every expression sees the old row, so the CASE compares old values.
  const upsertModel = db.prepare(
    `INSERT INTO models (project_id, model, provider, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (project_id, model) DO UPDATE SET
       provider = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.provider ELSE provider END,
       first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms),
       last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`,
  );
  const insertBatch = db.transaction(
    (projectId: string, records: readonly CallRecord[]): InsertDetail => {
      const now = Date.now();
      const newIndexes: number[] = [];
      const rollups = new RollupBatch();
      const seen = new Map<string, { provider: string; firstMs: number; lastMs: number }>();
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (insert.run(toRow(projectId, r, now)).changes === 0) continue;
        // Only spans stored now feed the rollups: a resent span must not count twice.
        newIndexes.push(i);
        const call = r.projectId === projectId ? r : { ...r, projectId };
        rollups.add(call);
        const model = r.model ?? r.responseModel;
        if (model !== null) {
          const startMs = Number(BigInt(r.startTimeUnixNano) / 1_000_000n);
          const m = seen.get(model);
          if (m === undefined) {
            seen.set(model, { provider: r.provider ?? '', firstMs: startMs, lastMs: startMs });
          } else {
            if (startMs < m.firstMs) m.firstMs = startMs;
            if (startMs >= m.lastMs) {
              m.lastMs = startMs;
              if (r.provider !== null) m.provider = r.provider;
            }
          }
        }
      }
      for (const row of rollups.rows()) upsertRollup.run(rollupParams(toStoredRollupRow(row)));
      for (const [model, m] of seen)
        upsertModel.run(projectId, model, m.provider, m.firstMs, m.lastMs);
      const inserted = newIndexes.length;
      return { inserted, duplicates: records.length - inserted, newIndexes };
    },
  );
  const selectModels = db.prepare('SELECT * FROM models WHERE project_id = ? ORDER BY model');
  const selectModel = db.prepare('SELECT * FROM models WHERE project_id = ? AND model = ?');
  const updateModel = db.prepare(
    `UPDATE models SET owner = @owner, purpose = @purpose, reviewed_at = @reviewedAt,
       on_failure = @onFailure, updated_at_ms = @now WHERE project_id = @projectId AND model = @model`,
  );
  // Loose index scan over calls_by_start: each distinct project in one index seek.
  const callProjects = db.prepare(
    `WITH RECURSIVE p(id) AS (
       SELECT MIN(project_id) FROM calls
       UNION ALL SELECT (SELECT MIN(project_id) FROM calls WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
     ) SELECT id FROM p WHERE id IS NOT NULL`,
  );
  const deleteCalls = db.prepare(
    `DELETE FROM calls WHERE seq IN (
       SELECT seq FROM calls WHERE project_id = ? AND start_ns < ? ORDER BY start_ns LIMIT ?)`,
  );
  const rollupProjects = db.prepare(
    `WITH RECURSIVE p(id) AS (
       SELECT MIN(project_id) FROM rollups
       UNION ALL SELECT (SELECT MIN(project_id) FROM rollups WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
     ) SELECT id FROM p WHERE id IS NOT NULL`,
  );
  const rollupTiers = db.prepare('SELECT DISTINCT bucket_sec FROM rollups WHERE project_id = ?');
  const deleteRollups = db.prepare(
    `DELETE FROM rollups WHERE (project_id, bucket_sec, bucket_start_ms, service, provider, model, operation) IN (
       SELECT project_id, bucket_sec, bucket_start_ms, service, provider, model, operation FROM rollups
       WHERE project_id = ? AND bucket_sec = ? AND bucket_start_ms < ? LIMIT ?)`,
  );
  const deleteCallsBatch = db.transaction((beforeUnixNano: bigint, limit: number): number => {
    let deleted = 0;
    for (const { id } of callProjects.all() as { id: string }[]) {
      if (deleted >= limit) break;
      deleted += deleteCalls.run(id, beforeUnixNano, limit - deleted).changes;
    }
    return deleted;
  });
  const deleteRollupsBatch = db.transaction((beforeMs: number, limit: number): number => {
    let deleted = 0;
    for (const { id } of rollupProjects.all() as { id: string }[]) {
      for (const { bucket_sec } of rollupTiers.all(id) as { bucket_sec: number }[]) {
        if (deleted >= limit) return deleted;
        deleted += deleteRollups.run(id, bucket_sec, beforeMs, limit - deleted).changes;
      }
    }
    return deleted;
  });
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (project_id, at_ms, key_id, method, route, path, filters, status, records)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const auditStatements = new Map<string, Database.Statement>();
  const deleteAudit = db.prepare(
    'DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at_ms < ? ORDER BY seq LIMIT ?)',
  );
  // Summary plans have few shapes (one to a handful of ranges, optional filters).
  const rollupStatements = new Map<string, Database.Statement>();
  // The existence check and the insert are one statement: feedback only on a stored call.
  const insertFeedback = db.prepare(
    `INSERT INTO feedback (id, project_id, trace_id, span_id, score, label, comment, created_at_ms)
     SELECT @id, @projectId, @traceId, @spanId, @score, @label, @comment, @createdAtMs
     WHERE EXISTS (SELECT 1 FROM calls WHERE project_id = @projectId AND trace_id = @traceId
       AND (@spanId IS NULL OR span_id = @spanId))
     RETURNING id, trace_id, span_id, score, label, comment, created_at_ms`,
  );
  const selectFeedback = db.prepare(
    `SELECT id, trace_id, span_id, score, label, comment, created_at_ms FROM feedback
     WHERE project_id = ? AND trace_id = ? ORDER BY created_at_ms, seq`,
  );
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const pageSize = db.prepare('PRAGMA page_size').pluck();
  const trace = db
    .prepare('SELECT * FROM calls WHERE project_id = ? AND trace_id = ? ORDER BY start_ns, seq')
    .safeIntegers(true);

  // One prepared statement per combination of filters, built on first use.
  const listStatements = new Map<string, Database.Statement>();
  const listStatement = (q: SpanQuery): Database.Statement => {
    const where = ['project_id = @projectId'];
    if (q.traceId !== undefined) where.push('trace_id = @traceId');
    if (q.model !== undefined) where.push('model = @model');
    if (q.service !== undefined) where.push('service_name = @service');
    if (q.provider !== undefined) where.push('provider = @provider');
    if (q.operation !== undefined) where.push('operation = @operation');
    if (q.status !== undefined) where.push('status = @status');
    for (const f of SPAN_RANGE_FILTERS) {
      if (q[f.key] !== undefined) where.push(`${SQLITE_MEASURES[f.measure]} ${f.op} @${f.key}`);
    }
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
      const { inserted, duplicates } = insertBatch(projectId, records);
      return { inserted, duplicates };
    },
    async insertCallsDetailed(projectId, records) {
      guard();
      if (records.length === 0) return { inserted: 0, duplicates: 0, newIndexes: [] };
      return insertBatch(projectId, records);
    },
    async listCalls(projectId, q) {
      guard();
      const params: Record<string, unknown> = { projectId, limit: q.limit + 1 };
      if (q.traceId !== undefined) params.traceId = idBytes(q.traceId);
      if (q.model !== undefined) params.model = q.model;
      if (q.service !== undefined) params.service = q.service;
      if (q.provider !== undefined) params.provider = q.provider;
      if (q.operation !== undefined) params.operation = q.operation;
      if (q.status !== undefined) params.status = q.status;
      for (const f of SPAN_RANGE_FILTERS) {
        if (q[f.key] !== undefined) params[f.key] = q[f.key];
      }
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
    async readRollups(projectId, ranges, filter) {
      guard();
      const q = rollupSelectQuery('sqlite', projectId, ranges, filter);
      let stmt = rollupStatements.get(q.sql);
      if (stmt === undefined) {
        // Rows as arrays (no per-row object with 17 named keys): the read is most of a
        // month-long summary's time.
        stmt = db.prepare(q.sql).raw(true);
        if (rollupStatements.size >= MAX_CACHED_ROLLUP_STATEMENTS) rollupStatements.clear();
        rollupStatements.set(q.sql, stmt);
      }
      return (stmt.all(...q.params) as unknown[][]).map(rollupFromArray);
    },
    async listModels(projectId) {
      guard();
      return (selectModels.all(projectId) as ModelRow[]).map(fromModelRow);
    },
    async updateModelMetadata(projectId, model, patch) {
      guard();
      const row = selectModel.get(projectId, model) as ModelRow | undefined;
      if (row === undefined) return null;
      const merged: ModelMetadata = { ...fromModelRow(row), ...patch };
      updateModel.run({
        projectId,
        model,
        owner: merged.owner,
        purpose: merged.purpose,
        reviewedAt: merged.reviewedAt,
        onFailure: merged.onFailure,
        now: Date.now(),
      });
      return fromModelRow(selectModel.get(projectId, model) as ModelRow);
    },
    async deleteCallsBefore(beforeUnixNano, limit) {
      guard();
      return deleteCallsBatch(beforeUnixNano, limit);
    },
    async deleteRollupsBefore(beforeMs, limit) {
      guard();
      return deleteRollupsBatch(beforeMs, limit);
    },
    async appendAudit(projectId, e) {
      guard();
      insertAudit.run(
        projectId,
        e.atMs,
        e.keyId,
        e.method,
        e.route,
        e.path,
        JSON.stringify(e.filters),
        e.status,
        e.records,
      );
    },
    async listAudit(projectId, q) {
      guard();
      const where = ['project_id = @projectId'];
      if (q.fromMs !== undefined) where.push('at_ms >= @fromMs');
      if (q.toMs !== undefined) where.push('at_ms < @toMs');
      if (q.route !== undefined) where.push('route = @route');
      if (q.keyId !== undefined) where.push('key_id = @keyId');
      if (q.beforeSeq !== undefined) where.push('seq < @beforeSeq');
      const key = where.join(' AND ');
      let stmt = auditStatements.get(key);
      if (stmt === undefined) {
        stmt = db.prepare(`SELECT * FROM audit_log WHERE ${key} ORDER BY seq DESC LIMIT @limit`);
        auditStatements.set(key, stmt);
      }
      const params: Record<string, unknown> = { projectId, limit: q.limit };
      for (const k of ['fromMs', 'toMs', 'route', 'keyId', 'beforeSeq'] as const) {
        if (q[k] !== undefined) params[k] = q[k];
      }
      const rows = stmt.all(params) as AuditRow[];
      return rows.map(
        (r): StoredAuditEntry => ({
          seq: r.seq,
          atMs: r.at_ms,
          keyId: r.key_id,
          method: r.method,
          route: r.route,
          path: r.path,
          filters: JSON.parse(r.filters) as Record<string, string>,
          status: r.status,
          records: r.records,
        }),
      );
    },
    async deleteAuditBefore(beforeMs, limit) {
      guard();
      return deleteAudit.run(beforeMs, limit).changes;
    },
    async insertFeedback(projectId, f, createdAtMs) {
      guard();
      const row = insertFeedback.get({
        id: randomUUID(),
        projectId,
        traceId: idBytes(f.traceId),
        spanId: f.spanId === null ? null : idBytes(f.spanId),
        score: f.score,
        label: f.label,
        comment: f.comment,
        createdAtMs,
      }) as FeedbackRow | undefined;
      return row === undefined ? null : fromFeedbackRow(row);
    },
    async listFeedback(projectId, traceId) {
      guard();
      return (selectFeedback.all(projectId, idBytes(traceId)) as FeedbackRow[]).map(
        fromFeedbackRow,
      );
    },
    sizeBytes() {
      if (closed) return 0;
      return (pageCount.get() as number) * (pageSize.get() as number);
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
