import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite', async () => {
  const tmp = tempDir('pilotlight-contract-');
  const store = openSqliteStore({ path: path.join(tmp.dir, 'contract.db') });
  return {
    store,
    destroy: async () => {
      await store.close();
      tmp.remove();
    },
  };
});
