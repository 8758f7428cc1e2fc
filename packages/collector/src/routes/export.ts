import type { CallRecord } from '@pilotlight/conventions';
import { callRecordSchema } from '@pilotlight/conventions';
import { Hono } from 'hono';
import { z } from 'zod';
import type { SpanCursor, SpanQuery, SpanStore } from '../store/store.js';
import { deferAudit } from './audit-context.js';
import { projectOf } from './project-context.js';
import { applyRanges, checkSpanFilters, fromStore, invalid, spanFilterShape } from './query.js';

/**
 * Rows read from the store per step of an export. Memory stays at one page whatever the
 * export's size; the next page is read only when the client has taken the previous one.
 */
export const EXPORT_PAGE_SIZE = 500;

/** CSV columns: every field of the canonical call record, in the schema's order. */
export const CSV_COLUMNS = Object.keys(callRecordSchema.shape) as (keyof CallRecord)[];

const exportQuerySchema = z
  .strictObject({ ...spanFilterShape, format: z.enum(['ndjson', 'csv']).optional() })
  .superRefine(checkSpanFilters);

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Null is empty; arrays and objects are their JSON.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

const FORMATS = {
  ndjson: {
    contentType: 'application/x-ndjson',
    header: '',
    row: (r: CallRecord) => `${JSON.stringify(r)}\n`,
  },
  csv: {
    contentType: 'text/csv; charset=utf-8; header=present',
    header: csvRow(CSV_COLUMNS),
    row: (r: CallRecord) => csvRow(CSV_COLUMNS.map((c) => r[c])),
  },
} as const;

/**
 * `GET /api/export?from=&to=&traceId=&model=&service=&provider=&operation=&status=&min…=&max…=&format=ndjson|csv`:
 * every matching call record (the filters of `/api/spans`), newest first, streamed page by page. The
 * stream is pull-driven: a slow client slows the reads instead of filling memory. A store
 * failure before the first byte answers 503; after it, the response is aborted so the
 * client sees a broken transfer, never a silently short file.
 */
export function exportRoutes(options: {
  store: SpanStore;
  projectId: string;
  logError?: (error: unknown) => void;
}): Hono {
  const { store } = options;
  const app = new Hono();
  app.get('/api/export', async (c) => {
    const parsed = exportQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const { format: name = 'ndjson', ...p } = parsed.data;
    const format = FORMATS[name];
    const base: SpanQuery = { limit: EXPORT_PAGE_SIZE };
    if (p.traceId !== undefined) base.traceId = p.traceId;
    if (p.model !== undefined) base.model = p.model;
    if (p.service !== undefined) base.service = p.service;
    if (p.provider !== undefined) base.provider = p.provider;
    if (p.operation !== undefined) base.operation = p.operation;
    if (p.status !== undefined) base.status = p.status;
    if (p.from !== undefined) base.fromUnixNano = p.from;
    if (p.to !== undefined) base.toUnixNano = p.to;
    applyRanges(base, p);
    const projectId = projectOf(c, options.projectId);

    // The first page before the headers: a store that is down answers 503 as usual.
    let page = await fromStore(store.listCalls(projectId, base));
    let after: SpanCursor | null = page.next;
    let first = true;
    let sent = 0;
    // Rows the client has taken: with a queue of one chunk, `pull` runs only once the
    // previous chunk was read, so everything enqueued before a pull was delivered.
    let delivered = 0;
    // Recorded once the stream ends, however it ends, with the rows the client took.
    const finishAudit = deferAudit(c);
    let audited = false;
    const audit = (): void => {
      if (audited) return;
      audited = true;
      finishAudit(delivered).catch((error: unknown) => options.logError?.(error));
    };
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          delivered = sent;
          try {
            if (!first) {
              if (after === null) {
                controller.close();
                audit();
                return;
              }
              page = await store.listCalls(projectId, { ...base, after });
              after = page.next;
            }
            let chunk = first ? format.header : '';
            first = false;
            for (const r of page.data) chunk += format.row(r);
            sent += page.data.length;
            controller.enqueue(encoder.encode(chunk));
          } catch (error) {
            options.logError?.(error);
            controller.error(error);
            audit();
          }
        },
        cancel() {
          audit();
        },
      },
      // One page in the queue at most: the next read waits for the client.
      { highWaterMark: 1 },
    );
    const filename = `pilotlight-export.${name}`;
    return c.body(body, 200, {
      'content-type': format.contentType,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    });
  });
  return app;
}
