import type { CallRecord } from '@pilotlight/conventions';
import type pg from 'pg';
import { rollupLockSql } from '../../rollups/sql.js';
import type { ModelMetadata, StoredModel } from '../store.js';
import { inTransaction } from './client.js';
import { ADVISORY_LOCK_CLASS, quoteIdent } from './migrations.js';

interface ModelRow {
  model: string;
  provider: string;
  first_seen_ms: string;
  last_seen_ms: string;
  owner: string | null;
  purpose: string | null;
  reviewed_at: string | null;
  on_failure: string | null;
}

function fromModelRow(row: ModelRow): StoredModel {
  return {
    model: row.model,
    provider: row.provider,
    firstSeenMs: Number(row.first_seen_ms),
    lastSeenMs: Number(row.last_seen_ms),
    owner: row.owner,
    purpose: row.purpose,
    reviewedAt: row.reviewed_at,
    onFailure: row.on_failure,
  };
}

/**
 * Records first and last sighting of each model of newly stored calls, in the ingest
 * transaction. The upsert keeps the earliest first and the latest last sighting, so
 * concurrent writers in any order end with the same row; rows are written in model
 * order so two transactions never lock them in opposite orders.
 */
export async function writeModels(
  client: pg.ClientBase,
  projectId: string,
  records: readonly CallRecord[],
): Promise<void> {
  const seen = new Map<string, { provider: string; firstMs: number; lastMs: number }>();
  for (const r of records) {
    const model = r.model ?? r.responseModel;
    if (model === null) continue;
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
  if (seen.size === 0) return;
  const models = [...seen.keys()].sort();
  await client.query(
    `INSERT INTO models AS m (project_id, model, provider, first_seen_ms, last_seen_ms)
     SELECT $1, t.model, t.provider, t.first_ms, t.last_ms
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS t(model, provider, first_ms, last_ms)
     ON CONFLICT (project_id, model) DO UPDATE SET
       provider = CASE WHEN excluded.last_seen_ms >= m.last_seen_ms THEN excluded.provider ELSE m.provider END,
       first_seen_ms = LEAST(m.first_seen_ms, excluded.first_seen_ms),
       last_seen_ms = GREATEST(m.last_seen_ms, excluded.last_seen_ms)`,
    [
      projectId,
      models,
      models.map((m) => seen.get(m)?.provider ?? ''),
      models.map((m) => String(seen.get(m)?.firstMs ?? 0)),
      models.map((m) => String(seen.get(m)?.lastMs ?? 0)),
    ],
  );
}

/** Every model seen in a project, by name (byte order, as SQLite sorts). */
export async function listModels(pool: pg.Pool, projectId: string): Promise<StoredModel[]> {
  const { rows } = await pool.query<ModelRow>(
    'SELECT * FROM models WHERE project_id = $1 ORDER BY model COLLATE "C"',
    [projectId],
  );
  return rows.map(fromModelRow);
}

/** Sets the given metadata fields of a seen model; null when the model was never seen. */
export async function updateModelMetadata(
  pool: pg.Pool,
  projectId: string,
  model: string,
  patch: Partial<ModelMetadata>,
): Promise<StoredModel | null> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<ModelRow>(
      'SELECT * FROM models WHERE project_id = $1 AND model = $2 FOR UPDATE',
      [projectId, model],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const merged: ModelMetadata = { ...fromModelRow(row), ...patch };
    const updated = await client.query<ModelRow>(
      `UPDATE models SET owner = $3, purpose = $4, reviewed_at = $5, on_failure = $6, updated_at_ms = $7
        WHERE project_id = $1 AND model = $2 RETURNING *`,
      [
        projectId,
        model,
        merged.owner,
        merged.purpose,
        merged.reviewedAt,
        merged.onFailure,
        String(Date.now()),
      ],
    );
    return fromModelRow(updated.rows[0] as ModelRow);
  });
}

// Each distinct project in one index seek (a loose index scan), for the per-project deletes.
const projectsOf = (table: string): string => `WITH RECURSIVE p(id) AS (
    SELECT min(project_id) FROM ${table}
    UNION ALL SELECT (SELECT min(project_id) FROM ${table} WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
  ) SELECT id FROM p WHERE id IS NOT NULL`;

/**
 * Retention of calls, at most about `limit` rows per call: first whole day partitions
 * that end at or before the cutoff are dropped (their rows counted first; a catalog
 * operation instead of a row-by-row delete), then older rows left in the partition
 * holding the cutoff and in the default partition are deleted per project through the
 * (project_id, start_ns) index. Fewer than `limit` means nothing expired is left.
 */
export async function deleteCallsBefore(
  pool: pg.Pool,
  schema: string,
  beforeUnixNano: bigint,
  limit: number,
): Promise<number> {
  const s = quoteIdent(schema);
  const dropped = await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ADVISORY_LOCK_CLASS.partitions,
      schema,
    ]);
    const { rows } = await client.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
      [`${s}.calls`],
    );
    let count = 0;
    for (const row of rows) {
      const m = /TO \('?(-?\d+)'?\)/.exec(row.bound);
      if (m?.[1] === undefined || BigInt(m[1]) > beforeUnixNano) continue;
      const p = `${s}.${quoteIdent(row.name)}`;
      const n = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${p}`);
      count += Number(n.rows[0]?.n ?? 0);
      await client.query(`DROP TABLE ${p}`);
      if (count >= limit) break;
    }
    return count;
  });
  if (dropped >= limit) return dropped;
  let deleted = dropped;
  const { rows: projects } = await pool.query<{ id: string }>(projectsOf('calls'));
  for (const { id } of projects) {
    if (deleted >= limit) break;
    const res = await pool.query(
      `DELETE FROM calls WHERE project_id = $1 AND start_ns < $2 AND seq IN (
         SELECT seq FROM calls WHERE project_id = $1 AND start_ns < $2 ORDER BY start_ns LIMIT $3)`,
      [id, beforeUnixNano.toString(), limit - deleted],
    );
    deleted += res.rowCount ?? 0;
  }
  return deleted;
}

/**
 * Retention of one project's calls (its own, shorter period): at most `limit` rows that
 * started before the cutoff, oldest first, through the (project_id, start_ns) index.
 */
export async function deleteProjectCallsBefore(
  pool: pg.Pool,
  projectId: string,
  beforeUnixNano: bigint,
  limit: number,
): Promise<number> {
  const res = await pool.query(
    `DELETE FROM calls WHERE project_id = $1 AND start_ns < $2 AND seq IN (
       SELECT seq FROM calls WHERE project_id = $1 AND start_ns < $2 ORDER BY start_ns LIMIT $3)`,
    [projectId, beforeUnixNano.toString(), limit],
  );
  return res.rowCount ?? 0;
}

/**
 * Retention of rollups: at most `limit` rows whose bucket starts before `beforeMs`,
 * per project and tier, each under the project's rollup lock so that a concurrent
 * ingest cannot write a deleted row back.
 */
export async function deleteRollupsBefore(
  pool: pg.Pool,
  beforeMs: number,
  limit: number,
): Promise<number> {
  let deleted = 0;
  const { rows: projects } = await pool.query<{ id: string }>(projectsOf('rollups'));
  for (const { id } of projects) {
    if (deleted >= limit) break;
    deleted += await inTransaction(pool, async (client) => {
      await client.query(rollupLockSql(), [id]);
      const res = await client.query(
        `DELETE FROM rollups WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM rollups WHERE project_id = $1 AND bucket_start_ms < $2 LIMIT $3))`,
        [id, String(beforeMs), limit - deleted],
      );
      return res.rowCount ?? 0;
    });
  }
  return deleted;
}

/** Bytes the schema's tables occupy, indexes and TOAST included. */
export async function schemaSizeBytes(pool: pg.Pool, schema: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0]?.bytes ?? 0);
}
