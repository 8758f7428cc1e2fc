/** What projects and API keys are, as stored; the engines implement {@link KeyStore}. */

/** The project every record belongs to when no keys exist (zero-config local use). */
export const DEFAULT_PROJECT = 'default';

/** Live keys a project may hold at once: two, so a key can be rotated without a gap. */
export const MAX_LIVE_KEYS_PER_PROJECT = 2;

/** A project. Its id is its name. */
export interface Project {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  /**
   * Days this project's calls are kept, or null for the collector-wide
   * `PILOTLIGHT_RETENTION_DAYS`. It can only shorten that: the collector-wide value is the
   * longest anything is kept.
   */
  retentionDays: number | null;
}

/** `project` keys read and write one project's data; `admin` keys manage projects and keys. */
export type KeyKind = 'project' | 'admin';

/** An API key as listed: never its secret or hash. */
export interface ApiKeyInfo {
  /** Public id (the part after `pl_`). */
  id: string;
  kind: KeyKind;
  /** The project of a `project` key; null for an admin key. */
  projectId: string | null;
  label: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null while the key is live. */
  revokedAt: string | null;
}

/** A stored key with what verifies it. */
export interface StoredKey extends ApiKeyInfo {
  salt: Buffer;
  hash: Buffer;
}

/** A key to store. */
export interface NewKey {
  id: string;
  kind: KeyKind;
  projectId: string | null;
  label: string | null;
  salt: Buffer;
  hash: Buffer;
  createdAtMs: number;
}

/** What {@link KeyStore.insertKey} did. */
export type InsertKeyResult = 'inserted' | 'unknown_project' | 'limit_reached';

/** Where projects and hashed API keys live (in the collector's database). */
export interface KeyStore {
  /** Creates a project; false when one with that id exists. */
  createProject(id: string, createdAtMs: number): Promise<boolean>;
  getProject(id: string): Promise<Project | null>;
  /** Sets a project's own call retention (null: the collector-wide one); false when unknown. */
  setProjectRetention(id: string, retentionDays: number | null): Promise<boolean>;
  listProjects(): Promise<Project[]>;
  /**
   * Stores a key unless its project is unknown or already holds
   * {@link MAX_LIVE_KEYS_PER_PROJECT} live keys (checked and written atomically).
   */
  insertKey(key: NewKey): Promise<InsertKeyResult>;
  /** A key by id (live or revoked), or null. */
  findKey(id: string): Promise<StoredKey | null>;
  /** Keys of a project (or admin keys for null), newest first. */
  listKeys(projectId: string | null): Promise<ApiKeyInfo[]>;
  /** Revokes a live key; false when it is unknown or already revoked. */
  revokeKey(id: string, revokedAtMs: number): Promise<boolean>;
  /**
   * How many keys were ever created, revoked ones included. Zero: the collector runs in
   * zero-config local mode; revoking every key does not reopen it.
   */
  countKeys(): Promise<number>;
  close(): Promise<void>;
}

/** ISO 8601 of Unix ms (PostgreSQL returns BIGINT columns as strings). */
export function iso(ms: number | string): string {
  return new Date(Number(ms)).toISOString();
}

/** A `projects` row as either engine returns it. */
export interface ProjectRow {
  id: string;
  created_at_ms: number | string;
  retention_days: number | null;
}

/** An `api_keys` row as either engine returns it. */
export interface KeyRow {
  id: string;
  kind: KeyKind;
  project_id: string | null;
  label: string | null;
  salt: Buffer;
  hash: Buffer;
  created_at_ms: number | string;
  revoked_at_ms: number | string | null;
}

/** The {@link Project} of a stored row. */
export function projectFromRow(row: ProjectRow): Project {
  return { id: row.id, createdAt: iso(row.created_at_ms), retentionDays: row.retention_days };
}

/** The {@link StoredKey} of a stored row. */
export function storedKeyFromRow(row: KeyRow): StoredKey {
  return {
    id: row.id,
    kind: row.kind,
    projectId: row.project_id,
    label: row.label,
    createdAt: iso(row.created_at_ms),
    revokedAt: row.revoked_at_ms === null ? null : iso(row.revoked_at_ms),
    salt: row.salt,
    hash: row.hash,
  };
}

/** The {@link ApiKeyInfo} (no salt or hash) of a stored row. */
export function keyInfoFromRow(row: KeyRow): ApiKeyInfo {
  const { salt: _salt, hash: _hash, ...info } = storedKeyFromRow(row);
  return info;
}
