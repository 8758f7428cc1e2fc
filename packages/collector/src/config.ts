import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_MODELS } from './metrics/metrics.js';

/** OTLP/HTTP's registered port; the OpenTelemetry Collector listens here too. */
export const DEFAULT_PORT = 4318;
/** Loopback only: nothing is exposed to the network unless asked for. */
export const DEFAULT_HOST = '127.0.0.1';
/** Relative to the working directory, like the OpenTelemetry Collector's file storage. */
export const DEFAULT_DB_PATH = './.pilotlight/pilotlight.db';
/** Same default as the OpenTelemetry Collector's `max_request_body_size` (20 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

/**
 * SQLite `synchronous` level. `full` (default) fsyncs the WAL on every commit, so an
 * acknowledged span survives power loss; `normal` survives a killed process but may
 * lose the last commits on power loss, in exchange for fewer fsyncs.
 */
export type SqliteSynchronous = 'full' | 'normal';

/** The collector's settings, as read from the environment. */
export interface CollectorConfig {
  port: number;
  host: string;
  dbPath: string;
  maxBodyBytes: number;
  sqliteSynchronous: SqliteSynchronous;
  /** Days calls are kept (by span start); null keeps them forever. */
  retentionDays: number | null;
  /** Days rollup buckets are kept; null keeps them forever. At least `retentionDays`. */
  rollupRetentionDays: number | null;
  /** Days audit entries are kept; null keeps them forever. */
  auditRetentionDays: number | null;
  /** Alert configuration file (JSON or YAML); null for none. */
  alertsConfigFile: string | null;
  /** Distinct model names labelled in `/metrics` before the rest fold into `other`. */
  metricsMaxModels: number;
  /** PostgreSQL URL (`PILOTLIGHT_DATABASE_URL`); null selects the SQLite file. */
  databaseUrl: string | null;
  /** PostgreSQL pool size per collector; null keeps the store's default. */
  databasePoolSize: number | null;
  /** PostgreSQL schema; null keeps `public`. */
  databaseSchema: string | null;
  /**
   * Ingest admission control: spans decoded but not yet stored above which requests are
   * answered 503 with `Retry-After` (`PILOTLIGHT_INGEST_MAX_PENDING_SPANS`; absent: the
   * ingest route's default, 5,000).
   */
  ingestMaxPendingSpans?: number;
  /**
   * Ingest admission control: request bytes admitted but not yet parsed above which
   * requests are answered 503 with `Retry-After` (`PILOTLIGHT_INGEST_MAX_PENDING_BYTES`;
   * absent: the ingest route's default, 8 MiB).
   */
  ingestMaxPendingBytes?: number;
  /**
   * Ingest admission control: expected wait (ms) of the work queued ahead of a request
   * above which it is answered 503 with `Retry-After` (`PILOTLIGHT_INGEST_MAX_WAIT_MS`;
   * absent: the ingest route's default, 100).
   */
  ingestMaxWaitMs?: number;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const envSchema = z.object({
  PILOTLIGHT_PORT: integer(0, 65_535).default(DEFAULT_PORT),
  PILOTLIGHT_HOST: z
    .string()
    .trim()
    .min(1, 'expected a host name or address')
    .default(DEFAULT_HOST),
  PILOTLIGHT_DB: z.string().trim().min(1, 'expected a file path').default(DEFAULT_DB_PATH),
  PILOTLIGHT_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
  PILOTLIGHT_SQLITE_SYNCHRONOUS: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['full', 'normal']))
    .default('full'),
  PILOTLIGHT_RETENTION_DAYS: integer(1, 36_500).optional(),
  PILOTLIGHT_ROLLUP_RETENTION_DAYS: integer(1, 36_500).optional(),
  PILOTLIGHT_AUDIT_RETENTION_DAYS: integer(1, 36_500).optional(),
  PILOTLIGHT_METRICS_MAX_MODELS: integer(1, 10_000).default(DEFAULT_MAX_MODELS),
  PILOTLIGHT_ALERTS_CONFIG: z.string().trim().min(1, 'expected a file path').optional(),
  PILOTLIGHT_DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  PILOTLIGHT_DATABASE_POOL_SIZE: integer(1, 1_000).optional(),
  PILOTLIGHT_INGEST_MAX_PENDING_SPANS: integer(100, 100_000_000).optional(),
  PILOTLIGHT_INGEST_MAX_PENDING_BYTES: integer(64 * 1024, 64 * 1024 * 1024 * 1024).optional(),
  PILOTLIGHT_INGEST_MAX_WAIT_MS: integer(10, 600_000).optional(),
  PILOTLIGHT_DATABASE_SCHEMA: z
    .string()
    .trim()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected lowercase letters, digits and _')
    .optional(),
});

/** Thrown by {@link parseConfig}; `message` names every bad variable and its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** The names of the offending environment variables. */
    readonly variables: string[],
  ) {
    super(message);
  }
}

/**
 * Reads the collector's configuration from environment variables. Empty strings
 * count as unset.
 *
 * @throws {ConfigError} naming each variable whose value is invalid.
 * @example
 * const config = parseConfig(process.env); // { port: 4318, host: '127.0.0.1', … }
 */
export function parseConfig(env: Record<string, string | undefined>): CollectorConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = envSchema
    .refine(
      (v) =>
        v.PILOTLIGHT_ROLLUP_RETENTION_DAYS === undefined ||
        v.PILOTLIGHT_RETENTION_DAYS === undefined ||
        v.PILOTLIGHT_ROLLUP_RETENTION_DAYS >= v.PILOTLIGHT_RETENTION_DAYS,
      {
        path: ['PILOTLIGHT_ROLLUP_RETENTION_DAYS'],
        message: 'must be at least PILOTLIGHT_RETENTION_DAYS (rollups outlive the calls)',
      },
    )
    .safeParse(input);
  if (!result.success) {
    const variables: string[] = [];
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      variables.push(name);
      return `  ${name}=${JSON.stringify(input[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`, variables);
  }
  const v = result.data;
  return {
    port: v.PILOTLIGHT_PORT,
    host: v.PILOTLIGHT_HOST,
    dbPath: v.PILOTLIGHT_DB,
    maxBodyBytes: v.PILOTLIGHT_MAX_BODY_BYTES,
    sqliteSynchronous: v.PILOTLIGHT_SQLITE_SYNCHRONOUS,
    retentionDays: v.PILOTLIGHT_RETENTION_DAYS ?? null,
    rollupRetentionDays: v.PILOTLIGHT_ROLLUP_RETENTION_DAYS ?? null,
    auditRetentionDays: v.PILOTLIGHT_AUDIT_RETENTION_DAYS ?? null,
    alertsConfigFile: v.PILOTLIGHT_ALERTS_CONFIG ?? null,
    metricsMaxModels: v.PILOTLIGHT_METRICS_MAX_MODELS,
    databaseUrl: v.PILOTLIGHT_DATABASE_URL ?? null,
    databasePoolSize: v.PILOTLIGHT_DATABASE_POOL_SIZE ?? null,
    databaseSchema: v.PILOTLIGHT_DATABASE_SCHEMA ?? null,
    ...(v.PILOTLIGHT_INGEST_MAX_PENDING_SPANS === undefined
      ? {}
      : { ingestMaxPendingSpans: v.PILOTLIGHT_INGEST_MAX_PENDING_SPANS }),
    ...(v.PILOTLIGHT_INGEST_MAX_PENDING_BYTES === undefined
      ? {}
      : { ingestMaxPendingBytes: v.PILOTLIGHT_INGEST_MAX_PENDING_BYTES }),
    ...(v.PILOTLIGHT_INGEST_MAX_WAIT_MS === undefined
      ? {}
      : { ingestMaxWaitMs: v.PILOTLIGHT_INGEST_MAX_WAIT_MS }),
  };
}

/** Alert configuration files picked up from the working directory, in this order. */
export const DEFAULT_CONFIG_FILES = [
  'pilotlight.config.json',
  'pilotlight.config.yaml',
  'pilotlight.config.yml',
] as const;

/**
 * The first of {@link DEFAULT_CONFIG_FILES} present in `dir`, or null: what `pilotlight serve`
 * loads when `PILOTLIGHT_ALERTS_CONFIG` is unset.
 */
export function findDefaultConfigFile(dir: string): string | null {
  for (const name of DEFAULT_CONFIG_FILES) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}
