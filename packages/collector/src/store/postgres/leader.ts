import pg from 'pg';

/** How often a follower tries to take the lock, and a leader checks it still holds its connection (ms). */
export const DEFAULT_LEADER_CHECK_INTERVAL_MS = 1_000;
/**
 * Shortest time the server keeps a silent elector session (and so a dead leader's lock)
 * before ending it; the default is the larger of this and 5 × the check interval.
 */
export const MIN_LEADER_SESSION_TIMEOUT_MS = 5_000;

/** Options of {@link createLeaderElector}. */
export interface LeaderElectorOptions {
  /** The store's pool: the elector copies its connection settings for a dedicated connection (it takes no pooled one). */
  pool: pg.Pool;
  /** Names the role being elected (e.g. `pilotlight.jobs`); every replica must use the same key. */
  lockKey: string | bigint;
  /** Called when this replica becomes the leader; start the jobs here. */
  onElected: () => void | Promise<void>;
  /** Called when it stops being the leader (connection lost, or `stop()`); stop the jobs here. */
  onDemoted: () => void | Promise<void>;
  /** See {@link DEFAULT_LEADER_CHECK_INTERVAL_MS}; a dead leader is replaced within about this long. */
  checkIntervalMs?: number;
  /**
   * A leader whose host vanished without closing its connection (power loss, network
   * partition) keeps its session, and the lock, until the server notices: the elector's
   * session asks the server to end it after this long without a query
   * (`idle_session_timeout`, PostgreSQL 14+, and TCP keepalives), and gives up itself on a
   * check that takes longer. Default: max({@link MIN_LEADER_SESSION_TIMEOUT_MS}, 5 ×
   * `checkIntervalMs`).
   */
  sessionTimeoutMs?: number;
  /** `application_name` of the dedicated connection (default `pilotlight-leader`). */
  applicationName?: string;
  /** Errors while campaigning or from the callbacks (default: ignored; the elector keeps trying). */
  onError?: (error: unknown) => void;
}

/** A running election; one per replica. */
export interface LeaderElector {
  /** Whether this replica currently holds the lock. */
  readonly isLeader: boolean;
  /** Steps down (releasing the lock) and stops campaigning; resolves once `onDemoted` has run. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Elects one leader among replicas sharing a PostgreSQL database, so that
 * background jobs (alerts, drift monitors, retention, the outbox) run exactly
 * once. A session-level `pg_try_advisory_lock` is held on a dedicated connection:
 * PostgreSQL releases it the moment that connection ends, so when the leader's
 * process dies or its connection is cut, a follower's next attempt (every
 * `checkIntervalMs`) takes over.
 *
 * The leader also learns it lost the lock when its connection fails (an error
 * event at once, or the next periodic check), then calls `onDemoted`. Between the
 * lock's release and that moment two replicas may both be running jobs briefly,
 * so jobs must stay idempotent (outbox deliveries carry idempotency keys).
 *
 * @example
 * const elector = createLeaderElector({
 *   pool: store.pool,
 *   lockKey: 'pilotlight.jobs',
 *   onElected: () => jobs.start(),
 *   onDemoted: () => jobs.stop(),
 * });
 * // … on shutdown:
 * await elector.stop();
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const intervalMs = options.checkIntervalMs ?? DEFAULT_LEADER_CHECK_INTERVAL_MS;
  const sessionTimeoutMs =
    options.sessionTimeoutMs ?? Math.max(MIN_LEADER_SESSION_TIMEOUT_MS, 5 * intervalMs);
  const onError = options.onError ?? (() => undefined);
  const [lockSql, lockArg] =
    typeof options.lockKey === 'bigint'
      ? ['$1::bigint', options.lockKey.toString()]
      : ['hashtextextended($1::text, 0)', options.lockKey];

  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();

  const call = async (fn: () => void | Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      onError(error);
    }
  };

  const demote = async (): Promise<void> => {
    if (!leader) return;
    leader = false;
    await call(options.onDemoted);
  };

  const dropClient = (c: pg.Client): void => {
    if (client === c) client = undefined;
    c.end().catch(() => undefined);
  };

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      ...options.pool.options,
      application_name: options.applicationName ?? 'pilotlight-leader',
      // A check that hangs (the database vanished without closing) demotes this replica.
      query_timeout: sessionTimeoutMs,
      connectionTimeoutMillis: sessionTimeoutMs,
    });
    c.on('error', (error) => {
      // The server ended the session (terminated, restarted) or the socket broke: the lock is gone.
      onError(error);
      dropClient(c);
      busy = busy.then(demote);
    });
    await c.connect();
    // The server ends this session, releasing the lock, once its client falls silent. The
    // keepalive settings cover a silent peer at the TCP level; idle_session_timeout needs
    // PostgreSQL 14 (on older servers the keepalives alone apply).
    const keepaliveSec = Math.max(1, Math.round(sessionTimeoutMs / 3_000));
    try {
      await c.query(
        `SET tcp_keepalives_idle = ${keepaliveSec}; SET tcp_keepalives_interval = ${keepaliveSec}; SET tcp_keepalives_count = 3`,
      );
      await c.query(`SET idle_session_timeout = ${Math.round(sessionTimeoutMs)}`).catch(onError);
    } catch (error) {
      c.end().catch(() => undefined);
      throw error;
    }
    return c;
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (client === undefined) {
        if (leader) await demote();
        const c = await connect();
        if (stopped) {
          dropClient(c);
          return;
        }
        client = c;
      }
      const c = client;
      if (leader) {
        // Still connected means still holding the lock.
        await c.query('SELECT 1');
      } else {
        const { rows } = await c.query<{ ok: boolean }>(
          `SELECT pg_try_advisory_lock(${lockSql}) AS ok`,
          [lockArg],
        );
        if (rows[0]?.ok === true && !stopped && client === c) {
          leader = true;
          await call(options.onElected);
        }
      }
    } catch (error) {
      onError(error);
      if (client !== undefined) dropClient(client);
      await demote();
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      busy = busy.then(tick).then(schedule);
    }, intervalMs);
    timer.unref();
  };
  busy = busy.then(tick).then(schedule);

  let stopping: Promise<void> | undefined;
  return {
    get isLeader() {
      return leader;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await busy;
        await demote();
        const c = client;
        client = undefined;
        // Ending the session releases the advisory lock.
        if (c !== undefined) await c.end().catch(() => undefined);
      })();
      return stopping;
    },
  };
}
