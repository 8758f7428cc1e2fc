import type { ServerResponse } from 'node:http';
import { type Dialect, sendJson } from './exchange.js';

/** Seconds sent in `Retry-After` with every 429. */
export const RETRY_AFTER_SEC = 1;

const MODEL_PATTERN = /^mock-error-(\d{3})$/;

/**
 * The HTTP error status a request asks for: model `mock-error-NNN` or header
 * `x-mock-error: NNN`, for any NNN from 400 to 599.
 */
export function requestedErrorStatus(
  model: unknown,
  header: string | undefined,
): number | undefined {
  const fromModel = typeof model === 'string' ? MODEL_PATTERN.exec(model)?.[1] : undefined;
  const status = Number(fromModel ?? header);
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : undefined;
}

const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Mock bad request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided (mock).',
  },
  403: { type: 'invalid_request_error', code: null, message: 'Mock permission denied.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'Mock model not found.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached (mock). Please try again in 1s.',
  },
  500: { type: 'server_error', code: null, message: 'The server had an error (mock).' },
  503: { type: 'server_error', code: 'service_unavailable', message: 'Mock service unavailable.' },
};

const ANTHROPIC_ERRORS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

/** Answers with an error body shaped like the dialect's real API. */
export function sendError(
  res: ServerResponse,
  dialect: Dialect,
  status: number,
  requestId: string,
  message?: string,
): void {
  const headers: Record<string, string> = {};
  if (status === 429) headers['retry-after'] = String(RETRY_AFTER_SEC);
  if (dialect === 'anthropic') {
    const type =
      ANTHROPIC_ERRORS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    sendJson(
      res,
      status,
      {
        type: 'error',
        error: { type, message: message ?? `Mock ${type} (HTTP ${status}).` },
        request_id: requestId,
      },
      headers,
    );
    return;
  }
  const known = OPENAI_ERRORS[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `Mock error (HTTP ${status}).`,
  };
  sendJson(
    res,
    status,
    {
      error: { message: message ?? known.message, type: known.type, param: null, code: known.code },
    },
    headers,
  );
}
