import { Hono } from 'hono';
import { z } from 'zod';
import { type Issue, NotFoundError, StoreUnavailableError, ValidationError } from '../errors.js';
import {
  hasFeedback,
  SPAN_RANGE_FILTERS,
  type SpanCursor,
  type SpanQuery,
  type SpanRangeKey,
  type SpanStore,
} from '../store/store.js';
import { auditRecords } from './audit-context.js';
import { projectOf } from './project-context.js';

/** Page size when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 1000;

export const traceIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'expected 32 hex characters')
  .transform((s) => s.toLowerCase());

/** A time: ISO 8601 (`2025-01-31T12:00:00Z`) or Unix milliseconds; becomes Unix nanoseconds. */
export const timeSchema = z.string().transform((s, ctx): bigint => {
  if (/^\d{1,15}$/.test(s)) return BigInt(s) * 1_000_000n;
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)
    ? Date.parse(s)
    : Number.NaN;
  if (Number.isNaN(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or Unix milliseconds' });
    return z.NEVER;
  }
  return BigInt(ms) * 1_000_000n;
});

/** Opaque to clients: base64url of `<start ns>.<seq>`. */
export function encodeCursor(cursor: SpanCursor): string {
  return Buffer.from(`${cursor.startTimeUnixNano}.${cursor.seq}`).toString('base64url');
}

const cursorSchema = z.string().transform((s, ctx): SpanCursor => {
  const m = /^(\d{1,20})\.(\d{1,15})$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
    return z.NEVER;
  }
  return { startTimeUnixNano: BigInt(m[1]!), seq: Number(m[2]) };
});

/** A bound of a range filter: a finite, non-negative decimal number (`250`, `0.5`). */
const boundSchema = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,15})?$/, 'expected a non-negative number')
  .transform(Number)
  .pipe(z.number().finite().min(0));

/** A bound on confidence, within [0, 1]. */
const confidenceBoundSchema = boundSchema.pipe(z.number().max(1));

/** The span filters of `/api/spans`, shared by `/api/export`. */
export const spanFilterShape = {
  minLatencyMs: boundSchema.optional(),
  maxLatencyMs: boundSchema.optional(),
  minTtftMs: boundSchema.optional(),
  maxTtftMs: boundSchema.optional(),
  minTokens: boundSchema.optional(),
  maxTokens: boundSchema.optional(),
  minCostUsd: boundSchema.optional(),
  maxCostUsd: boundSchema.optional(),
  minConfidence: confidenceBoundSchema.optional(),
  maxConfidence: confidenceBoundSchema.optional(),
  traceId: traceIdSchema.optional(),
  model: z.string().min(1).max(512).optional(),
  service: z.string().min(1).max(512).optional(),
  provider: z.string().min(1).max(512).optional(),
  operation: z.string().min(1).max(512).optional(),
  status: z.enum(['ok', 'error']).optional(),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
};

type ParsedSpanFilters = { [K in SpanRangeKey]?: number | undefined } & {
  from?: bigint | undefined;
  to?: bigint | undefined;
};

/**
 * The checks across the span filters: `from` before `to`, and each `min…` at most its
 * `max…` (the issue names the `max…` parameter).
 */
export function checkSpanFilters(q: ParsedSpanFilters, ctx: z.RefinementCtx): void {
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  }
  for (const f of SPAN_RANGE_FILTERS) {
    if (f.op !== '<=') continue;
    const minKey = `min${f.key.slice(3)}` as SpanRangeKey;
    const min = q[minKey];
    const max = q[f.key];
    if (min !== undefined && max !== undefined && min > max) {
      ctx.addIssue({ code: 'custom', path: [f.key], message: `must be at least ${minKey}` });
    }
  }
}

/** Copies the range filters that are set from parsed parameters onto a store query. */
export function applyRanges(query: SpanQuery, p: ParsedSpanFilters): SpanQuery {
  for (const f of SPAN_RANGE_FILTERS) {
    const bound = p[f.key];
    if (bound !== undefined) query[f.key] = bound;
  }
  return query;
}

const spansQuerySchema = z
  .strictObject({
    ...spanFilterShape,
    limit: z
      .string()
      .regex(/^\d+$/, 'expected a positive integer')
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
      .optional(),
    cursor: cursorSchema.optional(),
  })
  .superRefine(checkSpanFilters);

/** Store failures become 503 (retryable), never a 500 that hides the cause. */
export function fromStore<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    throw new StoreUnavailableError(error);
  });
}

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.flatMap((i): Issue[] => {
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((key) => ({ path: key, message: 'unknown parameter' }));
    }
    return [{ path: i.path.join('.'), message: i.message }];
  });
}

export function invalid(error: z.ZodError): ValidationError {
  const issues = issuesOf(error);
  return new ValidationError(
    `invalid parameter${issues.length > 1 ? 's' : ''}: ${issues.map((i) => `${i.path} (${i.message})`).join(', ')}`,
    issues,
  );
}

/**
 * The query API:
 * - `GET /api/spans?traceId=&model=&service=&provider=&operation=&status=&min…=&max…=&from=&to=&limit=&cursor=` → `{ data, nextCursor }`, newest first;
 * - `GET /api/traces/:traceId` → `{ traceId, spans, feedback }`, both oldest first, 404 when unknown
 *   (`feedback` is empty on a store that keeps none).
 */
export function queryRoutes(options: { store: SpanStore; projectId: string }): Hono {
  const { store } = options;
  const app = new Hono();

  app.get('/api/spans', async (c) => {
    const parsed = spansQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const p = parsed.data;
    const query: SpanQuery = { limit: p.limit ?? DEFAULT_PAGE_SIZE };
    if (p.traceId !== undefined) query.traceId = p.traceId;
    if (p.model !== undefined) query.model = p.model;
    if (p.service !== undefined) query.service = p.service;
    if (p.provider !== undefined) query.provider = p.provider;
    if (p.operation !== undefined) query.operation = p.operation;
    if (p.status !== undefined) query.status = p.status;
    if (p.from !== undefined) query.fromUnixNano = p.from;
    if (p.to !== undefined) query.toUnixNano = p.to;
    if (p.cursor !== undefined) query.after = p.cursor;
    applyRanges(query, p);
    const projectId = projectOf(c, options.projectId);
    const page = await fromStore(store.listCalls(projectId, query));
    auditRecords(c, page.data.length);
    return c.json({
      data: page.data,
      nextCursor: page.next === null ? null : encodeCursor(page.next),
    });
  });

  app.get('/api/traces/:traceId', async (c) => {
    const parsed = traceIdSchema.safeParse(c.req.param('traceId'));
    if (!parsed.success) {
      throw new ValidationError('invalid parameter: traceId (expected 32 hex characters)', [
        { path: 'traceId', message: 'expected 32 hex characters' },
      ]);
    }
    const projectId = projectOf(c, options.projectId);
    const [spans, feedback] = await fromStore(
      Promise.all([
        store.getTrace(projectId, parsed.data),
        hasFeedback(store) ? store.listFeedback(projectId, parsed.data) : [],
      ]),
    );
    auditRecords(c, spans.length);
    if (spans.length === 0) throw new NotFoundError(`trace ${parsed.data} not found`);
    return c.json({ traceId: parsed.data, spans, feedback });
  });

  return app;
}
