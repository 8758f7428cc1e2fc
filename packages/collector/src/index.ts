export * from './alerts/index.js';
export { Auth, type CreatedKey, type Principal } from './auth/auth.js';
export { authenticate, isLoopback, isLoopbackHost, projectRoutes } from './auth/http.js';
export {
  type ApiKeyInfo,
  DEFAULT_PROJECT,
  type KeyStore,
  MAX_LIVE_KEYS_PER_PROJECT,
  type Project,
} from './auth/key-store.js';
export { openPostgresKeyStore } from './auth/postgres-key-store.js';
export { openSqliteKeyStore } from './auth/sqlite-key-store.js';
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
export * from './drift/index.js';
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
export {
  DEFAULT_RETENTION_BATCH_SIZE,
  DEFAULT_RETENTION_INTERVAL_MS,
  type RetentionJob,
  type RetentionOptions,
  type RetentionRunResult,
  startRetention,
} from './jobs/retention.js';
export * from './prices/index.js';
export { type AlertRoutesDeps, createAlertRoutes } from './routes/alerts.js';
export { MAX_AUDIT_PAGE_SIZE } from './routes/audit.js';
export { auditRecords, deferAudit } from './routes/audit-context.js';
export { createDriftRoutes, type DriftRoutesDeps } from './routes/drift.js';
export { CSV_COLUMNS, csvField, EXPORT_PAGE_SIZE } from './routes/export.js';
export {
  feedbackRoutes,
  MAX_FEEDBACK_BODY_BYTES,
  MAX_FEEDBACK_COMMENT_LENGTH,
  MAX_FEEDBACK_LABEL_LENGTH,
} from './routes/feedback.js';
export {
  MODEL_WINDOWS_MS,
  type ModelInventoryEntry,
  type ModelWindowStats,
} from './routes/models.js';
export { DEFAULT_SUMMARY_RANGE_MS } from './routes/summary.js';
export { type AppDeps, createApp, DEFAULT_PROJECT_ID } from './server.js';
export { type CollectorHandle, type StartCollectorOptions, startCollector } from './start.js';
export * from './store/postgres/index.js';
export { MIGRATIONS, type Migration, migrate } from './store/sqlite/migrations.js';
export {
  openSqliteStore,
  type SqliteSpanStore,
  type SqliteStoreOptions,
} from './store/sqlite/sqlite-store.js';
export {
  type AuditEntry,
  type AuditQuery,
  type AuditStore,
  type FeedbackInput,
  type FeedbackStore,
  hasAudit,
  hasFeedback,
  hasReadSide,
  type InsertDetail,
  type InsertResult,
  type ModelMetadata,
  type ReadSideStore,
  type SpanCursor,
  type SpanPage,
  type SpanQuery,
  type SpanStore,
  type StoredAuditEntry,
  type StoredFeedback,
  type StoredModel,
} from './store/store.js';
