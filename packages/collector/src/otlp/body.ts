import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { DecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

/** Content encodings the collector reads (as the OpenTelemetry Collector does, minus zstd/snappy). */
export const SUPPORTED_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;

/** Passes bytes through and fails once more than `maxBytes` have gone by. */
function byteCap(maxBytes: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > maxBytes) callback(new PayloadTooLargeError(maxBytes));
      else callback(null, chunk);
    },
  });
}

/** Collects bytes into one buffer. */
function collect(): { sink: Writable; result: () => Buffer } {
  const chunks: Buffer[] = [];
  let total = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      total += chunk.length;
      callback();
    },
  });
  return { sink, result: () => Buffer.concat(chunks, total) };
}

/**
 * Reads a request body and undoes its `Content-Encoding` as a stream, with a cap on
 * both the bytes received and the bytes inflated: past `maxBytes` of either, reading
 * and inflating stop at once, so a gzip bomb costs at most `maxBytes` of memory.
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
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (request.body === null) return Buffer.alloc(0);

  const source = Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
  const { sink, result } = collect();
  try {
    if (encoding === 'identity') {
      await pipeline(source, byteCap(maxBytes), sink);
    } else {
      const inflate = encoding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
      await pipeline(source, byteCap(maxBytes), inflate, byteCap(maxBytes), sink);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new DecodeError(`body is not valid ${encoding} data: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
  return result();
}
