/**
 * The SQLite ceiling of `ingest-http.ts`: better-sqlite3 doing only the inserts, in this
 * process, no HTTP and no parsing. The rows are built before the clock starts (decoded,
 * normalised and converted from the same bodies the HTTP runs send); then 100-row
 * batches are inserted, one transaction each, for `BENCH_SECONDS`, with the store's
 * schema and pragmas (WAL, `synchronous=FULL`, its page cache).
 * - `raw`: the `calls` insert alone (`INSERT … ON CONFLICT DO NOTHING`),
 * - `rawGrouped`: the same, 50 batches per transaction (the fsync amortised),
 * - `store`: the store's whole write (calls, rollups, models) through `createSqliteWriter`.
 * Prints one JSON line `{ raw, rawGrouped, store }` in spans/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPriceBook } from '@pilotlight/conventions';
import Database from 'better-sqlite3';
import { decodeProtobufTracesWire } from '../src/otlp/decode-protobuf-wire.js';
import { toCallRecord } from '../src/otlp/to-record.js';
import { bindWireRow, COLUMNS, toWireRow, type WireRow } from '../src/store/sqlite/rows.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createSqliteWriter } from '../src/store/sqlite/writer.js';
import { bodyFor, makeTemplates, SPANS_PER_BATCH } from './ingest-bodies.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Distinct batches built up front; later passes reuse them with new ids written in place. */
const BATCHES = 100;

const prices = createPriceBook();
const template = makeTemplates().protobuf;
function wireBatches(offset: number): WireRow[][] {
  const now = Date.now();
  return Array.from({ length: BATCHES }, (_, n) =>
    decodeProtobufTracesWire(bodyFor(template, offset + n)).spans.map((s) =>
      toWireRow('default', toCallRecord(s, 'default', prices), now),
    ),
  );
}

const prefix = (n: number): number => Math.imul(n + 1, 0x9e3779b1) >>> 0;

/** Runs batch after batch for `SECONDS`, batch `n` with id prefix `n` (unique ids). */
function timed(run: (n: number) => void): number {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) run(n++);
  return (n * SPANS_PER_BATCH) / ((performance.now() - start) / 1000);
}

const dir = mkdtempSync(path.join(tmpdir(), 'pilotlight-ingest-sqlite-'));
try {
  const result: Record<string, number> = {};
  {
    const file = path.join(dir, 'raw.db');
    await openSqliteStore({ path: file, writerThread: false }).close();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${process.env.BENCH_SYNC ?? 'FULL'}`);
    db.pragma('cache_size = -32768');
    const insert = db.prepare(
      `INSERT INTO calls (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
    );
    const batches = wireBatches(0);
    for (const b of batches) for (const row of b) bindWireRow(row);
    const tx = db.transaction((rows: WireRow[], n: number) => {
      // Rewriting 4 bytes of each bound id is the only work besides the inserts.
      const p = prefix(n);
      for (const row of rows) {
        (row[1] as Buffer).writeUInt32BE(p, 0);
        (row[2] as Buffer).writeUInt32BE(p, 0);
        insert.run(row);
      }
    });
    result.raw = timed((n) => tx(batches[n % BATCHES]!, n));
    // The same inserts, 50 batches (5,000 rows, the writer's largest group) per commit:
    // what SQLite does with the fsync amortised.
    const group = db.transaction((first: number) => {
      for (let n = first; n < first + 50; n++) tx(batches[n % BATCHES]!, n);
    });
    let next = 1_000_000;
    result.rawGrouped =
      timed(() => {
        group(next);
        next += 50;
      }) * 50;
    db.close();
  }
  {
    const file = path.join(dir, 'store.db');
    await openSqliteStore({ path: file, writerThread: false }).close();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${process.env.BENCH_SYNC ?? 'FULL'}`);
    db.pragma('cache_size = -32768');
    const writer = createSqliteWriter(db);
    const batches = wireBatches(0);
    result.store = timed((n) => {
      // The writer binds rows in place, so each run gets copies with new hex ids.
      const p = prefix(n).toString(16).padStart(8, '0');
      const rows = batches[n % BATCHES]!.map((row) => {
        const copy = row.slice();
        copy[1] = p + (row[1] as string).slice(8);
        copy[2] = p + (row[2] as string).slice(8);
        return copy;
      });
      const [outcome] = writer.run([{ op: 'insert', projectId: 'default', rows }]);
      if (!outcome?.ok) throw new Error('insert failed');
    });
    db.close();
  }
  console.log(JSON.stringify({ spansPerBatch: SPANS_PER_BATCH, ...result }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
