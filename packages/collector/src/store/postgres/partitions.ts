import type { Pool } from 'pg';
import { inTransaction } from './client.js';
import { ADVISORY_LOCK_CLASS, quoteIdent } from './migrations.js';

/** Nanoseconds in one UTC day: the width of one `calls` partition. */
export const NANOS_PER_DAY = 86_400_000_000_000n;

/** UTC day number (days since 1970-01-01) of a Unix-nanosecond instant. */
export function dayOf(unixNano: bigint): number {
  const d = unixNano / NANOS_PER_DAY;
  // Division truncates toward zero; floor for instants before 1970.
  return Number(unixNano < 0n && d * NANOS_PER_DAY !== unixNano ? d - 1n : d);
}

/** Name of the partition holding a UTC day, e.g. `calls_p20261122`. */
export function partitionName(day: number): string {
  const date = new Date(day * 86_400_000).toISOString();
  return `calls_p${date.slice(0, 4)}${date.slice(5, 7)}${date.slice(8, 10)}`;
}

/**
 * Creates the partition of `day` unless it exists, in its own transaction under
 * an advisory lock (so concurrent replicas do not race on the catalog). Spans of
 * that day that went to the default partition earlier (they were outside the
 * window then) are moved into the new partition before it is attached, since
 * PostgreSQL refuses to attach a range the default partition still holds rows of.
 *
 * @returns whether this call created the partition.
 */
export async function ensureDayPartition(
  pool: Pool,
  schema: string,
  day: number,
): Promise<boolean> {
  const s = quoteIdent(schema);
  const name = partitionName(day);
  const from = BigInt(day) * NANOS_PER_DAY;
  const to = from + NANOS_PER_DAY;
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ADVISORY_LOCK_CLASS.partitions,
      schema,
    ]);
    const exists = await client.query('SELECT to_regclass($1) AS r', [`${s}.${quoteIdent(name)}`]);
    if (exists.rows[0]?.r !== null) return false;
    const p = `${s}.${quoteIdent(name)}`;
    await client.query(
      `CREATE TABLE ${p} (LIKE ${s}.calls INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await client.query(
      `WITH moved AS (DELETE FROM ${s}.calls_default WHERE start_ns >= $1 AND start_ns < $2 RETURNING *)
       INSERT INTO ${p} SELECT * FROM moved`,
      [from.toString(), to.toString()],
    );
    await client.query(
      `ALTER TABLE ${s}.calls ATTACH PARTITION ${p} FOR VALUES FROM (${from}) TO (${to})`,
    );
    return true;
  });
}

/** What {@link dropCallsBefore} removed. */
export interface RetentionResult {
  /** Whole day partitions dropped. */
  droppedPartitions: string[];
  /** Rows deleted one by one from the default partition. */
  deletedRows: number;
}

/**
 * Retention: drops every day partition that ends at or before `cutoffUnixNano`
 * (a catalog operation, no row-by-row delete), and deletes older rows that sit
 * in the default partition. Rows of the partition containing the cutoff stay.
 */
export async function dropCallsBefore(
  pool: Pool,
  schema: string,
  cutoffUnixNano: bigint,
): Promise<RetentionResult> {
  const s = quoteIdent(schema);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ADVISORY_LOCK_CLASS.partitions,
      schema,
    ]);
    const { rows } = await client.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
      [`${s}.calls`],
    );
    const dropped: string[] = [];
    for (const row of rows) {
      const m = /TO \('?(-?\d+)'?\)/.exec(row.bound);
      if (m?.[1] === undefined) continue; // the default partition
      if (BigInt(m[1]) <= cutoffUnixNano) {
        await client.query(`DROP TABLE ${s}.${quoteIdent(row.name)}`);
        dropped.push(row.name);
      }
    }
    const deleted = await client.query(`DELETE FROM ${s}.calls_default WHERE start_ns < $1`, [
      cutoffUnixNano.toString(),
    ]);
    return { droppedPartitions: dropped.sort(), deletedRows: deleted.rowCount ?? 0 };
  });
}
