/**
 * Where the collector's background jobs (alert evaluation, drift monitors, the notification
 * outbox, retention) run: always in a single process on SQLite; on PostgreSQL only on the
 * replica elected through an advisory lock, so that several collectors sharing one database
 * run each job once. When the leader dies, its session ends, PostgreSQL releases the lock and
 * another replica's next attempt (every `checkIntervalMs`) takes over and starts the jobs.
 */
import type pg from 'pg';
import { createLeaderElector, DEFAULT_LEADER_CHECK_INTERVAL_MS } from '../store/postgres/leader.js';

/** A background job that can be started, stopped and started again (on each election). */
export interface BackgroundJob {
  /** For error messages (`retention`, `alerts and drift`). */
  name: string;
  /** Starts the job's timers; resolves the handle that stops them. */
  start(): { stop(): void | Promise<void> };
}

/** Options of {@link runBackgroundJobs}. */
export interface BackgroundJobsOptions {
  /**
   * Elect a leader among the replicas sharing this PostgreSQL database and run the jobs
   * only there. Without it (SQLite, one process), the jobs run here at once.
   */
  leaderElection?: {
    /** The span store's pool (the elector opens one dedicated connection with its settings). */
    pool: pg.Pool;
    /** Every replica of one deployment must use the same key (e.g. derived from the schema). */
    lockKey: string;
    /** See {@link DEFAULT_LEADER_CHECK_INTERVAL_MS}. */
    checkIntervalMs?: number;
    /** See `LeaderElectorOptions.sessionTimeoutMs`: how soon a vanished leader's lock is freed. */
    sessionTimeoutMs?: number;
    /** `application_name` of the elector's connection (default `pilotlight-leader`). */
    applicationName?: string;
  };
  /** Called when this process starts (true) or stops (false) running the jobs. */
  onLeaderChange?: (leading: boolean) => void;
  /** Errors from starting or stopping a job, or from campaigning (default: ignored). */
  onError?: (error: unknown) => void;
}

/** The running jobs of one process. */
export interface BackgroundJobs {
  /** Whether the jobs run in this process now. */
  readonly isLeader: boolean;
  /** Stops the jobs and, on PostgreSQL, steps down so another replica takes over; idempotent. */
  stop(): Promise<void>;
}

/** The lock key of the collector's jobs in one schema (replicas of other schemas elect apart). */
export function jobsLockKey(schema: string): string {
  return `pilotlight.jobs:${schema}`;
}

/**
 * Runs `jobs` here, or only on the elected leader when `leaderElection` is given.
 *
 * @example
 * ```ts
 * const running = runBackgroundJobs([retentionJob, alertsJob], {
 *   leaderElection: { pool: store.pool, lockKey: jobsLockKey(store.schema) },
 * });
 * // on shutdown:
 * await running.stop();
 * ```
 */
export function runBackgroundJobs(
  jobs: readonly BackgroundJob[],
  options: BackgroundJobsOptions = {},
): BackgroundJobs {
  const onError = options.onError ?? (() => undefined);
  let handles: { name: string; stop(): void | Promise<void> }[] = [];
  let leading = false;

  const startAll = (): void => {
    if (leading) return;
    leading = true;
    for (const job of jobs) {
      try {
        handles.push({ name: job.name, ...job.start() });
      } catch (error) {
        onError(new Error(`${job.name}: could not start`, { cause: error }));
      }
    }
    options.onLeaderChange?.(true);
  };
  const stopAll = async (): Promise<void> => {
    if (!leading) return;
    leading = false;
    const stopping = handles;
    handles = [];
    await Promise.all(
      stopping.map(async (h) => {
        try {
          await h.stop();
        } catch (error) {
          onError(new Error(`${h.name}: could not stop`, { cause: error }));
        }
      }),
    );
    options.onLeaderChange?.(false);
  };

  const election = options.leaderElection;
  if (election === undefined) {
    startAll();
    let stopped: Promise<void> | undefined;
    return {
      get isLeader() {
        return leading;
      },
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  }
  const elector = createLeaderElector({
    pool: election.pool,
    lockKey: election.lockKey,
    checkIntervalMs: election.checkIntervalMs ?? DEFAULT_LEADER_CHECK_INTERVAL_MS,
    onElected: startAll,
    onDemoted: stopAll,
    onError,
    ...(election.sessionTimeoutMs === undefined
      ? {}
      : { sessionTimeoutMs: election.sessionTimeoutMs }),
    ...(election.applicationName === undefined
      ? {}
      : { applicationName: election.applicationName }),
  });
  return {
    get isLeader() {
      return leading;
    },
    stop: () => elector.stop(),
  };
}
