import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  type CheckedTarget,
  checkTarget,
  pinnedLookup,
  type ResolveAll,
  type TargetPolicy,
} from '../ssrf.js';
import type { DeliveryOutcome } from './types.js';

/** Default per-attempt timeout: connect, send and receive the status, all included. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** Response bytes read (and discarded) at most, so a chatty receiver cannot hold us. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Options of {@link postJson}. */
export interface PostOptions {
  policy: TargetPolicy;
  /** Per-attempt timeout; defaults to {@link DEFAULT_ATTEMPT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** DNS resolution (tests inject one); the system resolver by default. */
  resolveAll?: ResolveAll;
  /** Extra trusted CA certificates for https (e.g. a private PKI). */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Clock for `Retry-After` dates; `Date.now` by default. */
  now?: () => number;
}

/** Reads `Retry-After` (seconds or an HTTP date) as milliseconds from `nowMs`. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Maps an HTTP status to an outcome. Redirects are failures: they are never followed. */
export function outcomeOfStatus(
  status: number,
  retryAfter: string | undefined,
  nowMs: number,
): DeliveryOutcome {
  if (status >= 200 && status < 300) return { status: 'success', httpStatus: status };
  if (status >= 300 && status < 400) {
    return {
      status: 'failure',
      httpStatus: status,
      reason: `HTTP ${status}: redirects are not followed (point the sink at the final URL)`,
    };
  }
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    return {
      status: 'retryable',
      httpStatus: status,
      reason: `HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { status: 'failure', httpStatus: status, reason: `HTTP ${status}` };
}

function send(
  target: CheckedTarget,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<DeliveryOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const { url } = target;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: DeliveryOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(
      url,
      {
        method: 'POST',
        // Connect to an address checkTarget approved; never resolve again.
        lookup: pinnedLookup(target.addresses),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'pilotlight-collector',
          ...headers,
        },
        ...(options.ca === undefined
          ? {}
          : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers['retry-after'];
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const done = (): void => finish(outcomeOfStatus(status, retryAfter, now()));
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 'retryable', reason: `no response within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ status: 'retryable', reason: `network error: ${err.code ?? err.message}` }),
    );
    req.end(body);
  });
}

/**
 * POSTs a JSON body to `rawUrl` after checking it against `policy` (every resolved
 * address), connecting only to the checked addresses, within one timeout, without
 * following redirects. Never throws.
 */
export async function postJson(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<DeliveryOutcome> {
  const check = await checkTarget(rawUrl, options.policy, options.resolveAll);
  if (!check.ok) {
    const { code, message } = check.refusal;
    // A name that does not resolve may be a passing DNS outage; a refused address is not.
    return code === 'dns'
      ? { status: 'retryable', reason: message }
      : { status: 'failure', reason: `target refused: ${message}` };
  }
  return send(check.target, body, headers, options);
}
