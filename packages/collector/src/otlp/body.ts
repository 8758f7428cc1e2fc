import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** Content encodings the collector reads (as the OpenTelemetry Collector does, minus zstd/snappy). */
export const SUPPORTED_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;

async function readCapped(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const body = request.body;
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads a request body and undoes its `Content-Encoding`, never holding more than
 * `maxBytes` of either the raw or the decompressed body: zlib stops inflating at
 * the cap (`maxOutputLength`), so a gzip bomb costs at most `maxBytes` of memory.
 *
 * @throws {PayloadTooLargeError} raw or decompressed body over `maxBytes`.
 * @throws {UnsupportedMediaTypeError} an encoding other than identity, gzip or deflate.
 * @throws {DecodeError} a corrupt compressed body.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Buffer> {
  const encoding =
    (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase() || 'identity';
  if (!(SUPPORTED_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Encoding ${JSON.stringify(encoding)}; use one of ${SUPPORTED_ENCODINGS.join(', ')}`,
    );
  }
  const raw = await readCapped(request, maxBytes);
  if (encoding === 'identity') return raw;
  try {
    return encoding === 'gzip'
      ? await gunzip(raw, { maxOutputLength: maxBytes })
      : await inflate(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new PayloadTooLargeError(maxBytes);
    throw new DecodeError(`body is not valid ${encoding} data: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
