/**
 * Which SQLite layout ingests faster as the table grows: the collector's (rowid
 * clustering key + unique index on (project, trace id, span id)) or a WITHOUT ROWID
 * table clustered on the ids. Same rows, same pragmas (WAL, synchronous=NORMAL,
 * 32 MiB cache), 100-row transactions; layouts alternate round by round and the
 * insert rate of each third of the load is reported with the final file size.
 *
 * Run: `npx tsx bench/sqlite-layout.ts` (env `BENCH_ROWS`, default 300000; `BENCH_ROUNDS`, default 2).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const ROWS = Number(process.env.BENCH_ROWS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH = 100;

const COLUMNS =
  'project_id TEXT NOT NULL, trace_id BLOB NOT NULL, span_id BLOB NOT NULL, name TEXT, model TEXT, ' +
  'start_ns INTEGER NOT NULL, end_ns INTEGER, input_tokens INTEGER, attributes TEXT';
const LAYOUTS: Record<string, string> = {
  'rowid + unique index (collector)': `
    CREATE TABLE calls (seq INTEGER PRIMARY KEY, ${COLUMNS});
    CREATE UNIQUE INDEX calls_by_span ON calls (project_id, trace_id, span_id);
    CREATE INDEX calls_by_start ON calls (project_id, start_ns);`,
  'WITHOUT ROWID on the ids': `
    CREATE TABLE calls (${COLUMNS}, PRIMARY KEY (project_id, trace_id, span_id)) WITHOUT ROWID;
    CREATE INDEX calls_by_start ON calls (project_id, start_ns);`,
};

const attributes = JSON.stringify({
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.usage.input_tokens': 100,
  'gen_ai.input.messages': 'hello '.repeat(40),
});

function run(layout: string, file: string): { thirds: number[]; sizeMb: number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32768');
  db.exec(LAYOUTS[layout]!);
  const insert = db.prepare(
    'INSERT INTO calls (project_id, trace_id, span_id, name, model, start_ns, end_ns, input_tokens, attributes) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const insertBatch = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(row);
  });
  let start = 1_750_000_000_000_000_000n;
  const thirds: number[] = [];
  let t0 = performance.now();
  const third = Math.floor(ROWS / BATCH / 3) * BATCH;
  for (let done = 0; done < third * 3; done += BATCH) {
    const traceId = randomBytes(16);
    const rows: unknown[][] = [];
    for (let k = 0; k < BATCH; k++) {
      start += 1_000_000n;
      rows.push([
        'default',
        traceId,
        randomBytes(8),
        'chat',
        'gpt-4o',
        start,
        start + 5n,
        100,
        attributes,
      ]);
    }
    insertBatch(rows);
    if ((done + BATCH) % third === 0) {
      const t = performance.now();
      thirds.push(Math.round(third / ((t - t0) / 1000)));
      t0 = t;
    }
  }
  db.close();
  return { thirds, sizeMb: statSync(file).size / 1e6 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'pilotlight-layout-'));
try {
  console.log(
    `SQLite layout, ${ROWS} rows in ${BATCH}-row transactions (rows/s per third, file size):`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const layout of Object.keys(LAYOUTS)) {
      const file = path.join(dir, `r${round}-${layout.replace(/\W+/g, '-')}.db`);
      const { thirds, sizeMb } = run(layout, file);
      console.log(`  ${layout.padEnd(34)} ${thirds.join(' / ')} rows/s, ${sizeMb.toFixed(1)} MB`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
