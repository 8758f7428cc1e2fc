import Database from 'better-sqlite3';
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

/** How long a connection waits for another's write lock (ms), like the span store. */
const BUSY_TIMEOUT_MS = 5_000;

const DDL = `
CREATE TABLE IF NOT EXISTS projects (
  id             TEXT PRIMARY KEY,
  created_at_ms  INTEGER NOT NULL,
  retention_days INTEGER CHECK (retention_days > 0)
) STRICT;
CREATE TABLE IF NOT EXISTS api_keys (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('project', 'admin')),
  project_id    TEXT REFERENCES projects (id),
  label         TEXT,
  salt          BLOB NOT NULL,
  hash          BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER,
  CHECK ((kind = 'admin') = (project_id IS NULL))
) STRICT;
CREATE INDEX IF NOT EXISTS api_keys_project ON api_keys (project_id, created_at_ms);
`;

/**
 * Projects and hashed keys in the collector's SQLite file, through a connection of their
 * own (`synchronous = FULL`: a key shown to the user is durably stored).
 *
 * @example
 * const keys = openSqliteKeyStore('/var/lib/pilotlight/pilotlight.db');
 */
export function openSqliteKeyStore(path: string): KeyStore {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(DDL);
  db.prepare('INSERT OR IGNORE INTO projects (id, created_at_ms) VALUES (?, ?)').run(
    DEFAULT_PROJECT,
    Date.now(),
  );
  const insertProject = db.prepare(
    'INSERT OR IGNORE INTO projects (id, created_at_ms) VALUES (?, ?)',
  );
  const getProject = db.prepare<[string], ProjectRow>(
    'SELECT id, created_at_ms, retention_days FROM projects WHERE id = ?',
  );
  const listProjects = db.prepare<[], ProjectRow>(
    'SELECT id, created_at_ms, retention_days FROM projects ORDER BY id',
  );
  const liveOfProject = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM api_keys WHERE project_id = ? AND revoked_at_ms IS NULL',
  );
  const insertKey = db.prepare(
    `INSERT INTO api_keys (id, kind, project_id, label, salt, hash, created_at_ms)
     VALUES (@id, @kind, @projectId, @label, @salt, @hash, @createdAtMs)`,
  );
  const findKey = db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE id = ?');
  const keysOfProject = db.prepare<[string], KeyRow>(
    'SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at_ms DESC, id',
  );
  const adminKeys = db.prepare<[], KeyRow>(
    'SELECT * FROM api_keys WHERE project_id IS NULL ORDER BY created_at_ms DESC, id',
  );
  const revoke = db.prepare(
    'UPDATE api_keys SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL',
  );
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM api_keys');
  // IMMEDIATE: the live-key count and the insert see no concurrent writer in between.
  const insertChecked = db.transaction((key: NewKey): InsertKeyResult => {
    if (key.projectId !== null) {
      if (getProject.get(key.projectId) === undefined) return 'unknown_project';
      if (liveOfProject.get(key.projectId)!.n >= MAX_LIVE_KEYS_PER_PROJECT) return 'limit_reached';
    }
    insertKey.run(key);
    return 'inserted';
  });
  let closed = false;
  const setRetention = db.prepare('UPDATE projects SET retention_days = ? WHERE id = ?');

  return {
    async createProject(id, createdAtMs) {
      return insertProject.run(id, createdAtMs).changes === 1;
    },
    async getProject(id) {
      const row = getProject.get(id);
      return row === undefined ? null : projectFromRow(row);
    },
    async setProjectRetention(id, retentionDays) {
      return setRetention.run(retentionDays, id).changes === 1;
    },
    async listProjects() {
      return listProjects.all().map(projectFromRow);
    },
    async insertKey(key) {
      return insertChecked.immediate(key);
    },
    async findKey(id): Promise<StoredKey | null> {
      const row = findKey.get(id);
      return row === undefined ? null : storedKeyFromRow(row);
    },
    async listKeys(projectId) {
      return (projectId === null ? adminKeys.all() : keysOfProject.all(projectId)).map(
        keyInfoFromRow,
      );
    },
    async revokeKey(id, revokedAtMs) {
      return revoke.run(revokedAtMs, id).changes === 1;
    },
    async countKeys() {
      return countAll.get()!.n;
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
