import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleMessages } from './anthropic-messages.js';
import { type Dialect, type Exchange, sendJson, sleep } from './exchange.js';
import { requestedErrorStatus, sendError } from './faults.js';
import { handleChatCompletions } from './openai-chat.js';
import { handleEmbeddings } from './openai-embeddings.js';
import { handleResponses } from './openai-responses.js';
import { isObject } from './text.js';

/** Default host: loopback only, the mock is never meant to be reachable from elsewhere. */
export const DEFAULT_HOST = '127.0.0.1';
/** Largest request body the mock reads (10 MiB). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Options for {@link startMockModelServer}. */
export interface MockModelServerOptions {
  /** Port to listen on; `0` (the default) picks a free ephemeral port. */
  port?: number;
  /** Host to bind; default `127.0.0.1`. */
  host?: string;
}

/** A request as the mock received it. */
export interface RecordedRequest {
  method: string;
  /** Path including any query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON; `undefined` when empty. */
  body: unknown;
}

/** A running mock server. */
export interface MockModelServer {
  /** `http://HOST:PORT` */
  url: string;
  /** `${url}/v1`, for `new OpenAI({ baseURL, apiKey })`. */
  openaiBaseURL: string;
  /** `url`, for `new Anthropic({ baseURL, apiKey })`. */
  anthropicBaseURL: string;
  /** Every request received, in arrival order (live array). */
  requests: RecordedRequest[];
  /** Stops listening and drops open connections (pending delays end at once). Idempotent. */
  close(): Promise<void>;
}

type Handler = (exchange: Exchange) => Promise<void>;

interface Route {
  dialect: Dialect;
  handler: Handler;
}

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': { dialect: 'openai', handler: handleChatCompletions },
  '/v1/responses': { dialect: 'openai', handler: handleResponses },
  '/v1/embeddings': { dialect: 'openai', handler: handleEmbeddings },
  '/v1/messages': { dialect: 'anthropic', handler: handleMessages },
};

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve(tooLarge ? 'too-large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
    // A client that goes away mid-body never sends 'end'; don't leave the handler waiting.
    req.on('close', () => {
      if (!ended) reject(new Error('client closed the connection before sending its body'));
    });
  });
}

function parseBody(raw: Buffer): { ok: true; value: unknown } | { ok: false; text: string } {
  const text = raw.toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, text };
  }
}

function delayHeader(value: string | undefined): number {
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Starts a deterministic OpenAI- and Anthropic-compatible model server on `node:http`.
 * The real `openai` and `@anthropic-ai/sdk` clients work against it unmodified.
 *
 * @example
 * ```ts
 * const mock = await startMockModelServer();
 * const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test' });
 * const reply = await openai.chat.completions.create({
 *   model: 'gpt-4o',
 *   messages: [{ role: 'user', content: 'hello' }],
 * });
 * // reply.choices[0].message.content === 'Echo: hello'
 * await mock.close();
 * ```
 */
export async function startMockModelServer(
  options: MockModelServerOptions = {},
): Promise<MockModelServer> {
  const requests: RecordedRequest[] = [];
  let seq = 0;
  const nextSeq = (): number => ++seq;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const path = req.url ?? '/';
    const pathname = path.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const headers = headerRecord(req);
    const raw = await readBody(req);
    const parsed = raw === 'too-large' ? { ok: true as const, value: undefined } : parseBody(raw);
    requests.push({ method, path, headers, body: parsed.ok ? parsed.value : parsed.text });

    const route = ROUTES[pathname];
    const dialect: Dialect =
      route?.dialect ?? (pathname.startsWith('/v1/messages') ? 'anthropic' : 'openai');
    const requestId = `req_mock_${requests.length}`;
    res.setHeader(dialect === 'anthropic' ? 'request-id' : 'x-request-id', requestId);

    await sleep(delayHeader(headers['x-mock-delay-ms']), abort.signal);
    if (abort.signal.aborted) return;

    if (route === undefined) {
      sendJson(res, 404, {
        error: {
          message: `Unknown path: ${method} ${pathname}`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
      return;
    }
    if (method !== 'POST') {
      sendError(res, route.dialect, 405, requestId, `Method ${method} not allowed on ${pathname}`);
      return;
    }
    if (raw === 'too-large') {
      sendError(res, route.dialect, 413, requestId, 'Request body too large.');
      return;
    }
    if (!parsed.ok || !isObject(parsed.value)) {
      sendError(res, route.dialect, 400, requestId, 'The request body must be a JSON object.');
      return;
    }
    const body = parsed.value;
    const status = requestedErrorStatus(body.model, headers['x-mock-error']);
    if (status !== undefined) {
      sendError(res, route.dialect, status, requestId);
      return;
    }
    await route.handler({
      body,
      res,
      signal: abort.signal,
      chunkDelayMs: delayHeader(headers['x-mock-chunk-delay-ms']),
      nextSeq,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          error: { message: String(error), type: 'server_error', param: null, code: null },
        });
      } else {
        res.destroy();
      }
    });
  });

  const host = options.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
