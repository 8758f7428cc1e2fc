import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertNotification } from '../notification.js';
import type { ResolveAll, TargetPolicy } from '../ssrf.js';
import { postJson } from './http.js';
import type { AlertSink, DeliveryContext, DeliveryOutcome } from './types.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const SIGNATURE_HEADER = 'X-Pilotlight-Signature';
/** Header carrying the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Pilotlight-Timestamp';
/** Header carrying the notification's `event`. */
export const EVENT_HEADER = 'X-Pilotlight-Event';
/** Header carrying the notification id, identical across retries. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Default tolerance of {@link verifyWebhookSignature}: 5 minutes of clock skew or delay. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/**
 * The signature header value of `body` sent at `timestampSec`:
 * `sha256=` + hex(HMAC-SHA256(secret, `${timestampSec}.${body}`)). Signing the timestamp
 * with the body lets receivers refuse replays of old deliveries.
 */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
  return `sha256=${mac}`;
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyOptions {
  /** Accepted distance between the timestamp and `nowMs`. */
  toleranceSec?: number;
  /** Receiver's clock, Unix ms; `Date.now()` by default. */
  nowMs?: number;
}

/**
 * Checks a delivery as a receiver would: the timestamp is recent and the signature
 * matches the exact raw body (compared in constant time).
 *
 * @example
 * ```ts
 * const ok = verifyWebhookSignature(secret, req.headers['x-pilotlight-timestamp'],
 *   rawBody, req.headers['x-pilotlight-signature']);
 * ```
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | undefined,
  rawBody: string,
  signature: string | undefined,
  options: VerifyOptions = {},
): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  const nowSec = (options.nowMs ?? Date.now()) / 1000;
  if (Math.abs(nowSec - ts) > (options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC))
    return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Options of {@link createWebhookSink}. */
export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** HMAC secret; without one, deliveries are unsigned. */
  secret?: string | undefined;
  policy: TargetPolicy;
  timeoutMs?: number | undefined;
  resolveAll?: ResolveAll;
  ca?: string | Buffer;
  /** Clock for the timestamp header; `Date.now` by default. */
  now?: () => number;
}

/**
 * A generic JSON webhook: POSTs the {@link AlertNotification} as is, with
 * `Idempotency-Key`, `X-Pilotlight-Event`, and (with a secret) `X-Pilotlight-Timestamp`
 * and `X-Pilotlight-Signature`.
 *
 * @example
 * ```ts
 * const sink = createWebhookSink({ name: 'oncall', url: 'https://hooks.example/pilotlight',
 *   secret: process.env.HOOK_SECRET, policy: createTargetPolicy() });
 * ```
 */
export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  const now = options.now ?? Date.now;
  return {
    name: options.name,
    type: 'webhook',
    send(notification: AlertNotification, context: DeliveryContext): Promise<DeliveryOutcome> {
      const body = JSON.stringify(notification);
      const headers: Record<string, string> = {
        [IDEMPOTENCY_HEADER]: context.idempotencyKey,
        [EVENT_HEADER]: notification.event,
      };
      if (options.secret !== undefined) {
        const ts = Math.floor(now() / 1000);
        headers[TIMESTAMP_HEADER] = String(ts);
        headers[SIGNATURE_HEADER] = signWebhook(options.secret, ts, body);
      }
      return postJson(options.url, body, headers, {
        policy: options.policy,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.resolveAll === undefined ? {} : { resolveAll: options.resolveAll }),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        now,
      });
    },
  };
}
