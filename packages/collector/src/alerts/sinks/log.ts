import type { AlertNotification } from '../notification.js';
import { formatSlackText } from './slack.js';
import type { AlertSink, DeliveryOutcome } from './types.js';

/** One structured log record of a notification. */
export interface AlertLogRecord {
  msg: string;
  event: AlertNotification['event'];
  notificationId: string;
  ruleId: string;
  group: string;
  value: number | null;
  threshold: number | null;
}

/**
 * Writes each notification to the collector's log (one structured record, its text the
 * same as Slack's). Always succeeds; a logger that throws yields a `failure` outcome.
 */
export function createLogSink(
  name: string,
  write: (record: AlertLogRecord) => void = (r) => console.log(JSON.stringify(r)),
): AlertSink {
  return {
    name,
    type: 'log',
    async send(n): Promise<DeliveryOutcome> {
      try {
        write({
          msg: formatSlackText(n),
          event: n.event,
          notificationId: n.id,
          ruleId: n.rule.id,
          group: n.group,
          value: n.value,
          threshold: n.threshold,
        });
        return { status: 'success' };
      } catch (err) {
        return { status: 'failure', reason: `log write failed: ${String(err)}` };
      }
    },
  };
}
