import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { NotFoundError, PayloadTooLargeError } from '../errors.js';
import type { FeedbackInput, FeedbackStore } from '../store/store.js';
import { auditRecords } from './audit-context.js';
import { readJsonBody } from './json-body.js';
import { projectOf } from './project-context.js';
import { fromStore, invalid, traceIdSchema } from './query.js';

/** Longest `label` accepted (characters): a category, not prose. */
export const MAX_FEEDBACK_LABEL_LENGTH = 256;
/** Longest `comment` accepted (characters). */
export const MAX_FEEDBACK_COMMENT_LENGTH = 10_000;
/** Feedback bodies above this are refused with 413 (bytes); the largest valid body is well below. */
export const MAX_FEEDBACK_BODY_BYTES = 64 * 1024;

const spanIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'expected 16 hex characters')
  .transform((s) => s.toLowerCase());

/** The SDK's `recordFeedback` wire format; unknown fields are refused so a typo is not silently dropped. */
const feedbackBodySchema = z.strictObject({
  traceId: traceIdSchema,
  spanId: spanIdSchema.optional(),
  score: z.number(),
  label: z.string().max(MAX_FEEDBACK_LABEL_LENGTH).optional(),
  comment: z.string().max(MAX_FEEDBACK_COMMENT_LENGTH).optional(),
});

/**
 * `POST /api/feedback` with `{ traceId, spanId?, score, label?, comment? }` (the SDK's
 * `recordFeedback`): 201 with the stored feedback `{ id, traceId, spanId, score, label,
 * comment, createdAt }`; 400 naming the invalid field; 404 when the trace (or span) is not
 * stored in the project, the same answer as for an id that never existed.
 *
 * @example
 * app.route('/', feedbackRoutes({ store, projectId: 'default' }));
 */
export function feedbackRoutes(options: {
  store: FeedbackStore;
  projectId: string;
  /** Clock of `createdAt` (default `Date.now`). */
  now?: () => number;
}): Hono {
  const { store } = options;
  const now = options.now ?? Date.now;
  const app = new Hono();

  app.post(
    '/api/feedback',
    bodyLimit({
      maxSize: MAX_FEEDBACK_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_FEEDBACK_BODY_BYTES);
      },
    }),
    async (c) => {
      const body = await readJsonBody(c);
      const parsed = feedbackBodySchema.safeParse(body);
      if (!parsed.success) throw invalid(parsed.error);
      const p = parsed.data;
      const input: FeedbackInput = {
        traceId: p.traceId,
        spanId: p.spanId ?? null,
        score: p.score,
        label: p.label ?? null,
        comment: p.comment ?? null,
      };
      const stored = await fromStore(
        store.insertFeedback(projectOf(c, options.projectId), input, now()),
      );
      if (stored === null) {
        throw new NotFoundError(
          input.spanId === null
            ? `trace ${input.traceId} not found`
            : `span ${input.spanId} of trace ${input.traceId} not found`,
        );
      }
      auditRecords(c, 1);
      return c.json(stored, 201);
    },
  );

  return app;
}
