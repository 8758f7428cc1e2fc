/**
 * Every write of the SQLite store, as synchronous operations on one connection: run in
 * the writer thread (`writer-worker.ts`) or, for `:memory:` databases, on the caller's
 * thread. Reads never come here; they use the main thread's own connection (WAL lets
 * them run while the writer commits).
 */
import type Database from 'better-sqlite3';
import {
  MARGINAL_TABLE,
  marginalParams,
  marginalRows,
  marginalUpsertSql,
  POINT_JSON_FUNCTION,
  SKETCH_PERCENTILES_JSON_FUNCTION,
  SKETCH_QUANTILE_FUNCTION,
  sqliteSketchFunctions,
} from '../../rollups/marginals.js';
import { RollupBatch, toStoredRollupRow } from '../../rollups/rollup.js';
import { rollupParams, rollupUpsertSql, SKETCH_MERGE_FUNCTION } from '../../rollups/sql.js';
import type {
  AuditEntry,
  FeedbackInput,
  InsertDetail,
  ModelMetadata,
  StoredFeedback,
  StoredModel,
} from '../store.js';
import { bindWireRow, COLUMNS, idBytes, type WireRow } from './rows.js';

/**
 * Most spans committed in one group transaction: enough to amortise the fsync of
 * `synchronous=FULL` over many requests, few enough that one commit stays short.
 */
export const MAX_GROUP_SPANS = 5_000;

/** One write, as posted to the writer (plain data: it crosses a thread boundary). */
export type WriteOp =
  | { op: 'insert'; projectId: string; rows: WireRow[] }
  | {
      op: 'updateModel';
      projectId: string;
      model: string;
      patch: Partial<ModelMetadata>;
      nowMs: number;
    }
  | { op: 'deleteCallsBefore'; beforeUnixNano: bigint; limit: number }
  | { op: 'deleteProjectCallsBefore'; projectId: string; beforeUnixNano: bigint; limit: number }
  | { op: 'deleteRollupsBefore'; beforeMs: number; limit: number }
  | { op: 'appendAudit'; projectId: string; entry: AuditEntry }
  | { op: 'deleteAuditBefore'; beforeMs: number; limit: number }
  | {
      op: 'insertFeedback';
      projectId: string;
      id: string;
      feedback: FeedbackInput;
      createdAtMs: number;
    };

/** What a {@link WriteOp} answered: its value, or the message of the error it threw. */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; message: string };

/** A `models` row as selected. */
export interface ModelRow {
  model: string;
  provider: string;
  first_seen_ms: number;
  last_seen_ms: number;
  owner: string | null;
  purpose: string | null;
  reviewed_at: string | null;
  on_failure: string | null;
}

/** The inventory entry of a `models` row. */
export function fromModelRow(row: ModelRow): StoredModel {
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

/** A `feedback` row as selected. */
export interface FeedbackRow {
  id: string;
  trace_id: Buffer;
  span_id: Buffer | null;
  score: number;
  label: string | null;
  comment: string | null;
  created_at_ms: number;
}

/** The stored feedback of a `feedback` row. */
export function fromFeedbackRow(row: FeedbackRow): StoredFeedback {
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

/** Models seen in a group, per project and model: what the `models` upsert writes. */
type SeenModels = Map<string, Map<string, { provider: string; firstMs: number; lastMs: number }>>;

/** The write side of one SQLite connection. */
export interface SqliteWriter {
  /**
   * Runs `ops` in order. Consecutive inserts share one transaction (group commit: one
   * fsync for many requests), each in its own savepoint, so one failing batch fails
   * alone; every outcome is known only once its transaction has committed.
   */
  run(ops: readonly WriteOp[]): WriteOutcome[];
}

/** Prepares the write statements of a migrated database. */
export function createSqliteWriter(db: Database.Database): SqliteWriter {
  // One-dimension rows also keep their percentiles: the quantile function reuses the merge
  // of the same upsert (see sqliteSketchFunctions).
  const sketchFunctions = sqliteSketchFunctions();
  db.function(SKETCH_MERGE_FUNCTION, { deterministic: true }, sketchFunctions.merge);
  db.function(SKETCH_QUANTILE_FUNCTION, { deterministic: true }, sketchFunctions.quantile);
  db.function(
    SKETCH_PERCENTILES_JSON_FUNCTION,
    { deterministic: true },
    sketchFunctions.percentilesJson,
  );
  db.function(POINT_JSON_FUNCTION, { deterministic: true }, sketchFunctions.pointJson);
  const insert = db.prepare(
    `INSERT INTO calls (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
  );
  // Counters add and sketches merge inside SQLite: no read-modify-write round trip.
  const upsertRollup = db.prepare(rollupUpsertSql('sqlite'));
  const upsertMarginal = db.prepare(marginalUpsertSql());
  // Within one UPDATE every expression sees the old row, so the CASE compares old values.
  const upsertModel = db.prepare(
    `INSERT INTO models (project_id, model, provider, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (project_id, model) DO UPDATE SET
       provider = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.provider ELSE provider END,
       first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms),
       last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`,
  );

  /** Inserts one request's rows (a savepoint inside the group's transaction). */
  const insertOne = db.transaction(
    (rows: WireRow[], rollups: RollupBatch, seen: SeenModels): InsertDetail => {
      const newIndexes: number[] = [];
      const calls = [];
      for (let i = 0; i < rows.length; i++) {
        const call = bindWireRow(rows[i]!);
        if (insert.run(rows[i]!).changes === 0) continue;
        newIndexes.push(i);
        calls.push(call);
      }
      // Only spans stored now feed the rollups (a resent span must not count twice), and
      // only once this batch's savepoint has succeeded.
      for (const call of calls) {
        rollups.add(call);
        const model = call.model ?? call.responseModel;
        if (model === null) continue;
        // Whole milliseconds of the exact nanosecond text (a span never starts before 1970).
        const ns = call.startTimeUnixNano;
        const startMs = ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
        let byModel = seen.get(call.projectId);
        if (byModel === undefined) {
          byModel = new Map();
          seen.set(call.projectId, byModel);
        }
        const m = byModel.get(model);
        if (m === undefined) {
          byModel.set(model, { provider: call.provider ?? '', firstMs: startMs, lastMs: startMs });
        } else {
          if (startMs < m.firstMs) m.firstMs = startMs;
          if (startMs >= m.lastMs) {
            m.lastMs = startMs;
            if (call.provider !== null) m.provider = call.provider;
          }
        }
      }
      const inserted = newIndexes.length;
      return { inserted, duplicates: rows.length - inserted, newIndexes };
    },
  );

  /** One transaction for many requests: their rows, then the group's rollups and models. */
  const insertGroup = db.transaction(
    (ops: readonly Extract<WriteOp, { op: 'insert' }>[]): WriteOutcome[] => {
      const rollups = new RollupBatch();
      const seen: SeenModels = new Map();
      const outcomes: WriteOutcome[] = ops.map((o) => {
        try {
          return { ok: true, value: insertOne(o.rows, rollups, seen) };
        } catch (error) {
          return { ok: false, message: messageOf(error) };
        }
      });
      for (const row of rollups.rows()) upsertRollup.run(rollupParams(toStoredRollupRow(row)));
      for (const row of marginalRows(rollups.rows())) {
        upsertMarginal.run(marginalParams(row, row.latencyMs.toBytes(), row.ttftMs.toBytes()));
      }
      for (const [projectId, byModel] of seen) {
        for (const [model, m] of byModel)
          upsertModel.run(projectId, model, m.provider, m.firstMs, m.lastMs);
      }
      return outcomes;
    },
  );

  const selectModel = db.prepare('SELECT * FROM models WHERE project_id = ? AND model = ?');
  const updateModel = db.prepare(
    `UPDATE models SET owner = @owner, purpose = @purpose, reviewed_at = @reviewedAt,
       on_failure = @onFailure, updated_at_ms = @now WHERE project_id = @projectId AND model = @model`,
  );
  const updateModelMetadata = db.transaction(
    (o: Extract<WriteOp, { op: 'updateModel' }>): StoredModel | null => {
      const row = selectModel.get(o.projectId, o.model) as ModelRow | undefined;
      if (row === undefined) return null;
      const merged: ModelMetadata = { ...fromModelRow(row), ...o.patch };
      updateModel.run({
        projectId: o.projectId,
        model: o.model,
        owner: merged.owner,
        purpose: merged.purpose,
        reviewedAt: merged.reviewedAt,
        onFailure: merged.onFailure,
        now: o.nowMs,
      });
      return fromModelRow(selectModel.get(o.projectId, o.model) as ModelRow);
    },
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
  // Projects and tiers of the full rows or of the one-dimension rows: either may outlast
  // the other when a batch limit falls between them.
  const rollupProjects = db.prepare(
    `WITH RECURSIVE p(id) AS (
       SELECT MIN(project_id) FROM rollups
       UNION ALL SELECT (SELECT MIN(project_id) FROM rollups WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
     ), m(id) AS (
       SELECT MIN(project_id) FROM ${MARGINAL_TABLE}
       UNION ALL SELECT (SELECT MIN(project_id) FROM ${MARGINAL_TABLE} WHERE project_id > m.id) FROM m WHERE m.id IS NOT NULL
     ) SELECT id FROM p WHERE id IS NOT NULL UNION SELECT id FROM m WHERE id IS NOT NULL`,
  );
  const rollupTiers = db.prepare(
    `SELECT DISTINCT bucket_sec FROM rollups WHERE project_id = @id
     UNION SELECT DISTINCT bucket_sec FROM ${MARGINAL_TABLE} WHERE project_id = @id`,
  );
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
  const deleteMarginals = db.prepare(
    `DELETE FROM ${MARGINAL_TABLE} WHERE (project_id, bucket_sec, dimension, bucket_start_ms, value) IN (
       SELECT project_id, bucket_sec, dimension, bucket_start_ms, value FROM ${MARGINAL_TABLE}
       WHERE project_id = ? AND bucket_sec = ? AND bucket_start_ms < ? LIMIT ?)`,
  );
  const deleteRollupsBatch = db.transaction((beforeMs: number, limit: number): number => {
    let deleted = 0;
    for (const { id } of rollupProjects.all() as { id: string }[]) {
      for (const { bucket_sec } of rollupTiers.all({ id }) as { bucket_sec: number }[]) {
        if (deleted >= limit) return deleted;
        deleted += deleteRollups.run(id, bucket_sec, beforeMs, limit - deleted).changes;
        // The one-dimension rows of the tier expire with the full ones.
        if (deleted >= limit) return deleted;
        deleted += deleteMarginals.run(id, bucket_sec, beforeMs, limit - deleted).changes;
      }
    }
    return deleted;
  });
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (project_id, at_ms, key_id, method, route, path, filters, status, records)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const deleteAudit = db.prepare(
    'DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at_ms < ? ORDER BY seq LIMIT ?)',
  );
  // The existence check and the insert are one statement: feedback only on a stored call.
  const insertFeedback = db.prepare(
    `INSERT INTO feedback (id, project_id, trace_id, span_id, score, label, comment, created_at_ms)
     SELECT @id, @projectId, @traceId, @spanId, @score, @label, @comment, @createdAtMs
     WHERE EXISTS (SELECT 1 FROM calls WHERE project_id = @projectId AND trace_id = @traceId
       AND (@spanId IS NULL OR span_id = @spanId))
     RETURNING id, trace_id, span_id, score, label, comment, created_at_ms`,
  );

  const applyOne = (o: Exclude<WriteOp, { op: 'insert' }>): unknown => {
    switch (o.op) {
      case 'updateModel':
        return updateModelMetadata(o);
      case 'deleteCallsBefore':
        return deleteCallsBatch(o.beforeUnixNano, o.limit);
      case 'deleteProjectCallsBefore':
        return deleteCalls.run(o.projectId, o.beforeUnixNano, o.limit).changes;
      case 'deleteRollupsBefore':
        return deleteRollupsBatch(o.beforeMs, o.limit);
      case 'appendAudit': {
        const e = o.entry;
        insertAudit.run(
          o.projectId,
          e.atMs,
          e.keyId,
          e.method,
          e.route,
          e.path,
          JSON.stringify(e.filters),
          e.status,
          e.records,
        );
        return null;
      }
      case 'deleteAuditBefore':
        return deleteAudit.run(o.beforeMs, o.limit).changes;
      case 'insertFeedback': {
        const f = o.feedback;
        const row = insertFeedback.get({
          id: o.id,
          projectId: o.projectId,
          traceId: idBytes(f.traceId),
          spanId: f.spanId === null ? null : idBytes(f.spanId),
          score: f.score,
          label: f.label,
          comment: f.comment,
          createdAtMs: o.createdAtMs,
        }) as FeedbackRow | undefined;
        return row === undefined ? null : fromFeedbackRow(row);
      }
    }
  };

  return {
    run(ops) {
      const outcomes: WriteOutcome[] = [];
      let i = 0;
      while (i < ops.length) {
        const first = ops[i]!;
        if (first.op !== 'insert') {
          try {
            outcomes.push({ ok: true, value: applyOne(first) });
          } catch (error) {
            outcomes.push({ ok: false, message: messageOf(error) });
          }
          i++;
          continue;
        }
        const group: Extract<WriteOp, { op: 'insert' }>[] = [];
        let spans = 0;
        while (i < ops.length) {
          const o = ops[i]!;
          if (o.op !== 'insert' || (group.length > 0 && spans + o.rows.length > MAX_GROUP_SPANS))
            break;
          group.push(o);
          spans += o.rows.length;
          i++;
        }
        try {
          outcomes.push(...insertGroup(group));
        } catch (error) {
          // The commit itself (or the group's rollups) failed: nothing of the group is stored.
          const message = messageOf(error);
          for (let k = 0; k < group.length; k++) outcomes.push({ ok: false, message });
        }
      }
      return outcomes;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
