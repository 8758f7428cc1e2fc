import { createHash } from 'node:crypto';
import type { AlertMetric, AlertRule, Comparator, GroupDimension, RuleFilters } from './rule.js';
import type { AlertStatus, Severity, Transition, TransitionReason } from './state.js';

/** Version of the webhook body schema below; bumped on any incompatible change. */
export const NOTIFICATION_SCHEMA_VERSION = 1;

/** What happened, as the `event` field and the `X-Pilotlight-Event` header. */
export type NotificationEvent =
  | 'alert.pending'
  | 'alert.firing'
  | 'alert.escalated'
  | 'alert.deescalated'
  | 'alert.resolved'
  | 'alert.cleared';

/**
 * The JSON body of a generic webhook notification (schema version 1). Every field is
 * always present (null when it does not apply); receivers should ignore fields they do
 * not know, since later versions may add some.
 *
 * ```json
 * {
 *   "version": 1,
 *   "id": "ntf_4c1f...",                 // also the Idempotency-Key header
 *   "event": "alert.firing",
 *   "status": "firing", "previousStatus": "pending",
 *   "severity": "critical", "reason": "sustained",
 *   "rule": { "id": "p95-slow", "name": "Slow chat", "projectId": "default",
 *             "metric": "latency_p95", "comparator": ">", "threshold": 2000,
 *             "warningThreshold": null, "windowSec": 300, "filters": { "model": "gpt-4o" },
 *             "groupBy": null },
 *   "group": "",
 *   "value": 2710.4, "threshold": 2000, "calls": 412,
 *   "window": { "sec": 300, "start": "2026-11-22T01:00:00.000Z", "end": "2026-11-22T01:05:00.000Z" },
 *   "occurredAt": "2026-11-22T01:05:12.000Z",
 *   "dashboardUrl": "https://pilotlight.example/alerts/p95-slow?from=...&to=..."
 * }
 * ```
 */
export interface AlertNotification {
  version: typeof NOTIFICATION_SCHEMA_VERSION;
  /** Unique per notification; the same across retries and restarts. */
  id: string;
  event: NotificationEvent;
  status: AlertStatus;
  previousStatus: AlertStatus;
  severity: Severity | null;
  reason: TransitionReason;
  rule: {
    id: string;
    name: string | null;
    projectId: string;
    metric: AlertMetric;
    comparator: Comparator;
    threshold: number;
    warningThreshold: number | null;
    windowSec: number;
    filters: RuleFilters;
    groupBy: GroupDimension | null;
  };
  /** The group's value of `rule.groupBy` (`''` for an ungrouped rule). */
  group: string;
  /** The value that caused the transition (null: no data). */
  value: number | null;
  /** The threshold it crossed (null for no-data and too-few-calls transitions). */
  threshold: number | null;
  calls: number;
  window: { sec: number; start: string; end: string };
  occurredAt: string;
  dashboardUrl: string | null;
}

/**
 * The notification's id, derived from the transition (rule, group, states, time), so the
 * same transition always yields the same id: enqueueing it twice (a retried job, a second
 * replica) stores it once.
 */
export function notificationId(t: Transition): string {
  const h = createHash('sha256')
    .update(
      ['v1', t.ruleId, t.group, t.from, t.to, t.severity ?? '', String(t.atMs)].join('\u0000'),
    )
    .digest('hex');
  return `ntf_${h.slice(0, 32)}`;
}

function eventOf(t: Transition): NotificationEvent {
  if (t.to === 'pending') return 'alert.pending';
  if (t.to === 'resolved') return 'alert.resolved';
  if (t.to === 'ok') return 'alert.cleared';
  if (t.reason === 'escalated') return 'alert.escalated';
  if (t.reason === 'deescalated') return 'alert.deescalated';
  return 'alert.firing';
}

/** Link to the dashboard's view of the rule over the transition's window. */
export function dashboardLink(base: string, t: Transition): string {
  const url = new URL(
    `alerts/${encodeURIComponent(t.ruleId)}`,
    base.endsWith('/') ? base : `${base}/`,
  );
  if (t.group !== '') url.searchParams.set('group', t.group);
  url.searchParams.set('from', String(t.windowStartMs));
  url.searchParams.set('to', String(t.windowEndMs));
  return url.toString();
}

/** The rule fields a notification carries. */
export type NotifiedRule = Pick<
  AlertRule,
  | 'id'
  | 'name'
  | 'projectId'
  | 'metric'
  | 'comparator'
  | 'threshold'
  | 'warningThreshold'
  | 'windowSec'
  | 'filters'
  | 'groupBy'
>;

/**
 * The notification of one transition.
 *
 * @example
 * ```ts
 * const n = buildNotification(rule, transition, { dashboardUrl: 'https://pilotlight.example' });
 * ```
 */
export function buildNotification(
  rule: NotifiedRule,
  t: Transition,
  options: { dashboardUrl?: string | undefined } = {},
): AlertNotification {
  return {
    version: NOTIFICATION_SCHEMA_VERSION,
    id: notificationId(t),
    event: eventOf(t),
    status: t.to,
    previousStatus: t.from,
    severity: t.severity,
    reason: t.reason,
    rule: {
      id: rule.id,
      name: rule.name ?? null,
      projectId: rule.projectId,
      metric: rule.metric,
      comparator: rule.comparator,
      threshold: rule.threshold,
      warningThreshold: rule.warningThreshold ?? null,
      windowSec: rule.windowSec,
      filters: rule.filters,
      groupBy: rule.groupBy ?? null,
    },
    group: t.group,
    value: t.value,
    threshold: t.threshold,
    calls: t.calls,
    window: {
      sec: t.windowSec,
      start: new Date(t.windowStartMs).toISOString(),
      end: new Date(t.windowEndMs).toISOString(),
    },
    occurredAt: new Date(t.atMs).toISOString(),
    dashboardUrl:
      options.dashboardUrl === undefined ? null : dashboardLink(options.dashboardUrl, t),
  };
}
