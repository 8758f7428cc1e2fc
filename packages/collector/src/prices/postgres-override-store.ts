import type pg from 'pg';
import { overrideFromRow, type PriceOverrideRow } from './sqlite-override-store.js';
import { normalizeModelName, type PriceOverrideStore, type StoredPriceOverride } from './types.js';

/** Lock key serialising the DDL when several replicas start at once. */
const DDL_LOCK_KEY = 'pilotlight.price_overrides.ddl';

/** The same tables as SQLite's (`{{s}}` is the quoted schema). */
const DDL = `
CREATE TABLE IF NOT EXISTS {{s}}.price_overrides (
  project_id            text NOT NULL,
  model                 text NOT NULL,
  effective_from_ms     bigint NOT NULL,
  provider              text NOT NULL,
  input_per_mtok        double precision NOT NULL,
  output_per_mtok       double precision NOT NULL,
  cached_input_per_mtok double precision,
  cache_write_per_mtok  double precision,
  created_at_ms         bigint NOT NULL,
  updated_at_ms         bigint NOT NULL,
  PRIMARY KEY (project_id, model, effective_from_ms)
);
CREATE TABLE IF NOT EXISTS {{s}}.price_override_versions (
  project_id text PRIMARY KEY,
  version    bigint NOT NULL
);
`;

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * A {@link PriceOverrideStore} in PostgreSQL, in the span store's schema and pool
 * (`store.pool`, `store.schema`). Creates its tables if needed, under an advisory lock so
 * replicas starting together do not race; {@link PriceOverrideStore.close} leaves the
 * pool open (it belongs to the span store).
 *
 * @example
 * const prices = await openPostgresPriceStore(store.pool, store.schema);
 */
export async function openPostgresPriceStore(
  pool: pg.Pool,
  schema = 'public',
): Promise<PriceOverrideStore> {
  const s = quote(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      DDL_LOCK_KEY,
      schema,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(DDL.replaceAll('{{s}}', s));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const t = `${s}.price_overrides`;
  const v = `${s}.price_override_versions`;
  const bump = `INSERT INTO ${v} (project_id, version) VALUES ($1, 1)
    ON CONFLICT (project_id) DO UPDATE SET version = ${v}.version + 1`;

  const inTransaction = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      c.release();
      return result;
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  };

  return {
    async list(projectId) {
      const { rows } = await pool.query<PriceOverrideRow>(
        `SELECT * FROM ${t} WHERE project_id = $1 ORDER BY model, effective_from_ms`,
        [projectId],
      );
      return rows.map(overrideFromRow);
    },
    async upsert(projectId, overrides, nowMs) {
      return inTransaction(async (c) => {
        const out: StoredPriceOverride[] = [];
        for (const o of overrides) {
          const { rows } = await c.query<PriceOverrideRow>(
            `INSERT INTO ${t} (project_id, model, effective_from_ms, provider, input_per_mtok,
               output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (project_id, model, effective_from_ms) DO UPDATE SET
               provider = excluded.provider, input_per_mtok = excluded.input_per_mtok,
               output_per_mtok = excluded.output_per_mtok,
               cached_input_per_mtok = excluded.cached_input_per_mtok,
               cache_write_per_mtok = excluded.cache_write_per_mtok,
               updated_at_ms = excluded.updated_at_ms
             RETURNING *`,
            [
              projectId,
              normalizeModelName(o.model),
              o.effectiveFromMs,
              o.provider,
              o.inputPerMTok,
              o.outputPerMTok,
              o.cachedInputPerMTok ?? null,
              o.cacheWritePerMTok ?? null,
              nowMs,
            ],
          );
          out.push(overrideFromRow(rows[0]!));
        }
        await c.query(bump, [projectId]);
        return out;
      });
    },
    async remove(projectId, model, effectiveFromMs) {
      return inTransaction(async (c) => {
        const params: unknown[] = [projectId, normalizeModelName(model)];
        if (effectiveFromMs !== null) params.push(effectiveFromMs);
        const { rowCount } = await c.query(
          `DELETE FROM ${t} WHERE project_id = $1 AND model = $2${effectiveFromMs === null ? '' : ' AND effective_from_ms = $3'}`,
          params,
        );
        const deleted = rowCount ?? 0;
        if (deleted > 0) await c.query(bump, [projectId]);
        return deleted;
      });
    },
    async versions() {
      const { rows } = await pool.query<{ project_id: string; version: string }>(
        `SELECT project_id, version FROM ${v}`,
      );
      return new Map(rows.map((r) => [r.project_id, Number(r.version)]));
    },
    async close() {},
  };
}
