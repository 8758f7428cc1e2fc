import type { AlertNotification } from '../notification.js';
import type { ResolveAll, TargetPolicy } from '../ssrf.js';
import { postJson } from './http.js';
import type { AlertSink, DeliveryContext, DeliveryOutcome } from './types.js';
import { IDEMPOTENCY_HEADER } from './webhook.js';

const METRIC_LABELS: Record<AlertNotification['rule']['metric'], string> = {
  latency_p50: 'p50 latency',
  latency_p95: 'p95 latency',
  latency_p99: 'p99 latency',
  ttft_p95: 'p95 time to first token',
  error_rate: 'error rate',
  calls: 'calls',
  cost: 'cost',
  tokens: 'tokens',
  mean_confidence: 'mean confidence',
  drift: 'drift statistic',
};

/** A value in the metric's unit: `2,710 ms`, `4.2%`, `$12.35`. */
export function formatMetricValue(
  metric: AlertNotification['rule']['metric'],
  value: number | null,
): string {
  if (value === null) return 'no data';
  switch (metric) {
    case 'latency_p50':
    case 'latency_p95':
    case 'latency_p99':
    case 'ttft_p95':
      return `${value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 2 : 0 })} ms`;
    case 'error_rate':
      return `${(value * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`;
    case 'cost':
      return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`;
    case 'calls':
    case 'tokens':
      return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    default:
      return value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  }
}

/** A window length in words: `5 min`, `2 h`, `7 d`. */
export function formatWindow(sec: number): string {
  if (sec % 86_400 === 0) return `${sec / 86_400} d`;
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  return `${Math.round(sec / 60)} min`;
}

const HEADLINES: Record<AlertNotification['event'], string> = {
  'alert.pending': ':hourglass: Pending',
  'alert.firing': ':rotating_light: Firing',
  'alert.escalated': ':rotating_light: Escalated',
  'alert.deescalated': ':warning: De-escalated',
  'alert.resolved': ':white_check_mark: Resolved',
  'alert.cleared': ':white_check_mark: Cleared',
};

/** Escapes the three characters Slack's mrkdwn reserves. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The message text: what happened, the value against the threshold over the window, and
 * a link to the dashboard.
 *
 * @example
 * ```
 * :rotating_light: Firing (critical): Slow chat — p95 latency 2,710 ms > 2,000 ms over the last 5 min (412 calls)
 * project default · model=gpt-4o
 * <https://pilotlight.example/alerts/p95-slow?...|Open in dashboard>
 * ```
 */
export function formatSlackText(n: AlertNotification): string {
  const { rule } = n;
  const title = escapeMrkdwn(rule.name ?? rule.id);
  const label = METRIC_LABELS[rule.metric];
  const severity = n.severity === null || n.event === 'alert.resolved' ? '' : ` (${n.severity})`;
  const measured =
    n.threshold === null
      ? `${label} ${formatMetricValue(rule.metric, n.value)}`
      : `${label} ${formatMetricValue(rule.metric, n.value)} ${n.event === 'alert.resolved' || n.event === 'alert.cleared' ? 'back within' : escapeMrkdwn(rule.comparator)} ${formatMetricValue(rule.metric, n.threshold)}`;
  const lines = [
    `${HEADLINES[n.event]}${severity}: ${title} — ${measured} over the last ${formatWindow(n.window.sec)} (${n.calls.toLocaleString('en-US')} calls)`,
  ];
  const scope = [`project ${escapeMrkdwn(rule.projectId)}`];
  for (const [k, v] of Object.entries(rule.filters)) scope.push(`${k}=${escapeMrkdwn(String(v))}`);
  if (rule.groupBy !== null) scope.push(`${rule.groupBy}=${escapeMrkdwn(n.group || '(unknown)')}`);
  lines.push(scope.join(' · '));
  if (n.dashboardUrl !== null) lines.push(`<${n.dashboardUrl}|Open in dashboard>`);
  return lines.join('\n');
}

/** Options of {@link createSlackSink}. */
export interface SlackSinkOptions {
  name: string;
  /** The incoming-webhook URL. */
  url: string;
  policy: TargetPolicy;
  timeoutMs?: number | undefined;
  resolveAll?: ResolveAll;
  ca?: string | Buffer;
  now?: () => number;
}

/**
 * A Slack-compatible incoming webhook (`{"text": ...}`; Mattermost and Rocket.Chat accept
 * the same).
 */
export function createSlackSink(options: SlackSinkOptions): AlertSink {
  return {
    name: options.name,
    type: 'slack',
    send(notification: AlertNotification, context: DeliveryContext): Promise<DeliveryOutcome> {
      const body = JSON.stringify({ text: formatSlackText(notification) });
      return postJson(
        options.url,
        body,
        { [IDEMPOTENCY_HEADER]: context.idempotencyKey },
        {
          policy: options.policy,
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.resolveAll === undefined ? {} : { resolveAll: options.resolveAll }),
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options.now === undefined ? {} : { now: options.now }),
        },
      );
    },
  };
}
