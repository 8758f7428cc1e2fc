import { PostgresDriftStore } from '../src/drift/postgres-drift-store.js';
import { PostgresFeatureSource } from '../src/drift/postgres-feature-source.js';
import { describeDriftContract } from './drift-contract.js';
import { openTestStore } from './postgres-fixture.js';

describeDriftContract('PostgreSQL', async () => {
  const t = await openTestStore();
  return {
    spans: t.store,
    drift: new PostgresDriftStore(t.store.pool, t.schema),
    features: new PostgresFeatureSource(t.store.pool, t.schema),
    destroy: t.destroy,
  };
});
