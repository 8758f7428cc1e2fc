import type { Context } from 'hono';

/**
 * What the authentication middleware puts on every request's context: the project the
 * request's API key belongs to (never taken from the request itself) and the key's id
 * (for the audit log; never the key).
 */
export interface ProjectVariables {
  projectId: string;
  /** Id of the API key used; null in zero-config local mode. */
  keyId: string | null;
}

/** Hono environment of routes that read {@link ProjectVariables}. */
export interface ProjectEnv {
  Variables: ProjectVariables;
}

/**
 * The project of this request: the one its API key belongs to, or `fallback` when the
 * app runs without authentication (an embedded app built without `auth`).
 */
export function projectOf(c: Context, fallback: string): string {
  const projectId: unknown = c.get('projectId');
  return typeof projectId === 'string' ? projectId : fallback;
}

/** The id of the API key of this request, or null without one. */
export function keyIdOf(c: Context): string | null {
  const keyId: unknown = c.get('keyId');
  return typeof keyId === 'string' ? keyId : null;
}
