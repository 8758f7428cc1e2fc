import { openTestStore } from './postgres-fixture.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('PostgreSQL', async () => openTestStore());
