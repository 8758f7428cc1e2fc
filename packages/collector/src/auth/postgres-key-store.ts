import type pg from 'pg';
import {
  DEFAULT_PROJECT,
  type InsertKeyResult,
  type KeyRow,
  type KeyStore,
  keyInfoFromRow,
  MAX_LIVE_KEYS_PER_PROJECT,
  type NewKey,
  type ProjectRow,
  projectFromRow,
  type StoredKey,
  storedKeyFromRow,
} from './key-store.js';

/** Serialises the DDL when several replicas start at once. */
const DDL_LOCK_KEY = 'pilotlight.api_keys.ddl';

const DDL = `
CREATE TABLE IF NOT EXISTS {{s}}.projects (
  id             TEXT PRIMARY KEY,
  created_at_ms  BIGINT NOT NULL,
  retention_days INTEGER CHECK (retention_days > 0)
);
CREATE TABLE IF NOT EXISTS {{s}}.api_keys (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('project', 'admin')),
  project_id    TEXT REFERENCES {{s}}.projects (id),
  label         TEXT,
  salt          BYTEA NOT NULL,
  hash          BYTEA NOT NULL,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  CHECK ((kind = 'admin') = (project_id IS NULL))
);
CREATE INDEX IF NOT EXISTS api_keys_project ON {{s}}.api_keys (project_id, created_at_ms);
`;

/**
 * Projects and hashed keys in PostgreSQL, shared by every collector on the database.
 * Creates its tables if needed (under an advisory lock) and the `default` project.
 *
 * @example
 * const keys = await openPostgresKeyStore(store.pool, store.schema);
 */
export async function openPostgresKeyStore(pool: pg.Pool, schema = 'public'): Promise<KeyStore> {
  const s = `"${schema.replace(/"/g, '""')}"`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(DDL.replaceAll('{{s}}', s));
    await client.query(
      `INSERT INTO ${s}.projects (id, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [DEFAULT_PROJECT, Date.now()],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }

  return {
    async createProject(id, createdAtMs) {
      const r = await pool.query(
        `INSERT INTO ${s}.projects (id, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [id, createdAtMs],
      );
      return r.rowCount === 1;
    },
    async getProject(id) {
      const r = await pool.query<ProjectRow>(
        `SELECT id, created_at_ms, retention_days FROM ${s}.projects WHERE id = $1`,
        [id],
      );
      return r.rows[0] === undefined ? null : projectFromRow(r.rows[0]);
    },
    async setProjectRetention(id, retentionDays) {
      const r = await pool.query(`UPDATE ${s}.projects SET retention_days = $1 WHERE id = $2`, [
        retentionDays,
        id,
      ]);
      return r.rowCount === 1;
    },
    async listProjects() {
      const r = await pool.query<ProjectRow>(
        `SELECT id, created_at_ms, retention_days FROM ${s}.projects ORDER BY id`,
      );
      return r.rows.map(projectFromRow);
    },
    async insertKey(key: NewKey): Promise<InsertKeyResult> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        if (key.projectId !== null) {
          // The project row lock serialises concurrent key creations for one project.
          const p = await c.query(`SELECT id FROM ${s}.projects WHERE id = $1 FOR UPDATE`, [
            key.projectId,
          ]);
          if (p.rowCount === 0) {
            await c.query('ROLLBACK');
            return 'unknown_project';
          }
          const live = await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${s}.api_keys WHERE project_id = $1 AND revoked_at_ms IS NULL`,
            [key.projectId],
          );
          if (Number(live.rows[0]!.n) >= MAX_LIVE_KEYS_PER_PROJECT) {
            await c.query('ROLLBACK');
            return 'limit_reached';
          }
        }
        await c.query(
          `INSERT INTO ${s}.api_keys (id, kind, project_id, label, salt, hash, created_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [key.id, key.kind, key.projectId, key.label, key.salt, key.hash, key.createdAtMs],
        );
        await c.query('COMMIT');
        return 'inserted';
      } catch (error) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        c.release();
      }
    },
    async findKey(id): Promise<StoredKey | null> {
      const r = await pool.query<KeyRow>(`SELECT * FROM ${s}.api_keys WHERE id = $1`, [id]);
      const row = r.rows[0];
      return row === undefined ? null : storedKeyFromRow(row);
    },
    async listKeys(projectId) {
      const r =
        projectId === null
          ? await pool.query<KeyRow>(
              `SELECT * FROM ${s}.api_keys WHERE project_id IS NULL ORDER BY created_at_ms DESC, id`,
            )
          : await pool.query<KeyRow>(
              `SELECT * FROM ${s}.api_keys WHERE project_id = $1 ORDER BY created_at_ms DESC, id`,
              [projectId],
            );
      return r.rows.map(keyInfoFromRow);
    },
    async revokeKey(id, revokedAtMs) {
      const r = await pool.query(
        `UPDATE ${s}.api_keys SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL`,
        [revokedAtMs, id],
      );
      return r.rowCount === 1;
    },
    async countKeys() {
      const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.api_keys`);
      return Number(r.rows[0]!.n);
    },
    // The pool belongs to the span store, which closes it.
    async close() {},
  };
}
