/** Test helpers for the PostgreSQL store: a fresh schema per store, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  openPostgresStore,
  type PostgresSpanStore,
  type PostgresStoreOptions,
} from '../src/store/postgres/index.js';

/** The local test database (trust auth); CI runs the same. */
export const TEST_DATABASE_URL =
  process.env.PILOTLIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses. */
export function uniqueSchema(): string {
  return `pl_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection of its own (outside any store's pool). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
  connectionString = TEST_DATABASE_URL,
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await client.query<R>(sql, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A store in a schema of its own, and a `destroy` that closes it and drops the schema. */
export async function openTestStore(
  options: Partial<PostgresStoreOptions> = {},
): Promise<{ store: PostgresSpanStore; schema: string; destroy: () => Promise<void> }> {
  const schema = options.schema ?? uniqueSchema();
  const store = await openPostgresStore({
    connectionString: TEST_DATABASE_URL,
    poolSize: 4,
    ...options,
    schema,
  });
  return {
    store,
    schema,
    destroy: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}
