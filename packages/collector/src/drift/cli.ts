/**
 * `pilotlight drift report`: a drift report over the stored calls of a collector database,
 * written as self-contained HTML (and JSON beside it) or printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEFAULT_DB_PATH } from '../config.js';
import { DRIFT_METHODS, type DriftMethod } from './monitor.js';
import { buildDriftReport, driftReportJson, renderDriftReportHtml } from './report.js';
import { SqliteFeatureSource } from './sqlite-feature-source.js';

/** Width of the progress bar, in characters. */
const BAR_WIDTH = 24;

export const DRIFT_REPORT_USAGE = `Usage: pilotlight drift report --feature NAME --reference FROM..TO --current FROM..TO [options]

Compares the distribution of features between two windows of stored calls.

  --project ID          project (default: default)
  --feature NAME        latency, ttft, input_tokens, output_tokens, cost, confidence,
                        output_length, model, finish_reason, status, error_type,
                        number:<attribute> or string:<attribute>; repeat or comma-separate
  --reference FROM..TO  reference window (ISO 8601 times or Unix ms)
  --current FROM..TO    current window
  --out FILE            write the HTML report to FILE and its JSON beside it (FILE.json);
                        without it the report goes to stdout (--format html|json)
  --method M            auto (default), psi, ks, chi2, js, wasserstein
  --threshold X         drift threshold (default: the test's usual one)
  --min-samples N       fewest values per window for a verdict (default 30)
  --sample-cap N        larger windows are sampled at random (default 10000)
  --model, --provider, --service, --operation VALUE   only these calls
  --db FILE             collector database (default: $PILOTLIGHT_DB or ${DEFAULT_DB_PATH})
`;

/** Where the command writes; the process's streams by default. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  now?: () => number;
}

class UsageError extends Error {}

function parseTime(text: string, what: string): number {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`${what}: "${text}" is not an ISO 8601 time or Unix ms`);
  return ms;
}

function parseRange(text: string | undefined, flag: string): { fromMs: number; toMs: number } {
  if (text === undefined) throw new UsageError(`--${flag} FROM..TO is required`);
  const parts = text.split('..');
  if (parts.length !== 2) throw new UsageError(`--${flag}: expected FROM..TO, got "${text}"`);
  const fromMs = parseTime(parts[0]!, `--${flag} FROM`);
  const toMs = parseTime(parts[1]!, `--${flag} TO`);
  if (!(fromMs < toMs)) throw new UsageError(`--${flag}: FROM must be before TO`);
  return { fromMs, toMs };
}

function parseNumber(text: string | undefined, flag: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

/**
 * Runs `pilotlight drift report` with the arguments after `drift report`.
 *
 * @returns the exit code: 0 done, 64 bad usage, 1 failure (e.g. no database).
 * @example
 * ```ts
 * process.exitCode = await runDriftReportCommand(process.argv.slice(4));
 * ```
 */
export async function runDriftReportCommand(
  argv: readonly string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let db: Database.Database | undefined;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        project: { type: 'string', default: 'default' },
        feature: { type: 'string', multiple: true },
        reference: { type: 'string' },
        current: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string', default: 'html' },
        method: { type: 'string', default: 'auto' },
        threshold: { type: 'string' },
        'min-samples': { type: 'string' },
        'sample-cap': { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        service: { type: 'string' },
        operation: { type: 'string' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(DRIFT_REPORT_USAGE);
      return 0;
    }
    const features = (values.feature ?? []).flatMap((f) => f.split(',')).filter((f) => f !== '');
    if (features.length === 0) throw new UsageError('--feature is required');
    const method = values.method as DriftMethod;
    if (!DRIFT_METHODS.includes(method)) {
      throw new UsageError(`--method: use one of ${DRIFT_METHODS.join(', ')}`);
    }
    if (values.format !== 'html' && values.format !== 'json') {
      throw new UsageError('--format: use html or json');
    }
    const reference = parseRange(values.reference, 'reference');
    const current = parseRange(values.current, 'current');
    const threshold = parseNumber(values.threshold, 'threshold', false);
    const minSamples = parseNumber(values['min-samples'], 'min-samples', true);
    const sampleCap = parseNumber(values['sample-cap'], 'sample-cap', true);
    const filters = Object.fromEntries(
      (['model', 'provider', 'service', 'operation'] as const)
        .filter((k) => values[k] !== undefined)
        .map((k) => [k, values[k]]),
    );
    const dbPath = values.db ?? io.env.PILOTLIGHT_DB ?? DEFAULT_DB_PATH;
    try {
      db = new Database(dbPath, { readonly: true, fileMustExist: true });
    } catch (cause) {
      io.stderr.write(`pilotlight: cannot open database ${dbPath}: ${String(cause)}\n`);
      return 1;
    }
    const progress = progressBar(io.stderr);
    let report: Awaited<ReturnType<typeof buildDriftReport>>;
    try {
      report = await buildDriftReport(
        new SqliteFeatureSource(db),
        {
          projectId: values.project,
          features,
          filters,
          reference,
          current,
          method,
          ...(threshold === undefined ? {} : { threshold }),
          ...(minSamples === undefined ? {} : { minSamples }),
          ...(sampleCap === undefined ? {} : { sampleCap }),
        },
        progress,
        (io.now ?? Date.now)(),
      );
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    if (values.out === undefined) {
      io.stdout.write(
        values.format === 'json' ? `${driftReportJson(report)}\n` : renderDriftReportHtml(report),
      );
      return 0;
    }
    const htmlPath = path.resolve(values.out);
    const jsonPath = htmlPath.replace(/(\.html?)?$/i, '.json');
    mkdirSync(path.dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, renderDriftReportHtml(report));
    writeFileSync(jsonPath, `${driftReportJson(report)}\n`);
    const drifted = report.features.filter((f) => f.drifted).map((f) => f.feature);
    io.stdout.write(
      `${drifted.length === 0 ? 'no drift detected' : `drift in: ${drifted.join(', ')}`}\n` +
        `report: ${htmlPath}\njson:   ${jsonPath}\n`,
    );
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr.write(
        `pilotlight drift report: ${(error as Error).message}\n\n${DRIFT_REPORT_USAGE}`,
      );
      return 64;
    }
    io.stderr.write(
      `pilotlight drift report: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    db?.close();
  }
}

/** A progress bar on a terminal (redrawn in place), or one line per window otherwise. */
function progressBar(
  stream: CommandIo['stderr'],
): (done: number, total: number, label: string) => void {
  let lastLabel = '';
  return (done, total, label) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${label}`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${line}${done === total ? '\n' : ''}`);
    } else if (label !== lastLabel) {
      stream.write(`${line}\n`);
    }
    lastLabel = label;
  };
}
