import { afterEach, describe, expect, it } from 'vitest';
import {
  openPostgresStore,
  POSTGRES_MIGRATIONS,
  type PostgresSpanStore,
} from '../src/store/postgres/index.js';
import { adminQuery, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './postgres-fixture.js';
import { makeRecord } from './store-contract.js';

describe('PostgreSQL migrations', () => {
  const schemas: string[] = [];
  const stores: PostgresSpanStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(schemas.splice(0).map(dropSchema));
  });
  const open = async (schema: string): Promise<PostgresSpanStore> => {
    const store = await openPostgresStore({
      connectionString: TEST_DATABASE_URL,
      schema,
      poolSize: 2,
    });
    stores.push(store);
    return store;
  };

  it('migrates once when several replicas start at the same moment', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const replicas = await Promise.all(Array.from({ length: 6 }, () => open(schema)));
    const { rows } = await adminQuery<{ version: number; name: string }>(
      `SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Every replica works on the one schema.
    const r = makeRecord();
    expect(await replicas[0]!.insertCalls('p1', [r])).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(await replicas[5]!.getTrace('p1', r.traceId)).toEqual([r]);
  });

  it('leaves data in place when reopened', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const first = await open(schema);
    const r = makeRecord();
    await first.insertCalls('p1', [r]);
    await first.close();
    const again = await open(schema);
    expect(await again.getTrace('p1', r.traceId)).toEqual([r]);
  });

  it('refuses a schema written by a newer collector', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    await (await open(schema)).close();
    await adminQuery(
      `INSERT INTO "${schema}".schema_migrations (version, name) VALUES (999, 'from the future')`,
    );
    await expect(open(schema)).rejects.toThrow(/version 999 is newer/);
  });

  it('rejects a schema name that would need quoting', async () => {
    await expect(
      openPostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema: 'Robert"); DROP TABLE x; --',
      }),
    ).rejects.toThrow(RangeError);
  });
});
