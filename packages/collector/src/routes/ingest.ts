import { type CallRecord, createPriceBook, type PriceBook } from '@pilotlight/conventions';
import { Hono } from 'hono';
import { DEFAULT_MAX_BODY_BYTES } from '../config.js';
import { StoreUnavailableError, UnsupportedMediaTypeError } from '../errors.js';
import type { CollectorMetrics } from '../metrics/metrics.js';
import { readBody } from '../otlp/body.js';
import { decodeJsonTraces } from '../otlp/decode-json.js';
import { decodeProtobufTracesWire } from '../otlp/decode-protobuf-wire.js';
import { ExportTraceServiceResponse, RpcStatus } from '../otlp/proto.js';
import { toCallRecord } from '../otlp/to-record.js';
import type { DecodedTraces } from '../otlp/types.js';
import { hasReadSide, type SpanStore } from '../store/store.js';
import {
  createIngestAdmission,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_SPANS,
  DEFAULT_MAX_WAIT_MS,
} from './ingest-admission.js';
import { projectOf } from './project-context.js';

/** At most this many rejected spans are described in a partial-success message. */
const MAX_REASONS_IN_MESSAGE = 5;

/** google.rpc.Code UNAVAILABLE, for protobuf error bodies. */
const RPC_UNAVAILABLE = 14;

export const JSON_TYPE = 'application/json';
export const PROTOBUF_TYPE = 'application/x-protobuf';

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Options of {@link ingestRoutes}. */
export interface IngestOptions extends IngestAdmissionOptions {
  store: SpanStore;
  /**
   * Project of requests that carry none: spans are stored under the project of the
   * request's API key (set on the context by the auth middleware), else this one.
   */
  projectId: string;
  maxBodyBytes?: number;
  /** Price table for calls that arrive without a cost (default: the conventions' table). */
  prices?: PriceBook;
  /** Per-project price table (overrides and additions); takes precedence over `prices`. */
  pricesFor?: (projectId: string) => PriceBook;
  /** Where accepted/rejected spans, ingest latency and each new call are recorded. */
  metrics?: CollectorMetrics;
  /** Spans decoded but not yet committed, kept current here (the queue-depth gauge reads it). */
  pending?: { spans: number };
}

/** The admission limits of {@link ingestRoutes} (`PILOTLIGHT_INGEST_*`). */
export interface IngestAdmissionOptions {
  /**
   * Admission control: with this many spans decoded but not yet committed, further
   * requests are answered 503 with `Retry-After` before their body is read (default
   * {@link DEFAULT_MAX_PENDING_SPANS}; `Infinity` turns the check off).
   */
  maxPendingSpans?: number;
  /**
   * Admission control on the parsing queue: with this many request bytes admitted but
   * not yet decoded, further requests are answered 503 with `Retry-After` (default
   * {@link DEFAULT_MAX_PENDING_BYTES}; `Infinity` turns the check off).
   */
  maxPendingBytes?: number;
  /**
   * Admission control on time: when the work queued ahead of a request (spans waiting to
   * be committed and bodies waiting to be parsed) would take longer than this to store at
   * the rate measured while ingesting, the request is answered 503 with a `Retry-After`
   * of the backlog's drain time (default {@link DEFAULT_MAX_WAIT_MS}; `Infinity` turns the
   * check off). The span and byte limits stay as hard caps.
   */
  maxWaitMs?: number;
}

/**
 * Starts storing `records`; a plain function (no closure over the request's variables),
 * so once the store has taken the records in, nothing here keeps them alive.
 */
function startInsert(
  store: SpanStore,
  projectId: string,
  records: readonly CallRecord[],
): Promise<readonly number[] | null> {
  try {
    return hasReadSide(store)
      ? store.insertCallsDetailed(projectId, records).then((d) => d.newIndexes)
      : store.insertCalls(projectId, records).then(() => null);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A record without its content (prompts, outputs, attributes): what metrics read. */
function withoutContent(r: CallRecord): CallRecord {
  return { ...r, input: null, output: null, attributes: {}, warnings: [] };
}

function partialSuccessMessage(decoded: DecodedTraces): string {
  const shown = decoded.rejected
    .slice(0, MAX_REASONS_IN_MESSAGE)
    .map((i) => `${i.path}: ${i.message}`);
  const more = decoded.rejected.length - shown.length;
  return `${decoded.rejected.length} span(s) rejected: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * `POST /v1/traces`: OTLP/HTTP trace ingest. Answers only after the batch is committed.
 */
export function ingestRoutes(options: IngestOptions): Hono {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const defaultPrices = options.prices ?? createPriceBook();
  const pricesFor = options.pricesFor ?? (() => defaultPrices);
  const { store, metrics } = options;
  const pending = options.pending ?? { spans: 0 };
  const admission = createIngestAdmission({
    maxPendingSpans: options.maxPendingSpans ?? DEFAULT_MAX_PENDING_SPANS,
    maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
  });
  const app = new Hono();

  app.post('/v1/traces', async (c) => {
    const type = mediaType(c.req.header('content-type'));
    if (type !== JSON_TYPE && type !== PROTOBUF_TYPE) {
      throw new UnsupportedMediaTypeError(
        `unsupported Content-Type ${JSON.stringify(type)}; send ${PROTOBUF_TYPE} or ${JSON_TYPE}`,
      );
    }
    const startedAt = performance.now();
    // Refuse before reading the body: an overloaded collector spends almost nothing on a
    // refusal, and the queues in front of the parser and the writer stay short, so the
    // requests it accepts keep a short latency instead of all of them waiting seconds.
    const declared = Number(c.req.header('content-length'));
    const admittedBytes = Number.isFinite(declared) && declared >= 0 ? declared : 0;
    const refusal = admission.check(admittedBytes);
    if (refusal !== null) {
      const headers = { 'retry-after': String(refusal.retryAfterSec) };
      if (type === PROTOBUF_TYPE) {
        const bytes = RpcStatus.encode(
          RpcStatus.fromObject({ code: RPC_UNAVAILABLE, message: refusal.message }),
        ).finish();
        return c.body(new Uint8Array(bytes), 503, { ...headers, 'content-type': PROTOBUF_TYPE });
      }
      return c.json({ error: 'overloaded', message: refusal.message, issues: [] }, 503, headers);
    }
    let heldBytes = admittedBytes;
    admission.holdBytes(heldBytes);
    let decoded: DecodedTraces | undefined;
    let records: CallRecord[] | null;
    let projectId: string;
    try {
      projectId = projectOf(c, options.projectId);
      const prices = pricesFor(projectId);
      const body = await readBody(c.req.raw, maxBodyBytes);
      if (heldBytes === 0) {
        // No Content-Length (chunked): count the body from now until it is decoded.
        heldBytes = body.length;
        admission.holdBytes(heldBytes);
      }
      decoded = type === JSON_TYPE ? decodeJsonTraces(body) : decodeProtobufTracesWire(body);
      records = decoded.spans.map((span) => toCallRecord(span, projectId, prices));
    } finally {
      admission.parsed(heldBytes, decoded?.spans.length ?? 0);
    }
    const rejected = decoded.rejected.length;
    const message = rejected > 0 ? partialSuccessMessage(decoded) : '';
    metrics?.recordSpansRejected('invalid', rejected);
    const count = records.length;
    pending.spans += count;
    admission.submitted(count);
    // Nothing below the await holds the decoded spans or the full records (prompts,
    // outputs, attributes): a request waiting for its commit keeps only what metrics read,
    // so the memory of the requests in flight stays small.
    const insertion = startInsert(store, projectId, records);
    const forMetrics = metrics === undefined ? [] : records.map(withoutContent);
    records = null;
    let newIndexes: readonly number[] | null = null;
    try {
      newIndexes = await insertion;
    } catch (error) {
      pending.spans -= count;
      admission.settled(count, false);
      metrics?.recordSpansRejected('store_unavailable', count);
      throw new StoreUnavailableError(error);
    }
    pending.spans -= count;
    admission.settled(count, true);
    if (metrics !== undefined) {
      // After the commit, and only calls stored now: a resent batch is not counted twice.
      // An engine that cannot tell new spans apart counts every one.
      metrics.recordSpansAccepted(count);
      if (newIndexes === null) for (const r of forMetrics) metrics.recordCall(r);
      else for (const i of newIndexes) metrics.recordCall(forMetrics[i]!);
      metrics.observeIngestDuration((performance.now() - startedAt) / 1000);
    }

    if (type === JSON_TYPE) {
      // Full success leaves partialSuccess unset, as the OTLP specification asks.
      return c.json(
        rejected > 0 ? { partialSuccess: { rejectedSpans: rejected, errorMessage: message } } : {},
      );
    }
    const response = ExportTraceServiceResponse.encode(
      ExportTraceServiceResponse.fromObject(
        rejected > 0 ? { partialSuccess: { rejectedSpans: rejected, errorMessage: message } } : {},
      ),
    ).finish();
    return c.body(new Uint8Array(response), 200, { 'content-type': PROTOBUF_TYPE });
  });

  // Other methods: 405 naming the one that works, as the OpenTelemetry Collector does.
  app.all('/v1/traces', (c) =>
    c.json(
      { error: 'method_not_allowed', message: `${c.req.method} not allowed; use POST`, issues: [] },
      405,
      { allow: 'POST' },
    ),
  );

  return app;
}
