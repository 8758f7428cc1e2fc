import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDriftStore } from '../src/drift/sqlite-drift-store.js';
import { SqliteFeatureSource } from '../src/drift/sqlite-feature-source.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { describeDriftContract } from './drift-contract.js';
import { tempDir } from './helpers.js';

describeDriftContract('SQLite', async () => {
  const tmp = tempDir('pilotlight-drift-contract-');
  const file = path.join(tmp.dir, 'pl.db');
  const spans = openSqliteStore({ path: file });
  // Separate connections on the collector's file, as openDriftAndAlerts opens them.
  const db = new Database(file);
  const reader = new Database(file, { readonly: true });
  return {
    spans,
    drift: new SqliteDriftStore(db),
    features: new SqliteFeatureSource(reader),
    destroy: async () => {
      db.close();
      reader.close();
      await spans.close();
      tmp.remove();
    },
  };
});
