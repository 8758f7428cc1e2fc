import type Database from 'better-sqlite3';
import {
  marginalPercentilesJsonColumnsSql,
  marginalPointJsonColumnSql,
  marginalPointsTableSql,
  marginalQuantileColumnsSql,
  marginalTableRebuildSql,
  marginalTableSql,
} from '../../rollups/marginals.js';
import { rollupTableSql } from '../../rollups/sql.js';

/** One schema change. Versions are applied in order, each once, each in its own transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as an append-only list: never edit an applied migration, add one.
 *
 * `calls` is clustered by an integer `seq` (the rowid), so inserts append to the
 * end of the table b-tree. Random keys (trace and span ids) live only in the one
 * unique index that deduplicates resent spans and serves trace lookups; the only
 * other index is on start time, which grows at its right edge too.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls',
    sql: `
      CREATE TABLE calls (
        seq INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL,
        trace_id BLOB NOT NULL,
        span_id BLOB NOT NULL,
        parent_span_id BLOB,
        name TEXT NOT NULL,
        operation TEXT,
        provider TEXT,
        model TEXT,
        response_model TEXT,
        response_id TEXT,
        finish_reasons TEXT,
        service_name TEXT,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        ttft_ms REAL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_input_tokens INTEGER,
        cache_creation_input_tokens INTEGER,
        reasoning_output_tokens INTEGER,
        tokens_estimated INTEGER NOT NULL,
        cost_usd REAL,
        cost_source TEXT,
        confidence REAL,
        status TEXT NOT NULL,
        error_type TEXT,
        input TEXT,
        output TEXT,
        source_dialect TEXT,
        warnings TEXT NOT NULL,
        attributes TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX calls_by_span ON calls (project_id, trace_id, span_id);
      CREATE INDEX calls_by_start ON calls (project_id, start_ns);
    `,
  },
  {
    // Pre-aggregated calls per project/service/provider/model/operation and time bucket
    // (every tier of ROLLUP_BUCKETS_SEC), updated in the ingest transaction: summaries,
    // the model inventory and alerts read these, never the calls.
    version: 2,
    name: 'rollups',
    sql: `${rollupTableSql('sqlite')};`,
  },
  {
    // The model inventory: one row per (project, model), seen times kept at ingest (they
    // outlive both the calls' and the rollups' retention), plus the editable metadata.
    version: 3,
    name: 'models',
    sql: `
      CREATE TABLE models (
        project_id TEXT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        owner TEXT,
        purpose TEXT,
        reviewed_at TEXT,
        on_failure TEXT,
        updated_at_ms INTEGER,
        PRIMARY KEY (project_id, model)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Who read what: one row per API read or change, appended after the answer is built.
    version: 4,
    name: 'audit_log',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        key_id TEXT,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        path TEXT NOT NULL,
        filters TEXT NOT NULL,
        status INTEGER NOT NULL,
        records INTEGER
      );
      CREATE INDEX audit_by_time ON audit_log (project_id, at_ms);
    `,
  },
  {
    // Scores and feedback on stored calls (POST /api/feedback), read back with their trace.
    version: 5,
    name: 'feedback',
    sql: `
      CREATE TABLE feedback (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        trace_id BLOB NOT NULL,
        span_id BLOB,
        score REAL NOT NULL,
        label TEXT,
        comment TEXT,
        created_at_ms INTEGER NOT NULL
      );
      CREATE INDEX feedback_by_trace ON feedback (project_id, trace_id);
    `,
  },
  {
    // One-dimension rollups of the hour and day tiers (see src/rollups/marginals.ts), so
    // long summaries grouped by one dimension merge one row per group and bucket. Rows
    // already stored are folded in by the store right after migrating (it needs the
    // sketch code): the marker row says that is still to do.
    version: 6,
    name: 'rollup_marginals',
    sql: `
      ${marginalTableSql()};
      CREATE TABLE rollup_marginals_backfill (pending INTEGER NOT NULL);
      INSERT INTO rollup_marginals_backfill (pending) VALUES (1);
    `,
  },
  {
    // Each one-dimension row keeps the latency/TTFT percentiles of its bucket, computed by
    // the upsert from the merged sketches, so a chart's interval that is one stored row
    // needs no sketch read, merge or quantile. Rows already stored get theirs from the
    // store right after migrating (the marker row); until then they are read with sketches.
    version: 7,
    name: 'rollup_marginal_quantiles',
    sql: `
      ${marginalQuantileColumnsSql()};
      CREATE TABLE rollup_marginal_quantiles_backfill (pending INTEGER NOT NULL);
      INSERT INTO rollup_marginal_quantiles_backfill (pending) VALUES (1);
    `,
  },
  {
    // The same percentiles as JSON text, spliced into summary answers as stored (two
    // strings per row read instead of eight doubles read and printed). Every row's are
    // computed again by the start-up backfill of migration 7.
    version: 8,
    name: 'rollup_marginal_percentiles_json',
    sql: `
      ${marginalPercentilesJsonColumnsSql()};
      DELETE FROM rollup_marginal_quantiles_backfill;
      INSERT INTO rollup_marginal_quantiles_backfill (pending) VALUES (1);
    `,
  },
  {
    // The one-dimension rows rebuilt with what a summary point reads ahead of the
    // sketches: busy hours' rows overflow a page, and the columns of migrations 7 and 8,
    // added after the sketches, were then read from overflow pages.
    version: 9,
    name: 'rollup_marginals_point_columns_first',
    sql: `${marginalTableRebuildSql()};`,
  },
  {
    // Each one-dimension row also keeps its whole summary point as JSON text (counters,
    // rates, percentiles), ahead of the sketches, so a month-by-hour summary is its stored
    // points joined by SQLite. Every row's is computed by the start-up backfill of
    // migration 7.
    version: 10,
    name: 'rollup_marginal_point_json',
    sql: `
      ${marginalPointJsonColumnSql()};
      DELETE FROM rollup_marginal_quantiles_backfill;
      INSERT INTO rollup_marginal_quantiles_backfill (pending) VALUES (1);
    `,
  },
  {
    // The summary points alone (key, counters, point_json), mirrored by triggers from the
    // one-dimension rows: a month of hour points is read from narrow rows, however large
    // the busy hours' sketches grow.
    version: 11,
    name: 'rollup_marginal_points',
    sql: `${marginalPointsTableSql()};`,
  },
];

/**
 * Brings the database to the latest schema version. Safe when two processes
 * start at once: the check and the changes happen under one write lock.
 *
 * @throws {Error} when the database was written by a newer collector (unknown version).
 * @returns the versions applied now (empty when already up to date).
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const run = db.transaction((): number[] => {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
      v: number | null;
    };
    const current = row.v ?? 0;
    if (current > latest) {
      throw new Error(
        `database schema version ${current} is newer than this collector knows (${latest}); upgrade pilotlight`,
      );
    }
    const applied: number[] = [];
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}
