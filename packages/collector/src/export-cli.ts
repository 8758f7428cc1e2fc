/**
 * `pilotlight export`: streams `/api/export` of a running collector to a file or stdout,
 * with a progress line on stderr.
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT } from './config.js';

/** Least time between two redraws of the progress line on a terminal (ms). */
const PROGRESS_EVERY_MS = 100;

export const EXPORT_USAGE = `Usage: pilotlight export [options]

Streams every stored call matching the filters from a running collector.

  --out FILE        write to FILE (default: stdout); a .csv name implies --format csv
  --format F        ndjson (default) or csv
  --from TIME       span start at or after TIME (ISO 8601 or Unix ms)
  --to TIME         span start before TIME
  --model NAME, --status ok|error, --trace-id HEX   only these calls
  --url URL         the collector (default: http://127.0.0.1:$PILOTLIGHT_PORT or ${DEFAULT_PORT})

The project's API key, once the collector has keys, comes from $PILOTLIGHT_API_KEY
(an environment variable rather than a flag, so it stays out of shell history and ps).
`;

/** Where the command writes; the process's streams by default. */
export interface ExportIo {
  stdout: { write(chunk: Uint8Array | string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** Counts records in a CSV or NDJSON byte stream (CSV: line breaks outside quotes). */
function recordCounter(csv: boolean): { count(chunk: Uint8Array): void; rows(): number } {
  let breaks = 0;
  let quoted = false;
  return {
    count(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (csv && b === 0x22) quoted = !quoted;
        else if (b === 0x0a && !quoted) breaks++;
      }
    },
    // The CSV header is a line but not a record.
    rows: () => (csv ? Math.max(0, breaks - 1) : breaks),
  };
}

/**
 * Runs `pilotlight export` with `argv` (the words after `export`).
 *
 * @returns the exit code: 0 on success, 1 when the collector refuses or the transfer
 * breaks, 64 for bad usage.
 * @example
 * process.exitCode = await runExportCommand(['--format', 'csv', '--out', 'calls.csv']);
 */
export async function runExportCommand(
  argv: readonly string[],
  io: ExportIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string', short: 'o' },
        format: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        model: { type: 'string' },
        status: { type: 'string' },
        'trace-id': { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr.write(`pilotlight export: ${(error as Error).message}\n\n${EXPORT_USAGE}`);
    return 64;
  }
  if (values.help === true) {
    io.stdout.write(EXPORT_USAGE);
    return 0;
  }
  const out = values.out as string | undefined;
  const format =
    (values.format as string | undefined) ?? (out?.endsWith('.csv') ? 'csv' : 'ndjson');
  const base =
    (values.url as string | undefined) ??
    `http://127.0.0.1:${io.env.PILOTLIGHT_PORT || DEFAULT_PORT}`;
  const params = new URLSearchParams({ format });
  for (const [flag, param] of [
    ['from', 'from'],
    ['to', 'to'],
    ['model', 'model'],
    ['status', 'status'],
    ['trace-id', 'traceId'],
  ] as const) {
    const v = values[flag];
    if (typeof v === 'string') params.set(param, v);
  }

  let res: Response;
  try {
    const key = io.env.PILOTLIGHT_API_KEY;
    res = await fetch(`${base.replace(/\/+$/, '')}/api/export?${params}`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
  } catch (error) {
    io.stderr.write(`pilotlight export: cannot reach ${base}: ${(error as Error).message}\n`);
    return 1;
  }
  if (res.status !== 200 || res.body === null) {
    const text = await res.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {}
    io.stderr.write(`pilotlight export: the collector answered ${res.status}: ${message}\n`);
    return 1;
  }

  const counter = recordCounter(format === 'csv');
  let bytes = 0;
  let drawnAt = 0;
  const tty = io.stderr.isTTY === true;
  const line = (): string =>
    `exported ${counter.rows().toLocaleString('en-US')} records (${(bytes / 1_048_576).toFixed(1)} MiB)`;
  const progress = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.count(chunk);
      bytes += chunk.length;
      const now = Date.now();
      if (tty && now - drawnAt >= PROGRESS_EVERY_MS) {
        drawnAt = now;
        io.stderr.write(`\r${line()}`);
      }
      done(null, chunk);
    },
  });
  const sink =
    out === undefined
      ? new Writable({
          write(chunk: Buffer, _encoding, done) {
            io.stdout.write(chunk);
            done();
          },
        })
      : createWriteStream(out);
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      progress,
      sink,
    );
  } catch (error) {
    io.stderr.write(
      `${tty ? '\n' : ''}pilotlight export: interrupted: ${(error as Error).message}\n`,
    );
    return 1;
  }
  io.stderr.write(`${tty ? '\r' : ''}${line()}${out === undefined ? '' : ` to ${out}`}\n`);
  return 0;
}
