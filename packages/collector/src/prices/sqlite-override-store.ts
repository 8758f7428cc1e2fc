import Database from 'better-sqlite3';
import {
  normalizeModelName,
  type PriceOverride,
  type PriceOverrideStore,
  type StoredPriceOverride,
} from './types.js';

/** How long a writer waits for another connection's lock (ms), as the span store does. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Tables of the price overrides in the collector's SQLite file. Idempotent, run at every
 * open through this module's own connection (the span store's migrations do not know
 * them; they may take them over as a numbered migration).
 */
export const SQLITE_PRICE_DDL = `
CREATE TABLE IF NOT EXISTS price_overrides (
  project_id            TEXT NOT NULL,
  model                 TEXT NOT NULL,
  effective_from_ms     INTEGER NOT NULL,
  provider              TEXT NOT NULL,
  input_per_mtok        REAL NOT NULL,
  output_per_mtok       REAL NOT NULL,
  cached_input_per_mtok REAL,
  cache_write_per_mtok  REAL,
  created_at_ms         INTEGER NOT NULL,
  updated_at_ms         INTEGER NOT NULL,
  PRIMARY KEY (project_id, model, effective_from_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS price_override_versions (
  project_id TEXT PRIMARY KEY,
  version    INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** A `price_overrides` row (both engines name and order the columns alike). */
export interface PriceOverrideRow {
  project_id: string;
  model: string;
  effective_from_ms: number | string;
  provider: string;
  input_per_mtok: number;
  output_per_mtok: number;
  cached_input_per_mtok: number | null;
  cache_write_per_mtok: number | null;
  created_at_ms: number | string;
  updated_at_ms: number | string;
}

/** A row as a {@link StoredPriceOverride} (PostgreSQL's BIGINT arrives as a string). */
export function overrideFromRow(row: PriceOverrideRow): StoredPriceOverride {
  return {
    projectId: row.project_id,
    model: row.model,
    provider: row.provider,
    inputPerMTok: row.input_per_mtok,
    outputPerMTok: row.output_per_mtok,
    ...(row.cached_input_per_mtok === null
      ? {}
      : { cachedInputPerMTok: row.cached_input_per_mtok }),
    ...(row.cache_write_per_mtok === null ? {} : { cacheWritePerMTok: row.cache_write_per_mtok }),
    effectiveFromMs: Number(row.effective_from_ms),
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/**
 * A {@link PriceOverrideStore} in the collector's SQLite file, on a connection of its own
 * (WAL, as the span store sets it): give the file's path, or an open handle to share
 * (which {@link PriceOverrideStore.close} then leaves open).
 *
 * @example
 * const prices = openSqlitePriceStore(spanStore.path);
 */
export function openSqlitePriceStore(file: string | Database.Database): PriceOverrideStore {
  const owned = typeof file === 'string';
  const db = owned ? new Database(file) : file;
  try {
    if (owned) db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec(SQLITE_PRICE_DDL);
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  const select = db.prepare(
    'SELECT * FROM price_overrides WHERE project_id = ? ORDER BY model, effective_from_ms',
  );
  const selectOne = db.prepare(
    'SELECT * FROM price_overrides WHERE project_id = ? AND model = ? AND effective_from_ms = ?',
  );
  const upsertRow = db.prepare(
    `INSERT INTO price_overrides (project_id, model, effective_from_ms, provider, input_per_mtok,
       output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, created_at_ms, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id, model, effective_from_ms) DO UPDATE SET
       provider = excluded.provider, input_per_mtok = excluded.input_per_mtok,
       output_per_mtok = excluded.output_per_mtok,
       cached_input_per_mtok = excluded.cached_input_per_mtok,
       cache_write_per_mtok = excluded.cache_write_per_mtok, updated_at_ms = excluded.updated_at_ms`,
  );
  const deleteOne = db.prepare(
    'DELETE FROM price_overrides WHERE project_id = ? AND model = ? AND effective_from_ms = ?',
  );
  const deleteModel = db.prepare('DELETE FROM price_overrides WHERE project_id = ? AND model = ?');
  const bump = db.prepare(
    `INSERT INTO price_override_versions (project_id, version) VALUES (?, 1)
     ON CONFLICT (project_id) DO UPDATE SET version = version + 1`,
  );
  const selectVersions = db.prepare('SELECT project_id, version FROM price_override_versions');

  const upsertAll = db.transaction(
    (projectId: string, overrides: readonly PriceOverride[], nowMs: number) => {
      const out: StoredPriceOverride[] = [];
      for (const o of overrides) {
        const model = normalizeModelName(o.model);
        upsertRow.run(
          projectId,
          model,
          o.effectiveFromMs,
          o.provider,
          o.inputPerMTok,
          o.outputPerMTok,
          o.cachedInputPerMTok ?? null,
          o.cacheWritePerMTok ?? null,
          nowMs,
          nowMs,
        );
        out.push(
          overrideFromRow(selectOne.get(projectId, model, o.effectiveFromMs) as PriceOverrideRow),
        );
      }
      bump.run(projectId);
      return out;
    },
  );
  const removeAll = db.transaction(
    (projectId: string, model: string, effectiveFromMs: number | null): number => {
      const name = normalizeModelName(model);
      const deleted =
        effectiveFromMs === null
          ? deleteModel.run(projectId, name).changes
          : deleteOne.run(projectId, name, effectiveFromMs).changes;
      if (deleted > 0) bump.run(projectId);
      return deleted;
    },
  );

  let closed = false;
  return {
    async list(projectId) {
      return (select.all(projectId) as PriceOverrideRow[]).map(overrideFromRow);
    },
    async upsert(projectId, overrides, nowMs) {
      return upsertAll.immediate(projectId, overrides, nowMs);
    },
    async remove(projectId, model, effectiveFromMs) {
      return removeAll.immediate(projectId, model, effectiveFromMs);
    },
    async versions() {
      const rows = selectVersions.all() as { project_id: string; version: number }[];
      return new Map(rows.map((r) => [r.project_id, r.version]));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) db.close();
    },
  };
}
