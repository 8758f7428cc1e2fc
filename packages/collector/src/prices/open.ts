import type { SpanStore } from '../store/store.js';
import { openPostgresPriceStore } from './postgres-override-store.js';
import { openSqlitePriceStore } from './sqlite-override-store.js';
import type { PriceOverrideStore } from './types.js';

/**
 * The price override store beside a span store, in the same database: PostgreSQL when the
 * store has a pool (`openPostgresStore`), else the SQLite file at its `path`
 * (`openSqliteStore`; `:memory:` gets a separate in-memory database).
 *
 * @throws {TypeError} for a store that is neither.
 * @example
 * const pricer = await createPricer({ store: await openPriceStoreFor(store) });
 */
export async function openPriceStoreFor(store: SpanStore): Promise<PriceOverrideStore> {
  if ('pool' in store && 'schema' in store) {
    const s = store as SpanStore & { pool: import('pg').Pool; schema: string };
    return openPostgresPriceStore(s.pool, s.schema);
  }
  if ('path' in store && typeof store.path === 'string') return openSqlitePriceStore(store.path);
  throw new TypeError('price overrides need a SQLite or PostgreSQL span store');
}
