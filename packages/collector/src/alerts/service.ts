/**
 * The alerting subsystem in one object, for the collector to wire: rules from the config
 * file plus rules managed through the API, the evaluation job, the outbox job, and the
 * reads behind `GET /api/alerts` and `GET /api/alerts/history`.
 *
 * Jobs: call {@link Alerting.evaluate} and {@link Alerting.deliver} from the job scheduler
 * (on the elected leader when several replicas share PostgreSQL; `deliver` is also safe on
 * every replica thanks to leases), or {@link Alerting.start} in a single process.
 */
import type { EvaluationSources } from './evaluate.js';
import { type DeliveryReport, Outbox, type OutboxOptions, type OutboxStore } from './outbox.js';
import type { AlertRule, AlertsConfig, RuleIssue } from './rule.js';
import { type RuleRunResult, runAlertRules } from './run.js';
import { type CreateSinksOptions, createSinks } from './sinks/index.js';
import type { AlertSink } from './sinks/types.js';
import type {
  AlertHistoryEntry,
  AlertHistoryQuery,
  AlertRuleStore,
  AlertStateStore,
  StoredAlertState,
} from './sqlite-alert-store.js';
import type { AlertStatus } from './state.js';

/** Default interval of the evaluation job when started with {@link Alerting.start}. */
export const DEFAULT_EVALUATE_EVERY_MS = 60_000;
/** Default interval of the outbox job. */
export const DEFAULT_DELIVER_EVERY_MS = 5_000;

/** A store holding rules, states, history and the outbox. */
export type AlertStore = AlertStateStore & AlertRuleStore & { readonly outbox: OutboxStore };

/** Options of {@link Alerting}. */
export interface AlertingOptions extends Omit<CreateSinksOptions, 'now'> {
  store: AlertStore;
  sources: EvaluationSources;
  /** The loaded config file (sinks, network policy, read-only rules). */
  config?: AlertsConfig;
  /** Extra sinks by name, e.g. built in code (they override config sinks of the same name). */
  sinks?: ReadonlyMap<string, AlertSink>;
  now?: () => number;
  /** This replica's id in outbox leases; unique per process when replicas share a database. */
  owner?: string;
  /** Outbox delivery settings (lease, backoff, batch), see {@link OutboxOptions}. */
  outbox?: Omit<OutboxOptions, 'sinks' | 'now' | 'owner'>;
}

/** Why a rule cannot be saved through the API. */
export class AlertRuleConflictError extends Error {
  override readonly name = 'AlertRuleConflictError';
  readonly code = 'alert_rule_conflict';
}

/**
 * Alerting for one collector process.
 *
 * @example
 * ```ts
 * const alerting = new Alerting({ store: new SqliteAlertStore(db), sources: { rollups }, config });
 * alerting.start(); // or call evaluate()/deliver() from the job scheduler
 * ```
 */
export class Alerting {
  readonly outbox: Outbox;
  private readonly store: AlertStore;
  private readonly sources: EvaluationSources;
  private readonly fileRules: ReadonlyMap<string, AlertRule>;
  private readonly sinkNames: ReadonlySet<string>;
  private readonly dashboardUrl: string | undefined;
  private readonly now: () => number;
  private timers: NodeJS.Timeout[] = [];
  private running = { evaluate: false, deliver: false };

  /** @throws {AlertConfigError} when a sink's `secretEnv` is unset. */
  constructor(options: AlertingOptions) {
    this.store = options.store;
    this.sources = options.sources;
    this.now = options.now ?? Date.now;
    const config = options.config ?? {
      network: { allowHttp: false, allow: [] },
      sinks: {},
      rules: [],
    };
    this.dashboardUrl = config.dashboardUrl;
    this.fileRules = new Map(config.rules.map((r) => [r.id, r]));
    const sinks = new Map(createSinks(config, { ...options, now: this.now }));
    for (const [name, sink] of options.sinks ?? []) sinks.set(name, sink);
    this.sinkNames = new Set(sinks.keys());
    this.outbox = new Outbox(this.store.outbox, {
      ...options.outbox,
      sinks,
      now: this.now,
      ...(options.owner === undefined ? {} : { owner: options.owner }),
    });
  }

  /** Every rule: the config file's, then the API's, by id. */
  async rules(projectId?: string): Promise<(AlertRule & { source: 'file' | 'api' })[]> {
    const file = [...this.fileRules.values()]
      .filter((r) => projectId === undefined || r.projectId === projectId)
      .map((r) => ({ ...r, source: 'file' as const }));
    const api = (await this.store.listRules(projectId)).map((r) => ({
      ...r,
      source: 'api' as const,
    }));
    return [...file, ...api];
  }

  /** Problems with a rule's sinks (names not configured), as field issues. */
  sinkIssues(rule: Pick<AlertRule, 'sinks'>): RuleIssue[] {
    return rule.sinks.flatMap((name, i) =>
      this.sinkNames.has(name)
        ? []
        : [
            {
              path: `sinks.${i}`,
              message: `unknown sink "${name}" (configured: ${[...this.sinkNames].join(', ') || 'none'})`,
            },
          ],
    );
  }

  /**
   * Creates or replaces an API rule (already validated with `parseAlertRule`).
   *
   * @throws {AlertRuleConflictError} when the id belongs to a config-file rule.
   */
  async putRule(rule: AlertRule): Promise<{ created: boolean }> {
    if (this.fileRules.has(rule.id)) {
      throw new AlertRuleConflictError(
        `rule ${rule.id} is defined in the config file; change it there`,
      );
    }
    return this.store.putRule(rule, this.now());
  }

  /**
   * Deletes an API rule and its states.
   *
   * @throws {AlertRuleConflictError} when the id belongs to a config-file rule.
   */
  async deleteRule(id: string): Promise<boolean> {
    if (this.fileRules.has(id)) {
      throw new AlertRuleConflictError(`rule ${id} is defined in the config file; remove it there`);
    }
    return this.store.removeRule(id);
  }

  /** Current states (`GET /api/alerts`). */
  current(projectId: string, statuses?: readonly AlertStatus[]): Promise<StoredAlertState[]> {
    return this.store.current(projectId, statuses);
  }

  /** Transitions, newest first (`GET /api/alerts/history`). */
  history(query: AlertHistoryQuery): Promise<AlertHistoryEntry[]> {
    return this.store.history(query);
  }

  /** The evaluation job: every enabled rule once. */
  async evaluate(): Promise<RuleRunResult[]> {
    const rules = await this.rules();
    return runAlertRules(
      rules.map(({ source: _source, ...rule }) => rule),
      { sources: this.sources, store: this.store, dashboardUrl: this.dashboardUrl },
      this.now(),
    );
  }

  /** The outbox job: one batch of due notifications. */
  deliver(): Promise<DeliveryReport> {
    return this.outbox.deliverDue();
  }

  /**
   * Runs both jobs on unref'd timers (in a single process, or on the elected leader). A run
   * still in progress is not started again; errors go to `onError` and do not stop the
   * timers. With `immediately`, both jobs also run once now (a replica that just took over
   * delivers what its predecessor left in the outbox without waiting an interval).
   */
  start(
    options: {
      evaluateEveryMs?: number;
      deliverEveryMs?: number;
      immediately?: boolean;
      onError?: (job: 'evaluate' | 'deliver', error: unknown) => void;
    } = {},
  ): void {
    if (this.timers.length > 0) return;
    const onError = options.onError ?? (() => undefined);
    const every = (job: 'evaluate' | 'deliver', ms: number) => {
      const tick = () => {
        if (this.running[job]) return;
        this.running[job] = true;
        (job === 'evaluate' ? this.evaluate() : this.deliver())
          .catch((err: unknown) => onError(job, err))
          .finally(() => {
            this.running[job] = false;
          });
      };
      const timer = setInterval(tick, ms);
      timer.unref();
      this.timers.push(timer);
      if (options.immediately === true) tick();
    };
    every('evaluate', options.evaluateEveryMs ?? DEFAULT_EVALUATE_EVERY_MS);
    every('deliver', options.deliverEveryMs ?? DEFAULT_DELIVER_EVERY_MS);
  }

  /** Stops the timers; idempotent. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
