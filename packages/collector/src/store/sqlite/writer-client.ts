import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteOp } from './writer.js';
import type { WriterReply, WriterRequest, WriterWorkerData } from './writer-worker.js';

/**
 * V8 limits of the writer thread (MiB). Its live data is the groups being committed
 * (admission control bounds them to some thousands of rows); a small young generation
 * keeps the resident memory of its garbage small, and the old-generation cap only stops a
 * runaway (the thread then exits and writes fail as 503s).
 */
const WRITER_YOUNG_GENERATION_MB = 8;
const WRITER_OLD_GENERATION_MB = 512;

/** The main thread's handle on the writer thread. */
export interface WriterClient {
  /** Posts a write; resolves with its result once its transaction has committed. */
  write(op: WriteOp): Promise<unknown>;
  /** Lets queued writes commit, then closes the writer's connection and ends the thread. */
  close(): Promise<void>;
  /**
   * Why the thread stopped (it crashed or exited), or null while it runs: every write
   * then fails, so health checks must fail too.
   */
  failure(): Error | null;
}

/**
 * Where the worker's code is: beside this module when running from the TypeScript
 * sources (loaded through tsx), else the bundle's `sqlite-writer.js` next to the bundled
 * module (the build's `sqlite-writer` entry). Null when neither exists.
 */
function workerSource(): { url: URL; typescript: boolean } | null {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./writer-worker.ts', here), typescript: true };
  for (const name of ['./sqlite-writer.js', './writer-worker.js']) {
    const url = new URL(name, here);
    if (existsSync(fileURLToPath(url))) return { url, typescript: false };
  }
  return null;
}

/**
 * Starts the writer thread on a migrated database file, or returns null when the
 * worker's code is not available (the store then writes on the calling thread).
 */
export function startWriterThread(data: WriterWorkerData): WriterClient | null {
  const source = workerSource();
  if (source === null) return null;
  const resourceLimits = {
    maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB,
    maxOldGenerationSizeMb: WRITER_OLD_GENERATION_MB,
  };
  const worker = source.typescript
    ? // Node 20 workers do not inherit tsx's loader hooks; register them in the worker.
      new Worker(
        `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(source.url.href)}, ${JSON.stringify(source.url.href)}))`,
        { eval: true, workerData: data, resourceLimits },
      )
    : new Worker(source.url, { workerData: data, resourceLimits });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;
  // An idle writer must not keep the process alive; one with work in flight must.
  worker.unref();

  const settleAll = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (reply: WriterReply) => {
    for (const { id, outcome } of reply) {
      const p = pending.get(id);
      if (p === undefined) continue;
      pending.delete(id);
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(new Error(outcome.message));
    }
    // While closing, the thread stays referenced until it has exited.
    if (pending.size === 0 && closing === null) worker.unref();
  });
  worker.on('error', (error) =>
    settleAll(new Error(`the SQLite writer thread failed: ${error.message}`, { cause: error })),
  );
  worker.on('exit', (code) =>
    settleAll(new Error(`the SQLite writer thread exited (code ${code})`)),
  );

  const post = (request: WriterRequest): Promise<unknown> => {
    if (failure !== null) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  };

  return {
    write(op) {
      if (closing !== null) return Promise.reject(new Error('the span store is closed'));
      return post({ id: nextId++, write: op });
    },
    failure() {
      return closing === null ? failure : null;
    },
    close() {
      closing ??= (async () => {
        if (failure === null) {
          const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
          await post({ id: nextId++, close: true }).catch(() => undefined);
          await exited;
        } else {
          await worker.terminate();
        }
      })();
      return closing;
    },
  };
}
