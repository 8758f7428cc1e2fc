/**
 * API keys: their format, generation and verification. Pure functions over `node:crypto`;
 * storage lives in the key stores.
 *
 * A key reads `pl_<id>_<secret>`: `id` is 16 hex characters, public (it names the key in
 * listings and the audit log), and `secret` is 32 random bytes in base64url. Only a salted
 * SHA-256 of the secret is stored. A fast hash is the right tool here: the secret has 256
 * bits of entropy, so there is nothing for a slow password hash to protect against, and
 * every request is verified.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of every key, so secret scanners and people recognise one. */
export const KEY_PREFIX = 'pl_';

const KEY_PATTERN = /^pl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A key split into its public id and its secret. */
export interface ParsedKey {
  id: string;
  secret: string;
}

/** A freshly generated key: the plaintext (shown once) and what is stored. */
export interface GeneratedKey {
  /** The whole key, `pl_<id>_<secret>`: give it to the user once, never store it. */
  key: string;
  id: string;
  salt: Buffer;
  hash: Buffer;
}

/** The salted SHA-256 of a key's secret. */
export function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

/** A new random key. */
export function generateKey(): GeneratedKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  return { key: `${KEY_PREFIX}${id}_${secret}`, id, salt, hash: hashSecret(salt, secret) };
}

/** The id and secret of a well-formed key, or null. */
export function parseKey(key: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(key);
  return m === null ? null : { id: m[1]!, secret: m[2]! };
}

/** Whether `secret` hashes to `hash` under `salt`, compared in constant time. */
export function secretMatches(secret: string, salt: Buffer, hash: Buffer): boolean {
  const candidate = hashSecret(salt, secret);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}

/**
 * The key of an `Authorization: Bearer <key>` header value, or null when the header is
 * missing or not a bearer credential.
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m === null ? null : m[1]!;
}

/** Project names: they are the project's id in URLs, keys and the stored records. */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Why a project name is refused, or null when it is fine. */
export function projectNameProblem(name: string): string | null {
  return PROJECT_NAME_PATTERN.test(name)
    ? null
    : 'use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit';
}
