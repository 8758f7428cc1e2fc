/**
 * Alerting: rules (schema and config file), evaluation from rollups, the per-rule-and-group
 * state machine, notifications, sinks (webhook, Slack, log), SSRF checks and the durable
 * outbox. Nothing here opens sockets or files at import time.
 */
export * from './evaluate.js';
export * from './notification.js';
export * from './outbox.js';
export * from './postgres-alert-store.js';
export * from './postgres-outbox-store.js';
export * from './rule.js';
export * from './run.js';
export * from './service.js';
export * from './sinks/index.js';
export * from './sqlite-alert-store.js';
export * from './sqlite-outbox-store.js';
export * from './ssrf.js';
export * from './state.js';
export * from './test-receiver.js';
