import { DEFAULT_ENDPOINT } from './config.js';
import { OtlpHttpJsonExporter } from './export/exporter.js';
import { currentConfig } from './runtime.js';

/** Which call the feedback is about: a trace id, or a trace id with the span id of one call. */
export type FeedbackTarget = string | { traceId: string; spanId?: string };

/** The feedback itself. */
export interface Feedback {
  /** The score, e.g. 1/0 for thumbs up/down or a rating. */
  score: number;
  /** A category, e.g. `helpful`, `wrong-answer`. */
  label?: string;
  /** Free text from the user. */
  comment?: string;
}

/**
 * Wire format: `POST ${endpoint}/api/feedback` with `content-type: application/json` and body
 * `{ "traceId": "<32 hex>", "spanId"?: "<16 hex>", "score": number, "label"?: string, "comment"?: string }`.
 */
export interface FeedbackBody {
  traceId: string;
  spanId?: string;
  score: number;
  label?: string;
  comment?: string;
}

/** Result of {@link recordFeedback}: never an exception. */
export type FeedbackResult = { ok: true } | { ok: false; reason: string };

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
/** Feedback is retried for at most this long (it is sent from request handlers). */
const FEEDBACK_RETRY_DEADLINE_MS = 10_000;
const FEEDBACK_TIMEOUT_MS = 5_000;

/**
 * Sends user feedback linked to a traced call to the collector (`POST /api/feedback`). Retries
 * 429/502/503/504 and network errors for up to 10 s; resolves with a result, never rejects.
 *
 * @example
 * await recordFeedback({ traceId, spanId }, { score: 1, label: 'helpful' });
 */
export async function recordFeedback(
  target: FeedbackTarget,
  feedback: Feedback,
): Promise<FeedbackResult> {
  const ids = typeof target === 'string' ? { traceId: target } : target;
  const traceId = String(ids.traceId ?? '').toLowerCase();
  if (!TRACE_ID.test(traceId))
    return { ok: false, reason: 'traceId must be 32 lowercase hex characters' };
  const body: FeedbackBody = { traceId, score: feedback.score };
  if (ids.spanId !== undefined) {
    const spanId = ids.spanId.toLowerCase();
    if (!SPAN_ID.test(spanId))
      return { ok: false, reason: 'spanId must be 16 lowercase hex characters' };
    body.spanId = spanId;
  }
  if (typeof feedback.score !== 'number' || !Number.isFinite(feedback.score)) {
    return { ok: false, reason: 'score must be a finite number' };
  }
  if (feedback.label !== undefined) body.label = feedback.label;
  if (feedback.comment !== undefined) body.comment = feedback.comment;
  const config = currentConfig();
  const endpoint = (
    config?.endpoint ??
    process.env.PILOTLIGHT_ENDPOINT ??
    DEFAULT_ENDPOINT
  ).replace(/\/+$/, '');
  const sender = new OtlpHttpJsonExporter({
    url: `${endpoint}/api/feedback`,
    headers: config?.headers ?? {},
    timeoutMs: FEEDBACK_TIMEOUT_MS,
    retryDeadlineMs: FEEDBACK_RETRY_DEADLINE_MS,
    initialBackoffMs: config?.initialBackoffMs ?? 500,
    maxBackoffMs: config?.maxBackoffMs ?? 5_000,
  });
  const result = await sender.holdOpen(sender.send(new TextEncoder().encode(JSON.stringify(body))));
  return result.kind === 'success' ? { ok: true } : { ok: false, reason: result.reason };
}
