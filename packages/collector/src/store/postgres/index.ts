export {
  classifyPostgresError,
  PostgresUnavailableError,
  type StoreUnavailableReason,
  toStoreError,
} from './errors.js';
export {
  createLeaderElector,
  DEFAULT_LEADER_CHECK_INTERVAL_MS,
  type LeaderElector,
  type LeaderElectorOptions,
  MIN_LEADER_SESSION_TIMEOUT_MS,
} from './leader.js';
export { migratePostgres, POSTGRES_MIGRATIONS, type PostgresMigration } from './migrations.js';
export { dayOf, NANOS_PER_DAY, partitionName, type RetentionResult } from './partitions.js';
export {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_PARTITION_FUTURE_DAYS,
  DEFAULT_PARTITION_PAST_DAYS,
  DEFAULT_POOL_SIZE,
  DEFAULT_QUERY_TIMEOUT_MARGIN_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  openPostgresStore,
  type PostgresSpanStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
