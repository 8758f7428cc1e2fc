import {
  type ApiKeyInfo,
  iso,
  type KeyKind,
  type KeyStore,
  type Project,
  type StoredKey,
} from './key-store.js';
import { type GeneratedKey, generateKey, parseKey, secretMatches } from './keys.js';

/** How long a verified (or unknown) key id is trusted before the store is asked again (ms). */
export const KEY_CACHE_TTL_MS = 5_000;
/** How long the "are there any live keys" answer is trusted (ms). */
export const MODE_CACHE_TTL_MS = 2_000;
/** Cached key lookups kept at most (unknown ids included, so guessing cannot grow memory). */
const KEY_CACHE_MAX = 10_000;

/** Who a request is. */
export type Principal =
  | { kind: 'project'; projectId: string; keyId: string }
  | { kind: 'admin'; keyId: string };

/** A key just created: its plaintext is in this object only. */
export interface CreatedKey {
  /** The whole key: show it once, it cannot be recovered. */
  key: string;
  info: ApiKeyInfo;
}

/** Why a key was not created. */
export type CreateKeyFailure = 'unknown_project' | 'limit_reached';

interface CacheEntry {
  key: StoredKey | null;
  untilMs: number;
}

/**
 * Projects and API keys over a {@link KeyStore}: creates keys (returning the plaintext
 * once), revokes them, and verifies request keys with a short cache so each request
 * costs a hash, not a database round trip. A key revoked through this instance stops
 * working at once; revoked on another collector, within {@link KEY_CACHE_TTL_MS}.
 */
export class Auth {
  private readonly cache = new Map<string, CacheEntry>();
  private mode: { live: boolean; untilMs: number } | null = null;

  constructor(
    readonly store: KeyStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether any key was ever created: until then the collector runs in zero-config local
   * mode. Once one exists every request needs a key, even after all are revoked.
   */
  async hasKeys(): Promise<boolean> {
    const t = this.now();
    if (this.mode !== null && t < this.mode.untilMs) return this.mode.live;
    const live = (await this.store.countKeys()) > 0;
    this.mode = { live, untilMs: t + MODE_CACHE_TTL_MS };
    return live;
  }

  /** Who holds `key`, or null for a malformed, unknown or revoked key (no hint which). */
  async verify(key: string): Promise<Principal | null> {
    const parsed = parseKey(key);
    if (parsed === null) return null;
    const stored = await this.lookup(parsed.id);
    if (stored === null || stored.revokedAt !== null) return null;
    if (!secretMatches(parsed.secret, stored.salt, stored.hash)) return null;
    return stored.kind === 'admin'
      ? { kind: 'admin', keyId: stored.id }
      : { kind: 'project', projectId: stored.projectId!, keyId: stored.id };
  }

  private async lookup(id: string): Promise<StoredKey | null> {
    const t = this.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && t < hit.untilMs) return hit.key;
    const key = await this.store.findKey(id);
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(id, { key, untilMs: t + KEY_CACHE_TTL_MS });
    return key;
  }

  /** Creates a project; false when the name is taken. */
  async createProject(name: string): Promise<boolean> {
    return this.store.createProject(name, this.now());
  }

  getProject(name: string): Promise<Project | null> {
    return this.store.getProject(name);
  }

  listProjects(): Promise<Project[]> {
    return this.store.listProjects();
  }

  /** Sets a project's own call retention in days (null: the collector-wide one). */
  setProjectRetention(name: string, retentionDays: number | null): Promise<boolean> {
    return this.store.setProjectRetention(name, retentionDays);
  }

  /** Keys of a project (or the admin keys, for null), without secrets. */
  listKeys(projectId: string | null): Promise<ApiKeyInfo[]> {
    return this.store.listKeys(projectId);
  }

  /**
   * Creates a key for a project (or an admin key, for null).
   * @returns the key, shown once, or why it was refused.
   */
  async createKey(
    projectId: string | null,
    label: string | null = null,
  ): Promise<CreatedKey | CreateKeyFailure> {
    const kind: KeyKind = projectId === null ? 'admin' : 'project';
    const generated: GeneratedKey = generateKey();
    const createdAtMs = this.now();
    const result = await this.store.insertKey({
      id: generated.id,
      kind,
      projectId,
      label,
      salt: generated.salt,
      hash: generated.hash,
      createdAtMs,
    });
    if (result !== 'inserted') return result;
    this.cache.delete(generated.id);
    this.mode = null;
    return {
      key: generated.key,
      info: {
        id: generated.id,
        kind,
        projectId,
        label,
        createdAt: iso(createdAtMs),
        revokedAt: null,
      },
    };
  }

  /** The key `id` (live or revoked), without its secret, or null when unknown. */
  async keyInfo(id: string): Promise<ApiKeyInfo | null> {
    const key = await this.store.findKey(id);
    if (key === null) return null;
    const { salt: _salt, hash: _hash, ...rest } = key;
    return rest;
  }

  /** Revokes a key; false when it is unknown or already revoked. Effective at once here. */
  async revokeKey(id: string): Promise<boolean> {
    const revoked = await this.store.revokeKey(id, this.now());
    this.cache.delete(id);
    this.mode = null;
    return revoked;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
