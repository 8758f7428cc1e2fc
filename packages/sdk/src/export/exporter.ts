import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { encodeTraceRequestBytes } from './otlp-json.js';
import {
  type AttemptResult,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  retryUntilDeadline,
} from './retry.js';

/** Options of {@link OtlpHttpJsonExporter}. */
export interface OtlpHttpJsonExporterOptions {
  /** Full URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  url: string;
  headers?: Record<string, string>;
  /** Limit of one HTTP attempt. */
  timeoutMs: number;
  /** How long one batch is retried before it is given up. */
  retryDeadlineMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Run requests in a context with tracing suppressed (default true; needed when `http` is instrumented). */
  suppressTracing?: boolean;
}

/**
 * Sends spans as OTLP/HTTP JSON. Retries 429/502/503/504 and network errors with jittered
 * exponential backoff, honouring `Retry-After`, until `retryDeadlineMs` (long enough to ride
 * out a collector restart). Its own requests are not traced. Never throws: every outcome is
 * an `ExportResult`.
 */
export class OtlpHttpJsonExporter implements SpanExporter {
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private stopped = false;
  /** While > 0 (an explicit flush or shutdown is waiting), retry timers keep the process alive. */
  private keepAlive = 0;

  constructor(private readonly options: OtlpHttpJsonExporterOptions) {
    this.url = new URL(options.url);
    this.headers = { 'content-type': 'application/json', ...options.headers };
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    let body: Uint8Array;
    try {
      body = encodeTraceRequestBytes(spans);
    } catch (error) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
      return;
    }
    this.send(body).then((result) =>
      resultCallback(
        result.kind === 'success'
          ? { code: ExportResultCode.SUCCESS }
          : { code: ExportResultCode.FAILED, error: new Error(result.reason) },
      ),
    );
  }

  /** Marks a period during which retry timers must keep the process alive (flush, shutdown). */
  holdOpen<T>(work: Promise<T>): Promise<T> {
    this.keepAlive++;
    return work.finally(() => {
      this.keepAlive--;
    });
  }

  send(body: Uint8Array): Promise<AttemptResult> {
    return retryUntilDeadline(
      (remainingMs) => this.attempt(body, Math.min(this.options.timeoutMs, remainingMs)),
      {
        deadlineMs: this.options.retryDeadlineMs,
        initialBackoffMs: this.options.initialBackoffMs,
        maxBackoffMs: this.options.maxBackoffMs,
        sleep: (ms) =>
          new Promise((resolve) => {
            const timer = setTimeout(resolve, ms);
            if (this.keepAlive === 0) timer.unref();
          }),
      },
    ).catch((error: unknown) => ({ kind: 'failure', reason: String(error) }) as const);
  }

  private attempt(body: Uint8Array, timeoutMs: number): Promise<AttemptResult> {
    return new Promise<AttemptResult>((resolve) => {
      // Our own request must not become a span when the app instruments `http`. Entering a
      // context enables AsyncLocalStorage for the whole process (a cost on every promise), so
      // it is done only when another instrumentation may be listening.
      const run = (fn: () => void): void =>
        this.options.suppressTracing === false
          ? fn()
          : context.with(suppressTracing(context.active()), fn);
      run(() => {
        const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(
          this.url,
          {
            method: 'POST',
            headers: { ...this.headers, 'content-length': String(body.byteLength) },
            timeout: timeoutMs,
          },
          (res) => {
            const status = res.statusCode ?? 0;
            res.resume();
            res.on('error', () => undefined);
            res.on('end', () => {
              if (status >= 200 && status < 300) resolve({ kind: 'success' });
              else if (RETRYABLE_STATUSES.has(status)) {
                const header = res.headers['retry-after'];
                const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header);
                resolve(
                  retryAfterMs === undefined
                    ? { kind: 'retryable', reason: `HTTP ${status}` }
                    : { kind: 'retryable', reason: `HTTP ${status}`, retryAfterMs },
                );
              } else resolve({ kind: 'failure', reason: `HTTP ${status}` });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
        req.on('error', (error) => resolve({ kind: 'retryable', reason: error.message }));
        req.end(body);
      });
    });
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}
