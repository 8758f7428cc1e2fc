import { isIP } from 'node:net';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  StoreUnavailableError,
  UnauthorizedError,
} from '../errors.js';
import { auditRecords } from '../routes/audit-context.js';
import { readJsonBody } from '../routes/json-body.js';
import type { ProjectEnv } from '../routes/project-context.js';
import { invalid } from '../routes/query.js';
import type { Auth } from './auth.js';
import { DEFAULT_PROJECT, MAX_LIVE_KEYS_PER_PROJECT } from './key-store.js';
import { bearerToken, projectNameProblem } from './keys.js';

/** Whether an address is this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1';
}

/** Whether a bind address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

/** The peer address of a request served by @hono/node-server (undefined otherwise). */
function remoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

async function fromKeyStore<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}

/** Message of requests refused in zero-config local mode. */
export const LOCAL_ONLY_MESSAGE =
  'this collector has no API keys yet and accepts requests only from this machine; ' +
  'create one (pilotlight projects create NAME, then pilotlight keys create --project NAME) ' +
  'and send it as Authorization: Bearer <key>';

/**
 * Authenticates a request and puts its project and key id on the context.
 * - With no live key anywhere (zero-config local use): only loopback peers, into `default`.
 * - Otherwise `Authorization: Bearer <key>` is required: missing, malformed, unknown and
 *   revoked keys all get the same 401. `scope: 'project'` routes need a project key (the
 *   project comes from the key, never from the request); `scope: 'admin'` routes need an
 *   admin key.
 */
export function authenticate(auth: Auth, scope: 'project' | 'admin'): MiddlewareHandler {
  return async (context, next) => {
    const c = context as unknown as Context<ProjectEnv>;
    if (!(await fromKeyStore(auth.hasKeys()))) {
      if (!isLoopback(remoteAddress(c))) throw new UnauthorizedError(LOCAL_ONLY_MESSAGE);
      c.set('projectId', DEFAULT_PROJECT);
      c.set('keyId', null);
      return next();
    }
    const token = bearerToken(c.req.header('authorization'));
    const who = token === null ? null : await fromKeyStore(auth.verify(token));
    if (who === null) throw new UnauthorizedError();
    c.set('keyId', who.keyId);
    if (scope === 'admin') {
      if (who.kind !== 'admin') {
        throw new ForbiddenError('this needs an admin key (pilotlight keys create --admin)');
      }
      c.set('projectId', DEFAULT_PROJECT);
    } else {
      if (who.kind !== 'project') {
        throw new ForbiddenError(
          'admin keys manage projects and keys; send a project key to read or write data',
        );
      }
      c.set('projectId', who.projectId);
    }
    return next();
  };
}

const projectBody = z.strictObject({
  name: z.string().refine((s) => projectNameProblem(s) === null, {
    message: projectNameProblem('') ?? '',
  }),
});

const retentionBody = z.strictObject({
  /** Days this project's calls are kept; null: the collector-wide retention. */
  retentionDays: z.number().int().min(1).max(36_500).nullable(),
});

const keyBody = z.strictObject({ label: z.string().min(1).max(200).optional() });

/**
 * `GET /api/whoami` → `{ projectId, keyId, mode }`: which project a key reads and writes
 * (`mode` is `keys`, or `local` in zero-config local mode). Mount behind
 * `authenticate(auth, 'project')`; a quick way to check a key before configuring senders.
 */
export function whoamiRoutes(auth: Auth): Hono {
  const app = new Hono();
  app.get('/api/whoami', async (context) => {
    const c = context as unknown as Context<ProjectEnv>;
    const mode = (await fromKeyStore(auth.hasKeys())) ? 'keys' : 'local';
    return c.json({ projectId: c.get('projectId'), keyId: c.get('keyId'), mode });
  });
  return app;
}

/**
 * Project and key management, for admin keys (mount behind `authenticate(auth, 'admin')`):
 * - `GET /api/projects` → `{ data: projects }`;
 * - `POST /api/projects` `{ name }` → 201 with the project; 409 when the name is taken;
 * - `PATCH /api/projects/:id` `{ retentionDays: N | null }` → the project: its own call
 *   retention (null: the collector-wide one);
 * - `GET /api/projects/:id/keys` → `{ data: keys }` (ids and dates, never secrets);
 * - `POST /api/projects/:id/keys` `{ label? }` → 201 `{ key, id, … }`: the key is in this
 *   answer only; 409 when the project already has two live keys (revoke one first);
 * - `DELETE /api/projects/:id/keys/:keyId` → 204; 404 when unknown or not the project's.
 * Each change is audited under the project it changed.
 */
export function projectRoutes(auth: Auth): Hono<ProjectEnv> {
  const app = new Hono<ProjectEnv>();

  app.get('/api/projects', async (c) => {
    const data = await fromKeyStore(auth.listProjects());
    auditRecords(c, data.length);
    return c.json({ data });
  });

  app.post('/api/projects', async (c) => {
    const parsed = projectBody.safeParse(await readJsonBody(c, { emptyAs: {} }));
    if (!parsed.success) throw invalid(parsed.error);
    const { name } = parsed.data;
    c.set('projectId', name);
    if (!(await fromKeyStore(auth.createProject(name)))) {
      throw new ConflictError(`project ${name} already exists`, [
        { path: 'name', message: 'already exists' },
      ]);
    }
    const project = await fromKeyStore(auth.getProject(name));
    auditRecords(c, 1);
    return c.json(project, 201);
  });

  app.patch('/api/projects/:id', async (c) => {
    const id = await existingProject(c);
    const parsed = retentionBody.safeParse(await readJsonBody(c, { emptyAs: {} }));
    if (!parsed.success) throw invalid(parsed.error);
    await fromKeyStore(auth.setProjectRetention(id, parsed.data.retentionDays));
    auditRecords(c, 1);
    return c.json(await fromKeyStore(auth.getProject(id)));
  });

  async function existingProject(c: Context<ProjectEnv>): Promise<string> {
    const id = c.req.param('id') ?? '';
    if ((await fromKeyStore(auth.getProject(id))) === null) {
      throw new NotFoundError(`project ${id} not found`);
    }
    c.set('projectId', id);
    return id;
  }

  app.get('/api/projects/:id/keys', async (c) => {
    const id = await existingProject(c);
    const data = await fromKeyStore(auth.listKeys(id));
    auditRecords(c, data.length);
    return c.json({ data });
  });

  app.post('/api/projects/:id/keys', async (c) => {
    const id = await existingProject(c);
    const parsed = keyBody.safeParse(await readJsonBody(c, { emptyAs: {} }));
    if (!parsed.success) throw invalid(parsed.error);
    const created = await fromKeyStore(auth.createKey(id, parsed.data.label ?? null));
    if (created === 'unknown_project') throw new NotFoundError(`project ${id} not found`);
    if (created === 'limit_reached') {
      throw new ConflictError(
        `project ${id} already has ${MAX_LIVE_KEYS_PER_PROJECT} live keys; revoke one first`,
      );
    }
    auditRecords(c, 1);
    return c.json({ key: created.key, ...created.info }, 201);
  });

  app.delete('/api/projects/:id/keys/:keyId', async (c) => {
    const id = await existingProject(c);
    const keyId = c.req.param('keyId');
    const key = await fromKeyStore(auth.keyInfo(keyId));
    if (key === null || key.projectId !== id || key.revokedAt !== null) {
      throw new NotFoundError(`no live key ${keyId} in project ${id}`);
    }
    await fromKeyStore(auth.revokeKey(keyId));
    auditRecords(c, 1);
    return c.body(null, 204);
  });

  return app;
}
