/**
 * `pilotlight projects …` and `pilotlight keys …`: manage projects and API keys directly
 * in the collector's database (the SQLite file of PILOTLIGHT_DB, or PILOTLIGHT_DATABASE_URL),
 * which is how the first key is made: the HTTP routes need an admin key already.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { hasAudit, type SpanStore } from '../store/store.js';
import { Auth } from './auth.js';
import { DEFAULT_PROJECT, type KeyStore, MAX_LIVE_KEYS_PER_PROJECT } from './key-store.js';
import { projectNameProblem } from './keys.js';
import { openPostgresKeyStore } from './postgres-key-store.js';
import { openSqliteKeyStore } from './sqlite-key-store.js';

/** Where the commands write. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export const PROJECTS_USAGE = `Usage:
  pilotlight projects create NAME     create a project (lowercase letters, digits, . _ -)
  pilotlight projects list            list projects (name, created, retention days)
  pilotlight projects set NAME --retention-days N|default
                                      keep this project's calls N days (at most
                                      PILOTLIGHT_RETENTION_DAYS when that is set)
`;

export const KEYS_USAGE = `Usage:
  pilotlight keys create --project NAME [--label TEXT]   a key for one project (ingest and queries)
  pilotlight keys create --admin [--label TEXT]          a key for managing projects and keys over HTTP
  pilotlight keys list --project NAME | --admin          key ids and dates (never the keys)
  pilotlight keys revoke KEY_ID                          the key stops working at once

A key is printed once, on stdout; only a salted hash is stored. A project holds at most
${MAX_LIVE_KEYS_PER_PROJECT} live keys: create the new one, switch your apps, revoke the old one.
The database is the collector's: PILOTLIGHT_DB (SQLite) or PILOTLIGHT_DATABASE_URL.
`;

interface Opened {
  auth: Auth;
  /** Appends an audit entry for a change made from the command line. */
  audit(projectId: string, what: string, filters: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

async function open(env: Record<string, string | undefined>): Promise<Opened> {
  const config = parseConfig(env);
  let store: SpanStore;
  let keys: KeyStore;
  if (config.databaseUrl !== null) {
    const pg = await openPostgresStore({
      connectionString: config.databaseUrl,
      poolSize: 2,
      ...(config.databaseSchema === null ? {} : { schema: config.databaseSchema }),
    });
    store = pg;
    keys = await openPostgresKeyStore(pg.pool, pg.schema);
  } else {
    mkdirSync(dirname(config.dbPath), { recursive: true });
    const sqlite = openSqliteStore({ path: config.dbPath });
    store = sqlite;
    keys = openSqliteKeyStore(sqlite.path);
  }
  return {
    auth: new Auth(keys),
    async audit(projectId, what, filters) {
      if (!hasAudit(store)) return;
      await store.appendAudit(projectId, {
        atMs: Date.now(),
        keyId: null,
        method: 'CLI',
        route: `pilotlight ${what}`,
        path: '',
        filters,
        status: 200,
        records: 1,
      });
    },
    async close() {
      await keys.close();
      await store.close();
    },
  };
}

async function withStores(
  env: Record<string, string | undefined>,
  io: CliIo,
  work: (opened: Opened) => Promise<number>,
): Promise<number> {
  let opened: Opened;
  try {
    opened = await open(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`pilotlight: ${error.message}\n`);
      return 78;
    }
    throw error;
  }
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

/** `pilotlight projects create NAME | list`; resolves to the exit code. */
export async function runProjectsCommand(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: CliIo = defaultIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'create' && rest.length === 1) {
    const name = rest[0]!;
    const problem = projectNameProblem(name);
    if (problem !== null) {
      io.err(`pilotlight: invalid project name ${JSON.stringify(name)}: ${problem}\n`);
      return 64;
    }
    return withStores(env, io, async ({ auth, audit }) => {
      if (!(await auth.createProject(name))) {
        io.err(`pilotlight: project ${name} already exists\n`);
        return 1;
      }
      await audit(name, 'projects create', { name });
      io.out(`created project ${name}\n`);
      io.err(`next: pilotlight keys create --project ${name}\n`);
      return 0;
    });
  }
  if (sub === 'list' && rest.length === 0) {
    return withStores(env, io, async ({ auth }) => {
      for (const p of await auth.listProjects()) {
        io.out(`${p.id}\t${p.createdAt}\t${p.retentionDays ?? 'default'}\n`);
      }
      return 0;
    });
  }
  if (sub === 'set' && rest.length === 3 && rest[1] === '--retention-days') {
    const [name, , value] = rest as [string, string, string];
    const days = value === 'default' ? null : Number(value);
    if (days !== null && !(Number.isInteger(days) && days >= 1 && days <= 36_500)) {
      io.err(
        `pilotlight: --retention-days: expected 1-36500 or "default", got ${JSON.stringify(value)}\n`,
      );
      return 64;
    }
    return withStores(env, io, async ({ auth, audit }) => {
      if (!(await auth.setProjectRetention(name, days))) {
        io.err(`pilotlight: no project ${name}\n`);
        return 1;
      }
      await audit(name, 'projects set', { retentionDays: String(days ?? 'default') });
      io.out(
        `project ${name}: calls kept ${days === null ? 'as PILOTLIGHT_RETENTION_DAYS says' : `${days} days`}\n`,
      );
      return 0;
    });
  }
  io.err(PROJECTS_USAGE);
  return 64;
}

/** `pilotlight keys create | list | revoke`; resolves to the exit code. */
export async function runKeysCommand(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: CliIo = defaultIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed: ReturnType<typeof parseKeyArgs>;
  try {
    parsed = parseKeyArgs(rest);
  } catch (error) {
    io.err(`pilotlight: ${(error as Error).message}\n\n${KEYS_USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  const project = values.project;
  const admin = values.admin === true;
  const scoped = (project !== undefined) !== admin;

  if (sub === 'create' && positionals.length === 0 && scoped) {
    return withStores(env, io, async ({ auth, audit }) => {
      const created = await auth.createKey(admin ? null : project!, values.label ?? null);
      if (created === 'unknown_project') {
        io.err(
          `pilotlight: no project ${project}; create it first: pilotlight projects create ${project}\n`,
        );
        return 1;
      }
      if (created === 'limit_reached') {
        io.err(
          `pilotlight: project ${project} already has ${MAX_LIVE_KEYS_PER_PROJECT} live keys; ` +
            'revoke one first (pilotlight keys list, pilotlight keys revoke KEY_ID)\n',
        );
        return 1;
      }
      await audit(project ?? DEFAULT_PROJECT, 'keys create', {
        keyId: created.info.id,
        ...(admin ? { admin: 'true' } : { project: project! }),
      });
      io.out(`${created.key}\n`);
      io.err(
        `created ${admin ? 'an admin key' : `a key for project ${project}`} (id ${created.info.id}). ` +
          'Copy it now: it is shown only this once.\n',
      );
      return 0;
    });
  }
  if (sub === 'list' && positionals.length === 0 && scoped) {
    return withStores(env, io, async ({ auth }) => {
      for (const k of await auth.listKeys(admin ? null : project!)) {
        const state = k.revokedAt === null ? 'live' : `revoked ${k.revokedAt}`;
        io.out(`${k.id}\t${k.kind}\t${k.createdAt}\t${state}\t${k.label ?? ''}\n`);
      }
      return 0;
    });
  }
  if (sub === 'revoke' && positionals.length === 1 && project === undefined && !admin) {
    const id = positionals[0]!;
    return withStores(env, io, async ({ auth, audit }) => {
      const info = await auth.keyInfo(id);
      if (info === null || !(await auth.revokeKey(id))) {
        io.err(`pilotlight: no live key ${id}\n`);
        return 1;
      }
      await audit(info.projectId ?? DEFAULT_PROJECT, 'keys revoke', { keyId: id });
      io.out(`revoked key ${id}\n`);
      return 0;
    });
  }
  io.err(KEYS_USAGE);
  return 64;
}

function parseKeyArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      project: { type: 'string' },
      admin: { type: 'boolean' },
      label: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
}
