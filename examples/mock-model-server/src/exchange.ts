import type { ServerResponse } from 'node:http';
import type { JsonObject } from './text.js';

/** Model name that makes a stream break after two events (non-streaming: no answer at all). */
export const STREAM_ERROR_MODEL = 'mock-stream-error';

/** Which API's conventions a route follows (error bodies, request-id header). */
export type Dialect = 'openai' | 'anthropic';

/** One request being answered: the parsed body and the ways to write the answer. */
export interface Exchange {
  body: JsonObject;
  res: ServerResponse;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
  /** Delay between stream events, from `x-mock-chunk-delay-ms`. */
  chunkDelayMs: number;
  /** A per-server sequence number for ids (`chatcmpl-mock-1`, `msg_mock_2`, …). */
  nextSeq(): number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/**
 * Writes server-sent events. Waits `chunkDelayMs` before every event but the first, and,
 * for the stream-error model, destroys the socket once two events are out.
 */
export class SseWriter {
  private sent = 0;

  constructor(
    private readonly exchange: Exchange,
    private readonly breakAfterTwo: boolean,
    headers: Record<string, string> = {},
  ) {
    exchange.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    exchange.res.flushHeaders();
  }

  /** Sends one event; resolves false when the stream is over (client gone or broken on purpose). */
  async send(data: unknown, event?: string): Promise<boolean> {
    if (!this.open()) return false;
    if (this.sent > 0) await sleep(this.exchange.chunkDelayMs, this.exchange.signal);
    if (!this.open()) return false;
    if (this.breakAfterTwo && this.sent >= 2) {
      this.exchange.res.destroy();
      return false;
    }
    const head = event === undefined ? '' : `event: ${event}\n`;
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    // Waiting for each write to flush keeps back-pressure honest and lets the stream-error
    // model's two events reach the client before the socket is destroyed.
    await new Promise<void>((resolve) => {
      this.exchange.res.write(`${head}data: ${text}\n\n`, () => resolve());
    });
    this.sent++;
    return this.open();
  }

  end(): void {
    if (this.open()) this.exchange.res.end();
  }

  private open(): boolean {
    return !this.exchange.signal.aborted && !this.exchange.res.destroyed;
  }
}
