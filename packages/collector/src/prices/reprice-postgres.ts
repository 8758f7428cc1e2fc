import pg from 'pg';
import { rollupLockSql } from '../rollups/sql.js';
import { openPostgresPriceStore } from './postgres-override-store.js';
import type { RepriceEngine, StoredCallCost } from './reprice.js';
import { updateRollupDeltas } from './reprice.js';

/** Pause between batches (ms): rows are locked one by one, only the project's rollup lock is shared with ingest. */
const POSTGRES_PAUSE_MS = 5;

const REPRICEABLE = `(cost_source IS NULL OR cost_source <> 'sdk') AND (model IS NOT NULL OR response_model IS NOT NULL)`;

interface Row {
  seq: string;
  start_ns: string;
  service_name: string | null;
  provider: string | null;
  model: string | null;
  response_model: string | null;
  operation: string | null;
  input_tokens: string | null;
  output_tokens: string | null;
  cache_read_input_tokens: string | null;
  cache_creation_input_tokens: string | null;
  cost_usd: number | null;
  cost_source: 'sdk' | 'collector' | null;
}

const int = (v: string | null): number | null => (v === null ? null : Number(v));
const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Options of {@link postgresRepriceEngine}. */
export interface PostgresRepriceOptions {
  /** A pool of the collector's database (the engine's `close` leaves a given pool open). */
  pool?: pg.Pool;
  /** Or a URL to open a small pool of its own. */
  connectionString?: string;
  /** Schema of the collector's tables (default `public`). */
  schema?: string;
}

/**
 * Re-pricing on the collector's PostgreSQL database, while collectors keep ingesting:
 * each batch is one transaction that takes the project's rollup lock first (the same
 * transaction-level advisory lock ingest takes before its rollup writes, so neither
 * loses the other's cost update), locks and reads its calls, and writes their costs and
 * the rollup cost deltas.
 */
export async function postgresRepriceEngine(
  options: PostgresRepriceOptions,
): Promise<RepriceEngine> {
  const schema = options.schema ?? 'public';
  const owned = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: 2,
      application_name: 'pilotlight-reprice',
    });
  const s = quote(schema);
  let prices: Awaited<ReturnType<typeof openPostgresPriceStore>>;
  try {
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename IN ('calls', 'rollups')`,
      [schema],
    );
    if (Number(rows[0]?.n) !== 2) {
      throw new Error(`schema ${schema} holds no pilotlight collector tables`);
    }
    prices = await openPostgresPriceStore(pool, schema);
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }

  return {
    prices,
    defaultPauseMs: POSTGRES_PAUSE_MS,
    async projects() {
      // A loose index scan over calls_by_start: one seek per project, not a table scan.
      const { rows } = await pool.query<{ id: string }>(
        `WITH RECURSIVE p(id) AS (
           SELECT min(project_id) FROM ${s}.calls
           UNION ALL SELECT (SELECT min(project_id) FROM ${s}.calls WHERE project_id > p.id) FROM p WHERE p.id IS NOT NULL
         ) SELECT id FROM p WHERE id IS NOT NULL`,
      );
      return rows.map((r) => r.id);
    },
    async countCalls(projectId, range) {
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.calls WHERE project_id = $1 AND start_ns >= $2 AND start_ns < $3 AND ${REPRICEABLE}`,
        [projectId, range.fromNs.toString(), range.toNs.toString()],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async repriceBatch(projectId, range, after, limit, decide, dryRun) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // First, before any row lock: ingest takes row locks (its inserts) before this lock,
        // so taking it first here can never close a wait cycle.
        if (!dryRun) await client.query(rollupLockSql(), [projectId]);
        const { rows } = await client.query<Row>(
          `SELECT seq, start_ns, service_name, provider, model, response_model, operation, input_tokens,
             output_tokens, cache_read_input_tokens, cache_creation_input_tokens, cost_usd, cost_source
           FROM ${s}.calls
           WHERE project_id = $1 AND start_ns >= $2 AND start_ns < $3 AND (start_ns, seq) > ($4, $5)
             AND ${REPRICEABLE}
           ORDER BY start_ns, seq LIMIT $6${dryRun ? '' : ' FOR UPDATE'}`,
          [
            projectId,
            range.fromNs.toString(),
            range.toNs.toString(),
            (after?.startNs ?? range.fromNs - 1n).toString(),
            (after?.seq ?? -1n).toString(),
            limit,
          ],
        );
        const calls = rows.map(
          (r): StoredCallCost => ({
            cursor: { startNs: BigInt(r.start_ns), seq: BigInt(r.seq) },
            projectId,
            serviceName: r.service_name,
            provider: r.provider,
            model: r.model,
            responseModel: r.response_model,
            operation: r.operation,
            startTimeUnixNano: r.start_ns,
            inputTokens: int(r.input_tokens),
            outputTokens: int(r.output_tokens),
            cacheReadInputTokens: int(r.cache_read_input_tokens),
            cacheCreationInputTokens: int(r.cache_creation_input_tokens),
            costUsd: r.cost_usd,
            costSource: r.cost_source,
          }),
        );
        const updated = decide(calls);
        if (!dryRun && updated.length > 0) {
          await client.query(
            `UPDATE ${s}.calls AS c SET cost_usd = u.cost_usd, cost_source = u.cost_source
             FROM unnest($2::bigint[], $3::bigint[], $4::float8[], $5::text[])
               AS u(start_ns, seq, cost_usd, cost_source)
             WHERE c.project_id = $1 AND c.start_ns = u.start_ns AND c.seq = u.seq`,
            [
              projectId,
              updated.map((u) => u.call.cursor.startNs.toString()),
              updated.map((u) => u.call.cursor.seq.toString()),
              updated.map((u) => u.cost.costUsd),
              updated.map((u) => u.cost.costSource),
            ],
          );
          const deltas = updateRollupDeltas(updated);
          if (deltas.length > 0) {
            await client.query(
              `UPDATE ${s}.rollups AS r SET cost_usd = r.cost_usd + d.cost_usd
               FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[])
                 AS d(bucket_sec, bucket_start_ms, service, provider, model, operation, cost_usd)
               WHERE r.project_id = $1 AND r.bucket_sec = d.bucket_sec AND r.bucket_start_ms = d.bucket_start_ms
                 AND r.service = d.service AND r.provider = d.provider AND r.model = d.model
                 AND r.operation = d.operation`,
              [
                projectId,
                deltas.map((d) => d.key.bucketSec),
                deltas.map((d) => d.key.bucketStartMs),
                deltas.map((d) => d.key.service),
                deltas.map((d) => d.key.provider),
                deltas.map((d) => d.key.model),
                deltas.map((d) => d.key.operation),
                deltas.map((d) => d.costUsd),
              ],
            );
          }
        }
        await client.query('COMMIT');
        client.release();
        const last = calls.at(-1);
        return {
          read: calls.length,
          next: calls.length < limit || last === undefined ? null : last.cursor,
          updated,
        };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
    },
    async close() {
      await prices.close();
      if (owned) await pool.end();
    },
  };
}
