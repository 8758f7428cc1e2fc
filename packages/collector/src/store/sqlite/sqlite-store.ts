import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import {
  JS_SUM_FUNCTION,
  type MarginalPointsReader,
  type MarginalRollupReader,
  marginalParams,
  marginalPointsQuery,
  marginalQuantileBackfillSql,
  marginalRows,
  marginalSelectQuery,
  marginalUpsertSql,
  POINT_JSON_FUNCTION,
  SKETCH_PERCENTILES_JSON_FUNCTION,
  SKETCH_QUANTILE_FUNCTION,
  serializePoints,
  sqliteSketchFunctions,
  sqliteSumFunction,
  storedRowFromMarginal,
} from '../../rollups/marginals.js';
import type { StoredRollupRow } from '../../rollups/rollup.js';
import { fromStoredRollupRow } from '../../rollups/rollup.js';
import { QuantileSketch } from '../../rollups/sketch.js';
import {
  rollupSelectQuery,
  SKETCH_MERGE_FUNCTION,
  storedRollupRowFromSqlValues,
} from '../../rollups/sql.js';
import type {
  AuditStore,
  FeedbackStore,
  InsertDetail,
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
import { fromRow, idBytes, type Row, toWireRow } from './rows.js';
import {
  createSqliteWriter,
  type FeedbackRow,
  fromFeedbackRow,
  fromModelRow,
  type ModelRow,
  type WriteOp,
} from './writer.js';
import { startWriterThread } from './writer-client.js';

/** How long a writer waits for another connection's lock before failing (ms). */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * Page cache per connection (KiB). SQLite's default is 2 MiB; the unique index on
 * random trace/span ids is touched all over on every insert, so a larger cache
 * keeps more of it in memory as the table grows.
 */
const CACHE_SIZE_KIB = 32 * 1024;
/**
 * Page cache of the connection that only reads while a writer thread writes (KiB): the
 * reads walk the start-time index and the rollups' primary key, both narrow ranges, so
 * they need far less cache than the writer; every MiB here is resident memory.
 */
const READER_CACHE_SIZE_KIB = 8 * 1024;

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
  /**
   * Write from a dedicated thread (default: true for a file, always false for
   * `:memory:`). The thread owns the only writing connection and commits the batches that
   * queue up while it works in one transaction (group commit), so request parsing on the
   * main thread overlaps with writing and one fsync serves many requests. Reads stay on
   * the calling thread's own connection (WAL). Without the worker's code (a build without
   * the `sqlite-writer` entry) the store writes on the calling thread.
   */
  writerThread?: boolean;
}

/** A {@link SpanStore} and {@link ReadSideStore} on one SQLite file (WAL), plus where that file is. */
export interface SqliteSpanStore
  extends SpanStore,
    ReadSideStore,
    MarginalRollupReader,
    MarginalPointsReader,
    AuditStore,
    FeedbackStore {
  /** Absolute path of the database file. */
  readonly path: string;
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

/**
 * Folds the hour and day rollup rows stored before migration 6 into the one-dimension
 * rows, once (the marker row of `rollup_marginals_backfill` says whether it is still to
 * do), under the write lock so that two collectors starting at once do it once.
 */
function backfillMarginals(db: Database.Database): void {
  const pending = () =>
    db.prepare('SELECT 1 FROM rollup_marginals_backfill WHERE pending = 1').get() !== undefined;
  if (!pending()) return;
  registerSketchFunctions(db);
  const upsert = db.prepare(marginalUpsertSql());
  const select = db.prepare('SELECT * FROM rollups WHERE bucket_sec IN (3600, 86400)').raw(true);
  db.transaction(() => {
    if (!pending()) return;
    const rows = function* () {
      for (const v of select.iterate() as IterableIterator<unknown[]>)
        yield fromStoredRollupRow(storedRollupRowFromSqlValues(v));
    };
    for (const row of marginalRows(rows())) {
      upsert.run(marginalParams(row, row.latencyMs.toBytes(), row.ttftMs.toBytes()));
    }
    db.prepare('DELETE FROM rollup_marginals_backfill').run();
  }).immediate();
}

function registerSketchFunctions(db: Database.Database): void {
  const fns = sqliteSketchFunctions();
  db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, fns.merge);
  db.function(SKETCH_QUANTILE_FUNCTION, { deterministic: true }, fns.quantile);
  db.function(SKETCH_PERCENTILES_JSON_FUNCTION, { deterministic: true }, fns.percentilesJson);
  db.function(POINT_JSON_FUNCTION, { deterministic: true }, fns.pointJson);
}

/**
 * Computes the stored percentiles of one-dimension rows written before migration 7 (or 8), once
 * (marker row of `rollup_marginal_quantiles_backfill`), under the write lock. Rows still
 * without them are read with their sketches, so answers are right either way.
 */
function backfillMarginalQuantiles(db: Database.Database): void {
  const pending = () =>
    db.prepare('SELECT 1 FROM rollup_marginal_quantiles_backfill WHERE pending = 1').get() !==
    undefined;
  if (!pending()) return;
  registerSketchFunctions(db);
  const update = db.prepare(marginalQuantileBackfillSql());
  const empty = Buffer.from(new QuantileSketch().toBytes());
  db.transaction(() => {
    if (!pending()) return;
    update.run({ empty });
    db.prepare('DELETE FROM rollup_marginal_quantiles_backfill').run();
  }).immediate();
}

/**
 * Opens (creating if needed) a SQLite span store: WAL journal, migrations applied,
 * statements prepared once. Writes go to a writer thread that commits the batches queued
 * while it works in one transaction (see {@link SqliteStoreOptions.writerThread}); every
 * write resolves only once committed. Reads run on this thread's own connection.
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
    backfillMarginals(db);
    backfillMarginalQuantiles(db);
    // readMarginalPoints sums the points' doubles in SQL, in JavaScript's order.
    db.aggregate(JS_SUM_FUNCTION, sqliteSumFunction);
  } catch (error) {
    db.close();
    throw error;
  }

  const threaded =
    file !== ':memory:' &&
    (options.writerThread ?? true) &&
    startWriterThread({
      path: file,
      synchronous: options.synchronous ?? 'full',
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      cacheSizeKib: CACHE_SIZE_KIB,
    });
  const thread = threaded === false ? null : threaded;
  const local = thread === null ? createSqliteWriter(db) : null;
  if (thread !== null) db.pragma(`cache_size = -${READER_CACHE_SIZE_KIB}`);
  /** Runs one write on the writer (thread or this one); resolves once it is committed. */
  // Not async: once posted, the rows are the writer's; no frame here keeps them alive.
  const write = <T>(op: WriteOp): Promise<T> => {
    if (thread !== null) return thread.write(op) as Promise<T>;
    const [outcome] = local!.run([op]);
    return outcome!.ok
      ? Promise.resolve(outcome!.value as T)
      : Promise.reject(new Error(outcome!.message));
  };
  const insertBatch = (
    projectId: string,
    records: readonly CallRecord[],
  ): Promise<InsertDetail> => {
    const now = Date.now();
    const rows = records.map((r) => toWireRow(projectId, r, now));
    return write<InsertDetail>({ op: 'insert', projectId, rows });
  };
  const selectModels = db.prepare('SELECT * FROM models WHERE project_id = ? ORDER BY model');
  const auditStatements = new Map<string, Database.Statement>();
  // Summary plans have few shapes (one to a handful of ranges, optional filters).
  const rollupStatements = new Map<string, Database.Statement>();
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
      const { inserted, duplicates } = await insertBatch(projectId, records);
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
    async readMarginalRollups(projectId, ranges, dimension, value) {
      guard();
      const q = marginalSelectQuery(projectId, ranges, dimension, value);
      let stmt = rollupStatements.get(q.sql);
      if (stmt === undefined) {
        stmt = db.prepare(q.sql).raw(true);
        if (rollupStatements.size >= MAX_CACHED_ROLLUP_STATEMENTS) rollupStatements.clear();
        rollupStatements.set(q.sql, stmt);
      }
      return (stmt.all(...q.params) as unknown[][]).map((v) =>
        storedRowFromMarginal(projectId, dimension, v),
      );
    },
    async readMarginalPoints(projectId, ranges, dimension, value) {
      guard();
      const q = marginalPointsQuery(projectId, ranges, dimension, value);
      let stmt = rollupStatements.get(q.sql);
      if (stmt === undefined) {
        stmt = db.prepare(q.sql).raw(true);
        if (rollupStatements.size >= MAX_CACHED_ROLLUP_STATEMENTS) rollupStatements.clear();
        rollupStatements.set(q.sql, stmt);
      }
      return serializePoints(stmt.all(...q.params) as unknown[][]);
    },
    async listModels(projectId) {
      guard();
      return (selectModels.all(projectId) as ModelRow[]).map(fromModelRow);
    },
    async updateModelMetadata(projectId, model, patch) {
      guard();
      return write<StoredModel | null>({
        op: 'updateModel',
        projectId,
        model,
        patch,
        nowMs: Date.now(),
      });
    },
    async deleteCallsBefore(beforeUnixNano, limit) {
      guard();
      return write<number>({ op: 'deleteCallsBefore', beforeUnixNano, limit });
    },
    async deleteProjectCallsBefore(projectId, beforeUnixNano, limit) {
      guard();
      return write<number>({ op: 'deleteProjectCallsBefore', projectId, beforeUnixNano, limit });
    },
    async deleteRollupsBefore(beforeMs, limit) {
      guard();
      return write<number>({ op: 'deleteRollupsBefore', beforeMs, limit });
    },
    async appendAudit(projectId, entry) {
      guard();
      await write<null>({ op: 'appendAudit', projectId, entry });
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
      return write<number>({ op: 'deleteAuditBefore', beforeMs, limit });
    },
    async insertFeedback(projectId, feedback, createdAtMs) {
      guard();
      return write<StoredFeedback | null>({
        op: 'insertFeedback',
        projectId,
        id: randomUUID(),
        feedback,
        createdAtMs,
      });
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
      // A store whose writer thread has stopped reads fine but can store nothing.
      const failure = thread?.failure() ?? null;
      if (failure !== null) throw failure;
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Writes already posted commit first: close never drops an acknowledged batch.
      try {
        await thread?.close();
      } finally {
        db.close();
      }
    },
  };
}
