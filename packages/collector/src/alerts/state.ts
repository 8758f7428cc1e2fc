/**
 * The state machine of one rule and group, as pure functions:
 *
 * | from            | on                                    | to        | notifies        |
 * |-----------------|---------------------------------------|-----------|-----------------|
 * | ok, resolved    | breach, `forSec = 0`, cooldown over   | firing    | yes             |
 * | ok, resolved    | breach otherwise                      | pending   | `notifyPending` |
 * | resolved        | no breach                             | ok        | no (settled)    |
 * | pending         | breach lasted `forSec`, cooldown over | firing    | yes             |
 * | pending         | no breach / no data / too few calls   | ok        | `notifyPending` |
 * | firing          | breach at another level               | firing    | yes (escalated / deescalated) |
 * | firing          | no breach / no data (`noData: ok`)    | resolved  | yes             |
 * | any             | no data with `noData: keep`           | unchanged | no              |
 * | firing          | too few calls                         | unchanged | no              |
 *
 * Each call takes the previous state and one evaluation and returns the next state and at
 * most one transition; a transition carries the value, threshold and window that caused it
 * and whether it is notified. Notifications follow transitions, never evaluations: a rule
 * that stays firing for a week sends one notification.
 *
 * - Levels: a value crossing `threshold` is `critical`; crossing only `warningThreshold`
 *   is `warning`. A change of level while firing is a transition (and a notification).
 * - `forSec`: a breach enters `pending` and fires once it has lasted `forSec`; with
 *   `forSec = 0` it fires on the first breaching evaluation (no pending step).
 * - `minCalls`: with fewer calls in the window the rule may not start a breach; a firing
 *   alert is held (too little traffic to say it recovered), a pending one is cleared.
 * - No data (`value === null`): `noData: ok` counts as no breach (so a firing alert
 *   resolves), `alerting` as a critical breach, `keep` leaves everything unchanged.
 * - `cooldownSec`: after an alert resolves it may not fire again, for the same rule and
 *   group, before `cooldownSec` has passed; a breach meanwhile waits in `pending`. Resolving
 *   is never delayed, so at most two notifications per cooldown period even when flapping.
 */
import type { AlertRule, Comparator } from './rule.js';

export type AlertStatus = 'ok' | 'pending' | 'firing' | 'resolved';
export type Severity = 'warning' | 'critical';

/** Why a transition happened. */
export type TransitionReason =
  /** A breach started (`→ pending`, or `→ firing` when `forSec` is 0). */
  | 'breach'
  /** The breach lasted `forSec` (`pending → firing`). */
  | 'sustained'
  /** The level rose from warning to critical while firing. */
  | 'escalated'
  /** The level fell from critical to warning while firing. */
  | 'deescalated'
  /** The value no longer breaches (`firing → resolved`, `pending → ok`). */
  | 'recovered'
  /** The window had no data and `noData` is `ok`. */
  | 'no_data'
  /** Fewer calls than `minCalls` (`pending → ok`). */
  | 'insufficient_calls'
  /** A resolved alert stayed quiet for one evaluation (`resolved → ok`). */
  | 'settled';

/** The state of one rule and group, as persisted between evaluations. */
export interface AlertState {
  ruleId: string;
  /** Group value (`''` for a rule without `groupBy`). */
  group: string;
  status: AlertStatus;
  /** Level of a pending or firing alert (and of the breach a resolved alert had); else null. */
  severity: Severity | null;
  /** When `status` was entered, Unix ms. */
  sinceMs: number;
  /** The last evaluated value (null: no data), and when it was evaluated. */
  value: number | null;
  evaluatedAtMs: number | null;
  /** When the alert last resolved, for the cooldown; null if never. */
  resolvedAtMs: number | null;
}

/** The outcome of evaluating one rule for one group over one window. */
export interface Evaluation {
  ruleId: string;
  group: string;
  /** The metric's value, or null when the window had no data for it. */
  value: number | null;
  /** Calls in the window (for the `minCalls` gate); for drift, the smaller sample size. */
  calls: number;
  /** The window evaluated, `[windowStartMs, windowEndMs)` in Unix ms. */
  windowStartMs: number;
  windowEndMs: number;
}

/** One change of state, with what caused it. */
export interface Transition {
  ruleId: string;
  group: string;
  from: AlertStatus;
  to: AlertStatus;
  /** Level after the transition (for `resolved`/`ok`: the level that ended), if any. */
  severity: Severity | null;
  previousSeverity: Severity | null;
  reason: TransitionReason;
  /** The value that caused it (null: no data). */
  value: number | null;
  /** The threshold it was compared with (critical or warning), null for no-data/min-calls cases. */
  threshold: number | null;
  comparator: Comparator;
  calls: number;
  windowSec: number;
  windowStartMs: number;
  windowEndMs: number;
  /** When it happened (the evaluation time), Unix ms. */
  atMs: number;
  /** Whether it sends a notification. */
  notify: boolean;
}

/** The rule fields the state machine reads. */
export type StateRule = Pick<
  AlertRule,
  | 'comparator'
  | 'threshold'
  | 'warningThreshold'
  | 'minCalls'
  | 'noData'
  | 'forSec'
  | 'cooldownSec'
  | 'notifyPending'
  | 'windowSec'
>;

/** Result of {@link nextAlertState}. */
export interface StepResult {
  state: AlertState;
  transition: Transition | null;
}

/** The state of a rule and group never evaluated: `ok` since `nowMs`. */
export function initialAlertState(ruleId: string, group: string, nowMs: number): AlertState {
  return {
    ruleId,
    group,
    status: 'ok',
    severity: null,
    sinceMs: nowMs,
    value: null,
    evaluatedAtMs: null,
    resolvedAtMs: null,
  };
}

/** Whether `value <comparator> threshold`. */
export function breaches(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

type Verdict =
  | { kind: 'keep' }
  | { kind: 'breach'; level: Severity }
  | { kind: 'clear'; reason: 'recovered' | 'no_data' | 'insufficient_calls' };

function judge(rule: StateRule, evaluation: Evaluation): Verdict {
  const { value } = evaluation;
  if (value === null) {
    if (rule.noData === 'keep') return { kind: 'keep' };
    if (rule.noData === 'alerting') return { kind: 'breach', level: 'critical' };
    return { kind: 'clear', reason: 'no_data' };
  }
  if (evaluation.calls < rule.minCalls) return { kind: 'clear', reason: 'insufficient_calls' };
  if (breaches(value, rule.comparator, rule.threshold))
    return { kind: 'breach', level: 'critical' };
  if (
    rule.warningThreshold !== undefined &&
    breaches(value, rule.comparator, rule.warningThreshold)
  ) {
    return { kind: 'breach', level: 'warning' };
  }
  return { kind: 'clear', reason: 'recovered' };
}

function thresholdOf(rule: StateRule, level: Severity | null): number | null {
  if (level === 'critical') return rule.threshold;
  if (level === 'warning') return rule.warningThreshold ?? null;
  return null;
}

/**
 * Advances one rule and group by one evaluation. Pure: same inputs, same result.
 *
 * @param rule the rule's thresholds and behaviours
 * @param prev the state after the previous evaluation ({@link initialAlertState} at first)
 * @param evaluation the value over the current window
 * @param nowMs the evaluation time, Unix ms (injected: no clock is read)
 *
 * @example
 * ```ts
 * let state = initialAlertState(rule.id, '', now);
 * const { state: next, transition } = nextAlertState(rule, state, evaluation, now);
 * if (transition?.notify) await outbox.enqueue(buildNotification(rule, transition), rule.sinks);
 * ```
 */
export function nextAlertState(
  rule: StateRule,
  prev: AlertState,
  evaluation: Evaluation,
  nowMs: number,
): StepResult {
  const observed: AlertState = { ...prev, value: evaluation.value, evaluatedAtMs: nowMs };
  const verdict = judge(rule, evaluation);
  const move = (
    to: AlertStatus,
    severity: Severity | null,
    reason: TransitionReason,
    notify: boolean,
    thresholdLevel: Severity | null,
  ): StepResult => {
    const state: AlertState = {
      ...observed,
      status: to,
      severity: to === 'ok' ? null : severity,
      sinceMs: nowMs,
      resolvedAtMs: to === 'resolved' ? nowMs : prev.resolvedAtMs,
    };
    const transition: Transition = {
      ruleId: prev.ruleId,
      group: prev.group,
      from: prev.status,
      to,
      severity,
      previousSeverity: prev.severity,
      reason,
      value: evaluation.value,
      threshold:
        reason === 'no_data' || reason === 'insufficient_calls'
          ? null
          : thresholdOf(rule, thresholdLevel),
      comparator: rule.comparator,
      calls: evaluation.calls,
      windowSec: rule.windowSec,
      windowStartMs: evaluation.windowStartMs,
      windowEndMs: evaluation.windowEndMs,
      atMs: nowMs,
      notify,
    };
    return { state, transition };
  };
  const stay = (severity: Severity | null = prev.severity): StepResult => ({
    state: { ...observed, severity },
    transition: null,
  });

  if (verdict.kind === 'keep') return stay();
  const cooled = prev.resolvedAtMs === null || nowMs - prev.resolvedAtMs >= rule.cooldownSec * 1000;

  switch (prev.status) {
    case 'ok':
    case 'resolved': {
      if (verdict.kind === 'clear') {
        return prev.status === 'resolved'
          ? move('ok', prev.severity, 'settled', false, prev.severity)
          : stay(null);
      }
      if (rule.forSec === 0 && cooled) {
        return move('firing', verdict.level, 'breach', true, verdict.level);
      }
      return move('pending', verdict.level, 'breach', rule.notifyPending, verdict.level);
    }
    case 'pending': {
      if (verdict.kind === 'clear') {
        return move('ok', prev.severity, verdict.reason, rule.notifyPending, prev.severity);
      }
      if (nowMs - prev.sinceMs >= rule.forSec * 1000 && cooled) {
        return move('firing', verdict.level, 'sustained', true, verdict.level);
      }
      return stay(verdict.level);
    }
    case 'firing': {
      if (verdict.kind === 'clear') {
        // Too few calls says nothing about recovery: hold the alert.
        if (verdict.reason === 'insufficient_calls') return stay();
        return move('resolved', prev.severity, verdict.reason, true, prev.severity);
      }
      if (verdict.level !== prev.severity) {
        const reason = verdict.level === 'critical' ? 'escalated' : 'deescalated';
        return move('firing', verdict.level, reason, true, verdict.level);
      }
      return stay();
    }
  }
}
