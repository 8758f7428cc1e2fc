/**
 * Typed errors that the HTTP layer maps to statuses in one place (`server.ts`
 * `onError`). Each carries a stable `code` that becomes the `error` field of the
 * response body.
 */

/** One problem with a request field, as reported in `issues`. */
export interface Issue {
  /** Dotted path of the offending field (`limit`, `resourceSpans[0].scopeSpans[0].spans[2].traceId`). */
  path: string;
  message: string;
}

/** Base class: an error the client caused, with the HTTP status it maps to. */
export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request parameter or body failed validation (400). */
export class ValidationError extends CollectorError {
  override readonly name = 'ValidationError';
  constructor(message: string, issues: Issue[] = [], options?: { cause?: unknown }) {
    super(400, 'invalid_request', message, issues, options);
  }
}

/** The OTLP body could not be decoded at all (400). */
export class DecodeError extends CollectorError {
  override readonly name = 'DecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'undecodable_body', message, [], options);
  }
}

/** The body is larger than the configured limit, counted after decompression (413). */
export class PayloadTooLargeError extends CollectorError {
  override readonly name = 'PayloadTooLargeError';
  constructor(readonly limitBytes: number) {
    super(
      413,
      'payload_too_large',
      `request body exceeds ${limitBytes} bytes (after decompression)`,
    );
  }
}

/** Content type or content encoding the collector does not read (415). */
export class UnsupportedMediaTypeError extends CollectorError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

/** The requested resource does not exist in this project (404). */
export class NotFoundError extends CollectorError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

/**
 * The request carries no API key, or one that is unknown, malformed or revoked (401).
 * One message for every case, so a caller learns nothing about which keys exist.
 */
export class UnauthorizedError extends CollectorError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'missing or invalid API key: send Authorization: Bearer <key>') {
    super(401, 'unauthorized', message);
  }
}

/** A valid key that may not do this (an admin key reading data, a project key managing keys) (403). */
export class ForbiddenError extends CollectorError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** The request conflicts with what is stored (a name taken, a limit reached) (409). */
export class ConflictError extends CollectorError {
  override readonly name = 'ConflictError';
  constructor(message: string, issues: Issue[] = []) {
    super(409, 'conflict', message, issues);
  }
}

/** How long a client should wait before retrying when the store is unavailable (s). */
export const STORE_RETRY_AFTER_SEC = 1;

/**
 * The store could not commit or read (locked, disk full, closed, database down):
 * 503 with `Retry-After`, which OTLP exporters retry, unlike a 500.
 */
export class StoreUnavailableError extends CollectorError {
  override readonly name = 'StoreUnavailableError';
  readonly retryAfterSec = STORE_RETRY_AFTER_SEC;
  constructor(cause: unknown) {
    super(
      503,
      'store_unavailable',
      `the store is unavailable: ${(cause as Error)?.message ?? String(cause)}`,
      [],
      {
        cause,
      },
    );
  }
}
