import type pg from 'pg';
import type { AuditEntry, AuditQuery, StoredAuditEntry } from '../store.js';

interface AuditRow {
  seq: string;
  at_ms: string;
  key_id: string | null;
  method: string;
  route: string;
  path: string;
  filters: Record<string, string>;
  status: number;
  records: number | null;
}

// PostgreSQL text cannot hold U+0000 (a path or filter value may carry one, percent-decoded).
const text = (v: string): string => (v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

/** Appends one audit entry (committed when it resolves). */
export async function appendAudit(pool: pg.Pool, projectId: string, e: AuditEntry): Promise<void> {
  await pool.query({
    name: 'pilotlight_append_audit',
    text: `INSERT INTO audit_log (project_id, at_ms, key_id, method, route, path, filters, status, records)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    values: [
      text(projectId),
      e.atMs,
      e.keyId === null ? null : text(e.keyId),
      text(e.method),
      text(e.route),
      text(e.path),
      JSON.stringify(e.filters),
      e.status,
      e.records,
    ],
  });
}

/** Entries of one project, newest first (by `seq`), filtered as the query says. */
export async function listAudit(
  pool: pg.Pool,
  projectId: string,
  q: AuditQuery,
): Promise<StoredAuditEntry[]> {
  const where = ['project_id = $1'];
  const values: unknown[] = [projectId];
  const add = (sql: string, value: unknown): void => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (q.fromMs !== undefined) add('at_ms >= ?', q.fromMs);
  if (q.toMs !== undefined) add('at_ms < ?', q.toMs);
  if (q.route !== undefined) add('route = ?', q.route);
  if (q.keyId !== undefined) add('key_id = ?', q.keyId);
  if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
  values.push(q.limit);
  const { rows } = await pool.query<AuditRow>(
    `SELECT seq, at_ms, key_id, method, route, path, filters, status, records FROM audit_log
      WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    atMs: Number(r.at_ms),
    keyId: r.key_id,
    method: r.method,
    route: r.route,
    path: r.path,
    filters: r.filters,
    status: r.status,
    records: r.records,
  }));
}

/** Deletes at most `limit` entries (of any project) older than `beforeMs`, oldest first. */
export async function deleteAuditBefore(
  pool: pg.Pool,
  beforeMs: number,
  limit: number,
): Promise<number> {
  const res = await pool.query(
    `DELETE FROM audit_log WHERE seq IN (
       SELECT seq FROM audit_log WHERE at_ms < $1 ORDER BY seq LIMIT $2)`,
    [beforeMs, limit],
  );
  return res.rowCount ?? 0;
}
