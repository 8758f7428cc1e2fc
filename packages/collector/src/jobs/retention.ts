import type { AuditStore, ReadSideStore } from '../store/store.js';

/** How often the retention job runs (ms). */
export const DEFAULT_RETENTION_INTERVAL_MS = 60_000;
/**
 * Rows deleted per transaction. Small, so each SQLite write lock is held for about a
 * millisecond and ingest transactions slip in between batches.
 */
export const DEFAULT_RETENTION_BATCH_SIZE = 1000;

const DAY_MS = 86_400_000;

/** Options of {@link startRetention}. */
export interface RetentionOptions {
  /** Calls that started more than this many days ago are deleted; null keeps them. */
  callRetentionDays: number | null;
  /** Rollup buckets that started more than this many days ago are deleted; null keeps them. */
  rollupRetentionDays: number | null;
  /** Audit entries older than this many days are deleted; null or unset keeps them. */
  auditRetentionDays?: number | null;
  /**
   * Projects with their own call retention (days), read at each run. A project's period
   * only ever shortens `callRetentionDays`, which stays the longest anything is kept.
   */
  projectRetentionDays?: () => Promise<ReadonlyMap<string, number>>;
  intervalMs?: number;
  batchSize?: number;
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Where a failed run is reported (default `console.error`); the next run retries. */
  onError?: (error: unknown) => void;
}

/** What one run deleted. */
export interface RetentionRunResult {
  calls: number;
  rollups: number;
  audit: number;
}

/** A running retention job. */
export interface RetentionJob {
  /** Runs now (or joins the run in progress) and resolves with what it deleted. */
  runOnce(): Promise<RetentionRunResult>;
  /** Stops the timer and waits for a run in progress; idempotent. */
  stop(): Promise<void>;
}

/** Lets the event loop serve requests between two delete batches. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes expired calls and rollups off the ingest path: a timer (unref'd, so it never
 * keeps the process alive) runs small delete batches one after another, yielding to the
 * event loop between them, until nothing expired is left. Rollups are usually kept much
 * longer than calls, so long-range charts survive the raw data.
 *
 * @example
 * const job = startRetention(store, { callRetentionDays: 30, rollupRetentionDays: 400 });
 * // … on shutdown:
 * await job.stop();
 */
export function startRetention(
  store: ReadSideStore & Partial<AuditStore>,
  options: RetentionOptions,
): RetentionJob {
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH_SIZE;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  let running: Promise<RetentionRunResult> | null = null;
  let stopped = false;

  async function drain(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      if (stopped) return total;
      const deleted = await deleteBatch(batchSize);
      total += deleted;
      if (deleted < batchSize) return total;
      await yieldToEventLoop();
    }
  }

  async function run(): Promise<RetentionRunResult> {
    const at = now();
    const result: RetentionRunResult = { calls: 0, rollups: 0, audit: 0 };
    if (options.callRetentionDays !== null) {
      const cutoffNs = BigInt(at - options.callRetentionDays * DAY_MS) * 1_000_000n;
      result.calls = await drain((limit) => store.deleteCallsBefore(cutoffNs, limit));
    }
    const global = options.callRetentionDays;
    for (const [projectId, days] of (await options.projectRetentionDays?.()) ?? []) {
      if (global !== null && days >= global) continue;
      const cutoffNs = BigInt(at - days * DAY_MS) * 1_000_000n;
      result.calls += await drain((limit) =>
        store.deleteProjectCallsBefore(projectId, cutoffNs, limit),
      );
    }
    if (options.rollupRetentionDays !== null) {
      const cutoffMs = at - options.rollupRetentionDays * DAY_MS;
      result.rollups = await drain((limit) => store.deleteRollupsBefore(cutoffMs, limit));
    }
    const auditDays = options.auditRetentionDays ?? null;
    const deleteAudit = store.deleteAuditBefore?.bind(store);
    if (auditDays !== null && deleteAudit !== undefined) {
      const cutoffMs = at - auditDays * DAY_MS;
      result.audit = await drain((limit) => deleteAudit(cutoffMs, limit));
    }
    return result;
  }

  function runOnce(): Promise<RetentionRunResult> {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  const enabled =
    options.projectRetentionDays !== undefined ||
    options.callRetentionDays !== null ||
    options.rollupRetentionDays !== null ||
    (options.auditRetentionDays ?? null) !== null;
  const timer = enabled
    ? setInterval(() => {
        if (running === null) runOnce().catch(onError);
      }, options.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS)
    : null;
  timer?.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
