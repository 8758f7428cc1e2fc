/**
 * One evaluation round: what the job scheduler calls for each rule. Reads rollups,
 * advances each group's state machine, and commits states, history and the
 * notifications of notified transitions in one transaction; the outbox worker
 * (`Outbox.deliverDue`) sends them afterwards.
 */
import { type EvaluationSources, evaluateRule } from './evaluate.js';
import { type AlertNotification, buildNotification } from './notification.js';
import { type NewOutboxEntry, outboxEntriesFor } from './outbox.js';
import type { AlertRule } from './rule.js';
import type { AlertStateStore } from './sqlite-alert-store.js';
import {
  type AlertState,
  type Evaluation,
  initialAlertState,
  nextAlertState,
  type Transition,
} from './state.js';

/** What {@link runAlertRule} needs. */
export interface AlertRunDeps {
  sources: EvaluationSources;
  store: AlertStateStore;
  /** Base URL of the dashboard, for links in notifications. */
  dashboardUrl?: string | undefined;
}

/** What one rule's evaluation did. */
export interface RuleRunResult {
  ruleId: string;
  evaluations: Evaluation[];
  transitions: Transition[];
  /** Notifications stored in the outbox (one per notified transition). */
  notifications: AlertNotification[];
  /** Set when the rule could not be evaluated (the others still were). */
  error?: string;
}

/**
 * Evaluates one rule at `nowMs` and commits the result.
 *
 * @example
 * ```ts
 * const result = await runAlertRule(rule, { sources: { rollups }, store: alerts }, Date.now());
 * ```
 */
export async function runAlertRule(
  rule: AlertRule,
  deps: AlertRunDeps,
  nowMs: number,
): Promise<RuleRunResult> {
  const previous = new Map<string, AlertState>();
  for (const s of await deps.store.load(rule.id)) previous.set(s.group, s);
  // Groups not at rest are evaluated even without data, so that they can resolve.
  const watched = [...previous.values()].filter((s) => s.status !== 'ok').map((s) => s.group);
  const evaluations = await evaluateRule(rule, deps.sources, nowMs, watched);
  const states: AlertState[] = [];
  const transitions: Transition[] = [];
  const notifications: AlertNotification[] = [];
  const outbox: NewOutboxEntry[] = [];
  for (const evaluation of evaluations) {
    const prev =
      previous.get(evaluation.group) ?? initialAlertState(rule.id, evaluation.group, nowMs);
    const { state, transition } = nextAlertState(rule, prev, evaluation, nowMs);
    states.push(state);
    if (transition === null) continue;
    transitions.push(transition);
    if (!transition.notify) continue;
    const notification = buildNotification(rule, transition, { dashboardUrl: deps.dashboardUrl });
    notifications.push(notification);
    outbox.push(...outboxEntriesFor(notification, rule.sinks, nowMs));
  }
  await deps.store.commit({
    projectId: rule.projectId,
    states,
    transitions,
    outbox,
    basis: { ruleId: rule.id, states: [...previous.values()] },
  });
  return { ruleId: rule.id, evaluations, transitions, notifications };
}

/**
 * Evaluates every enabled rule; a rule that fails (e.g. its store read fails) is reported
 * in its result and does not stop the others.
 */
export async function runAlertRules(
  rules: readonly AlertRule[],
  deps: AlertRunDeps,
  nowMs: number,
): Promise<RuleRunResult[]> {
  const results: RuleRunResult[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    try {
      results.push(await runAlertRule(rule, deps, nowMs));
    } catch (err) {
      results.push({
        ruleId: rule.id,
        evaluations: [],
        transitions: [],
        notifications: [],
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return results;
}
