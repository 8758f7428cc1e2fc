import type { AlertNotification } from '../notification.js';

/**
 * The result of one delivery attempt. `retryable`: try again later (5xx, 429, 408,
 * network error, timeout); `failure`: retrying cannot help (other 4xx, a redirect, a
 * refused target).
 */
export type DeliveryOutcome =
  | { status: 'success'; httpStatus?: number }
  | { status: 'retryable'; reason: string; httpStatus?: number; retryAfterMs?: number }
  | { status: 'failure'; reason: string; httpStatus?: number };

/** Per-attempt details a sink receives. */
export interface DeliveryContext {
  /** The notification's idempotency key: identical across retries and restarts. */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Where notifications go. `send` never throws: every problem is an outcome. */
export interface AlertSink {
  readonly name: string;
  readonly type: 'webhook' | 'slack' | 'log';
  send(notification: AlertNotification, context: DeliveryContext): Promise<DeliveryOutcome>;
}
