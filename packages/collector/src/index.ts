export {
  type CollectorConfig,
  ConfigError,
  DEFAULT_DB_PATH,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  parseConfig,
  type SqliteSynchronous,
} from './config.js';
export {
  CollectorError,
  DecodeError,
  type Issue,
  NotFoundError,
  PayloadTooLargeError,
  STORE_RETRY_AFTER_SEC,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.js';
export { type AppDeps, createApp, DEFAULT_PROJECT_ID } from './server.js';
export { type CollectorHandle, type StartCollectorOptions, startCollector } from './start.js';
export { MIGRATIONS, type Migration, migrate } from './store/sqlite/migrations.js';
export {
  openSqliteStore,
  type SqliteSpanStore,
  type SqliteStoreOptions,
} from './store/sqlite/sqlite-store.js';
export type { InsertResult, SpanCursor, SpanPage, SpanQuery, SpanStore } from './store/store.js';
