import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { CostUpdate, RepriceCursor, RepriceEngine, StoredCallCost } from './reprice.js';
import { updateRollupDeltas } from './reprice.js';
import { openSqlitePriceStore } from './sqlite-override-store.js';

/** How long a batch waits for the collector's write lock (ms). */
const BUSY_TIMEOUT_MS = 10_000;
/**
 * Least pause between two batches (ms). SQLite has one writer at a time and a waiting
 * writer polls (SQLite's busy handler sleeps up to 100 ms between tries), so the gap
 * must be wide enough for the collector's ingest to get in.
 */
const SQLITE_PAUSE_MS = 30;

/** Calls re-pricing reads: not an SDK cost, and something to price by. */
const REPRICEABLE = `(cost_source IS NULL OR cost_source <> 'sdk') AND (model IS NOT NULL OR response_model IS NOT NULL)`;

interface Row {
  seq: bigint;
  start_ns: bigint;
  service_name: string | null;
  provider: string | null;
  model: string | null;
  response_model: string | null;
  operation: string | null;
  input_tokens: bigint | null;
  output_tokens: bigint | null;
  cache_read_input_tokens: bigint | null;
  cache_creation_input_tokens: bigint | null;
  cost_usd: number | null;
  cost_source: 'sdk' | 'collector' | null;
}

const int = (v: bigint | null): number | null => (v === null ? null : Number(v));

/**
 * Re-pricing on the collector's SQLite file, through a connection of its own, while the
 * collector may be running: each batch is one `BEGIN IMMEDIATE` transaction of a few
 * milliseconds, and batches are spaced so ingest always gets the write lock in between.
 *
 * @throws {Error} when the file does not exist or holds no collector database.
 */
export function sqliteRepriceEngine(file: string): RepriceEngine {
  if (!existsSync(file)) throw new Error(`no database at ${file}`);
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('calls', 'rollups')",
      )
      .all();
    if (tables.length !== 2) throw new Error(`${file} is not a pilotlight collector database`);
  } catch (error) {
    db.close();
    throw error;
  }
  const prices = openSqlitePriceStore(db);
  const projects = db.prepare(
    `WITH RECURSIVE p(id) AS (
       SELECT MIN(project_id) FROM calls
       UNION ALL SELECT (SELECT MIN(project_id) FROM calls WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
     ) SELECT id FROM p WHERE id IS NOT NULL`,
  );
  const count = db.prepare(
    `SELECT count(*) AS n FROM calls WHERE project_id = ? AND start_ns >= ? AND start_ns < ? AND ${REPRICEABLE}`,
  );
  // The index range starts at the cursor's start time, so every batch is a short seek,
  // never a rescan of the range; the OR skips the rows of that instant already read.
  const select = db
    .prepare(
      `SELECT seq, start_ns, service_name, provider, model, response_model, operation, input_tokens,
         output_tokens, cache_read_input_tokens, cache_creation_input_tokens, cost_usd, cost_source
       FROM calls INDEXED BY calls_by_start
       WHERE project_id = ? AND start_ns >= ? AND start_ns < ? AND (start_ns > ? OR seq > ?) AND ${REPRICEABLE}
       ORDER BY start_ns, seq LIMIT ?`,
    )
    .safeIntegers(true);
  const updateCall = db.prepare('UPDATE calls SET cost_usd = ?, cost_source = ? WHERE seq = ?');
  const updateRollup = db.prepare(
    `UPDATE rollups SET cost_usd = cost_usd + ? WHERE project_id = ? AND bucket_sec = ?
       AND bucket_start_ms = ? AND service = ? AND provider = ? AND model = ? AND operation = ?`,
  );

  const batch = db.transaction(
    (
      projectId: string,
      fromNs: bigint,
      toNs: bigint,
      after: RepriceCursor | null,
      limit: number,
      decide: (calls: readonly StoredCallCost[]) => CostUpdate[],
      dryRun: boolean,
    ) => {
      const rows = select.all(
        projectId,
        after?.startNs ?? fromNs,
        toNs,
        after?.startNs ?? fromNs - 1n,
        after?.seq ?? -1n,
        limit,
      ) as Row[];
      const calls = rows.map(
        (r): StoredCallCost => ({
          cursor: { startNs: r.start_ns, seq: r.seq },
          projectId,
          serviceName: r.service_name,
          provider: r.provider,
          model: r.model,
          responseModel: r.response_model,
          operation: r.operation,
          startTimeUnixNano: r.start_ns.toString(),
          inputTokens: int(r.input_tokens),
          outputTokens: int(r.output_tokens),
          cacheReadInputTokens: int(r.cache_read_input_tokens),
          cacheCreationInputTokens: int(r.cache_creation_input_tokens),
          costUsd: r.cost_usd,
          costSource: r.cost_source,
        }),
      );
      const updated = decide(calls);
      if (!dryRun) {
        for (const u of updated) {
          updateCall.run(u.cost.costUsd, u.cost.costSource, u.call.cursor.seq);
        }
        for (const d of updateRollupDeltas(updated)) {
          const k = d.key;
          updateRollup.run(
            d.costUsd,
            k.projectId,
            k.bucketSec,
            k.bucketStartMs,
            k.service,
            k.provider,
            k.model,
            k.operation,
          );
        }
      }
      const last = calls.at(-1);
      return {
        read: calls.length,
        next: calls.length < limit || last === undefined ? null : last.cursor,
        updated,
      };
    },
  );

  let closed = false;
  return {
    prices,
    defaultPauseMs: SQLITE_PAUSE_MS,
    async projects() {
      return (projects.all() as { id: string }[]).map((r) => r.id);
    },
    async countCalls(projectId, range) {
      return (count.get(projectId, range.fromNs, range.toNs) as { n: number }).n;
    },
    async repriceBatch(projectId, range, after, limit, decide, dryRun) {
      return batch.immediate(projectId, range.fromNs, range.toNs, after, limit, decide, dryRun);
    },
    async close() {
      if (closed) return;
      closed = true;
      await prices.close();
      db.close();
    },
  };
}
