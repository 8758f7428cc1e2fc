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

/**
 * The project of a request that may also name one (`projectId` in a query or body, as the
 * alerts and drift APIs accept): with authentication the key decides, and naming another
 * project is refused; without it (an embedded app) the named project is used.
 * @returns the project, or null when the request names a project its key does not belong to.
 */
export function scopedProject(
  c: Context,
  fallback: string,
  requested: string | undefined,
): string | null {
  const fromKey: unknown = c.get('projectId');
  if (typeof fromKey !== 'string') return requested ?? fallback;
  return requested === undefined || requested === fromKey ? fromKey : null;
}

/** The issue answered when {@link scopedProject} refuses a named project. */
export const FOREIGN_PROJECT_ISSUE = {
  path: 'projectId',
  message: "must be the project of the request's API key (or left out)",
} as const;
