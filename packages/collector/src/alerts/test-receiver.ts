import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './sinks/webhook.js';

/** One request a {@link WebhookReceiver} received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the signature verified against the receiver's secret; null without a secret. */
  signatureValid: boolean | null;
}

/** How the receiver answers: a status, with optional headers. */
export type Responder = (
  request: ReceivedRequest,
) => number | { status: number; headers?: Record<string, string>; hang?: boolean };

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Verify `X-Pilotlight-Signature` with this secret. */
  secret?: string;
  /** Receiver clock for the signature's timestamp check; `Date.now` by default. */
  now?: () => number;
  /** Port to listen on (0: any free port). */
  port?: number;
  responder?: Responder;
}

/** A local HTTP receiver of webhook notifications (tests, demos). */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[];
  /** Changes how it answers. */
  respond(responder: Responder): void;
  /** Stops listening (the port then refuses connections); pending requests are dropped. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 that records requests, verifies signatures and answers
 * as told (204 by default). Point a sink at it with a policy allowing `http` and
 * `127.0.0.1`.
 *
 * @example
 * ```ts
 * const receiver = await startWebhookReceiver({ secret });
 * // ... deliver notifications to `${receiver.origin}/hook`
 * receiver.requests.every((r) => r.signatureValid); // true
 * await receiver.stop();
 * ```
 */
export async function startWebhookReceiver(
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  let responder: Responder = options.responder ?? (() => 204);
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const make = (): Server =>
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string): string | undefined => {
          const v = req.headers[name.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        };
        const received: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
          signatureValid:
            options.secret === undefined
              ? null
              : verifyWebhookSignature(
                  options.secret,
                  header(TIMESTAMP_HEADER),
                  body,
                  header(SIGNATURE_HEADER),
                  { nowMs: (options.now ?? Date.now)() },
                ),
        };
        requests.push(received);
        const answer = responder(received);
        const { status, headers, hang } =
          typeof answer === 'number' ? { status: answer, headers: undefined, hang: false } : answer;
        if (hang) {
          hanging.add(res);
          return;
        }
        res.writeHead(status, headers).end();
      });
    });
  let server = make();
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(options.port ?? 0);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond(next) {
      responder = next;
    },
    stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async restart() {
      server = make();
      await listen(port);
    },
  };
}
