/**
 * The SQLite writer thread: owns the one connection that writes, so that committing
 * (and its fsync) overlaps with the main thread decoding the next requests. Messages
 * that arrive while a transaction runs are queued and committed together on the next
 * turn (group commit); the answers go back in one message per turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createSqliteWriter, type WriteOp, type WriteOutcome } from './writer.js';

/**
 * WAL pages after which a commit also checkpoints (SQLite's default is 1,000, 4 MiB). At
 * ingest rates every byte goes through the WAL and then into the database file; 40 MiB
 * between checkpoints means far fewer of them (each also an fsync of the database file),
 * measured ~15% more spans committed per second, for a WAL file of up to ~40 MiB.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** What the main thread passes in `workerData`. */
export interface WriterWorkerData {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
  cacheSizeKib: number;
}

/** A request to the writer. */
export type WriterRequest = { id: number; write: WriteOp } | { id: number; close: true };

/** The writer's answers of one turn, in request order. */
export type WriterReply = { id: number; outcome: WriteOutcome }[];

const port = parentPort;
if (port === null) throw new Error('writer-worker.ts runs as a worker thread');
const data = workerData as WriterWorkerData;
const db = new Database(data.path);
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
db.pragma(`cache_size = -${data.cacheSizeKib}`);
db.pragma(`synchronous = ${data.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
const writer = createSqliteWriter(db);

let queue: { id: number; write: WriteOp }[] = [];
let scheduled = false;
let closeId: number | null = null;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length > 0) {
    const outcomes = writer.run(batch.map((r) => r.write));
    const reply: WriterReply = batch.map((r, i) => ({ id: r.id, outcome: outcomes[i]! }));
    port!.postMessage(reply);
  }
  if (closeId !== null) {
    db.close();
    port!.postMessage([{ id: closeId, outcome: { ok: true, value: null } }] satisfies WriterReply);
    port!.close();
  }
}

port.on('message', (request: WriterRequest) => {
  if ('close' in request) closeId = request.id;
  else queue.push(request);
  // Every message already received is delivered before an immediate runs, so one flush
  // commits everything that queued up while the previous transaction ran.
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
