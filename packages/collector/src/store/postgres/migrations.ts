import type { PoolClient } from 'pg';
import { rollupTableSql } from '../../rollups/sql.js';

/** One schema change. Versions are applied in order, each once, each in its own transaction. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * First key of the advisory locks this store takes; the second key is a hash of
 * the schema name, so stores in different schemas never wait for each other.
 * (ASCII "pl" followed by a small number.)
 */
export const ADVISORY_LOCK_CLASS = {
  migrate: 0x706c_0001,
  partitions: 0x706c_0002,
} as const;

/**
 * The schema, as an append-only list: never edit an applied migration, add one.
 * Columns match the SQLite store's `calls` table one for one, so both engines
 * store the same record.
 *
 * `calls` is range-partitioned on `start_ns` (one partition per UTC day, created
 * on demand, plus a default partition for spans far outside the current window),
 * so retention drops whole partitions instead of deleting rows.
 *
 * Deduplication: a unique index on a partitioned table must contain the
 * partition key, so the key is `(project_id, trace_id, span_id, start_ns)`. The
 * partition key is the span's own start time, so a resent span (an exporter
 * retry, a replayed batch) carries the same start and lands in the same
 * partition, where `ON CONFLICT DO NOTHING` skips it. Only a span re-sent with the
 * same ids but a *different* start time (a misbehaving client) would be stored
 * twice; a separate un-partitioned dedup table would close that hole at the cost
 * of a second index write per span and row-by-row retention.
 *
 * JSON columns are `json` (not `jsonb`): stored verbatim like SQLite's TEXT, so
 * key order, `\u0000` and lone surrogates in prompts survive a round trip, and
 * inserts skip jsonb's re-encoding.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'calls',
    sql: `
      CREATE SEQUENCE calls_seq AS bigint;
      CREATE TABLE calls (
        seq bigint NOT NULL DEFAULT nextval('calls_seq'),
        project_id text NOT NULL,
        trace_id bytea NOT NULL,
        span_id bytea NOT NULL,
        parent_span_id bytea,
        name text NOT NULL,
        operation text,
        provider text,
        model text,
        response_model text,
        response_id text,
        finish_reasons json,
        service_name text,
        start_ns bigint NOT NULL,
        end_ns bigint NOT NULL,
        ttft_ms double precision,
        input_tokens bigint,
        output_tokens bigint,
        cache_read_input_tokens bigint,
        cache_creation_input_tokens bigint,
        reasoning_output_tokens bigint,
        tokens_estimated boolean NOT NULL,
        cost_usd double precision,
        cost_source text,
        confidence double precision,
        status text NOT NULL,
        error_type text,
        input json,
        output json,
        source_dialect text,
        warnings json NOT NULL,
        attributes json NOT NULL,
        received_at_ms bigint NOT NULL
      ) PARTITION BY RANGE (start_ns);
      ALTER SEQUENCE calls_seq OWNED BY calls.seq;
      CREATE TABLE calls_default PARTITION OF calls DEFAULT;
      CREATE UNIQUE INDEX calls_by_span ON calls (project_id, trace_id, span_id, start_ns);
      CREATE INDEX calls_by_start ON calls (project_id, start_ns, seq);
    `,
  },
  {
    version: 2,
    name: 'alert_outbox',
    // Same columns as the SQLite outbox (src/alerts/sqlite-outbox-store.ts).
    sql: `
      CREATE TABLE alert_outbox (
        id text PRIMARY KEY,
        notification_id text NOT NULL,
        sink text NOT NULL,
        payload text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        created_at_ms bigint NOT NULL,
        next_attempt_at_ms bigint NOT NULL,
        lease_owner text,
        lease_until_ms bigint,
        last_error text,
        delivered_at_ms bigint
      );
      CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at_ms) WHERE status = 'pending';
      CREATE INDEX alert_outbox_by_created ON alert_outbox (created_at_ms DESC, id);
    `,
  },
  {
    // Pre-aggregated calls per project/service/provider/model/operation and time bucket,
    // written in the ingest transaction (see rollups.ts); the same table as SQLite's.
    version: 3,
    name: 'rollups',
    sql: `${rollupTableSql('postgres')};`,
  },
  {
    // The model inventory (same columns as SQLite's): sightings kept at ingest, metadata edited.
    version: 4,
    name: 'models',
    sql: `
      CREATE TABLE models (
        project_id text NOT NULL,
        model text NOT NULL,
        provider text NOT NULL,
        first_seen_ms bigint NOT NULL,
        last_seen_ms bigint NOT NULL,
        owner text,
        purpose text,
        reviewed_at text,
        on_failure text,
        updated_at_ms bigint,
        PRIMARY KEY (project_id, model)
      );
    `,
  },
  {
    // Scores and feedback on stored calls (same columns as SQLite's). Not partitioned:
    // feedback is a trickle next to calls.
    version: 5,
    name: 'feedback',
    sql: `
      CREATE TABLE feedback (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        project_id text NOT NULL,
        trace_id bytea NOT NULL,
        span_id bytea,
        score double precision NOT NULL,
        label text,
        comment text,
        created_at_ms bigint NOT NULL
      );
      CREATE INDEX feedback_by_trace ON feedback (project_id, trace_id);
    `,
  },
  {
    // Who read what: one row per API read or change (same columns as SQLite's audit_log).
    // `seq` orders entries across replicas; `filters` is kept verbatim as json.
    version: 6,
    name: 'audit_log',
    sql: `
      CREATE TABLE audit_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        project_id text NOT NULL,
        at_ms bigint NOT NULL,
        key_id text,
        method text NOT NULL,
        route text NOT NULL,
        path text NOT NULL,
        filters json NOT NULL,
        status integer NOT NULL,
        records integer
      );
      CREATE INDEX audit_by_project ON audit_log (project_id, seq);
      CREATE INDEX audit_by_time ON audit_log (at_ms);
    `,
  },
  {
    // Drift monitors, their runs and saved baselines (the same tables as SQLite's, see
    // src/drift/sqlite-drift-store.ts). A run's statistic and p-value have columns of their
    // own because JSON cannot hold Infinity.
    version: 7,
    name: 'drift',
    sql: `
      CREATE TABLE drift_monitors (
        id text PRIMARY KEY,
        project_id text NOT NULL,
        monitor json NOT NULL,
        created_at_ms bigint NOT NULL,
        updated_at_ms bigint NOT NULL
      );
      CREATE INDEX drift_monitors_project ON drift_monitors (project_id);
      CREATE TABLE drift_runs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        monitor_id text NOT NULL,
        project_id text NOT NULL,
        ran_at_ms bigint NOT NULL,
        status text NOT NULL,
        statistic double precision,
        p_value double precision,
        drifted boolean NOT NULL,
        reference_size integer NOT NULL,
        current_size integer NOT NULL,
        result json NOT NULL
      );
      CREATE INDEX drift_runs_monitor_time ON drift_runs (monitor_id, ran_at_ms);
      CREATE TABLE drift_baselines (
        id text PRIMARY KEY,
        project_id text NOT NULL,
        baseline json NOT NULL,
        created_at_ms bigint NOT NULL
      );
      CREATE INDEX drift_baselines_project ON drift_baselines (project_id);
    `,
  },
];

/**
 * Brings `schema` to the latest version. Safe when several replicas start at
 * once: each takes a session advisory lock keyed by the schema, so one migrates
 * while the others wait, then find the version current and skip. The schema
 * itself is created under the same lock if missing.
 *
 * @throws {Error} when the schema was written by a newer collector (unknown version).
 * @returns the versions applied now (empty when already up to date).
 */
export async function migratePostgres(
  client: PoolClient,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const quoted = quoteIdent(schema);
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [
    ADVISORY_LOCK_CLASS.migrate,
    schema,
  ]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${quoted}.schema_migrations`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new Error(
        `database schema version ${current} is newer than this collector knows (${latest}); upgrade pilotlight`,
      );
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${quoted}`);
        await client.query(m.sql);
        await client.query(
          `INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`,
          [m.version, m.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1, hashtext($2))', [ADVISORY_LOCK_CLASS.migrate, schema])
      .catch(() => undefined);
  }
}

/** Schema names this store accepts: plain lowercase identifiers, so they never need escaping in connection options. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
