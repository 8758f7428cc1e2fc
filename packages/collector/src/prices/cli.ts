/**
 * `pilotlight reprice`: recomputes the collector's cost of stored calls after a price
 * changed, directly on the database (the SQLite file or PostgreSQL), with progress on
 * stderr.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DB_PATH } from '../config.js';
import { timeSchema } from '../routes/query.js';
import { type ProgressStream, progressReporter } from './progress.js';
import { DEFAULT_REPRICE_BATCH_SIZE, type RepriceEngine, repriceCalls } from './reprice.js';
import { postgresRepriceEngine } from './reprice-postgres.js';
import { sqliteRepriceEngine } from './reprice-sqlite.js';

/** Largest `--batch-size`. */
const MAX_BATCH_SIZE = 10_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const REPRICE_USAGE = `Usage: pilotlight reprice --from TIME [options]

Recomputes the cost of stored calls that started in [--from, --to) with the prices in
effect at each call's start: the default table plus the project's overrides (PUT
/api/prices). Costs sent by the SDK are kept. Safe while the collector runs, and to
stop and run again.

  --from TIME       first call start to re-price (ISO 8601 date or date-time, or Unix ms)
  --to TIME         end of the range, exclusive (default: now)
  --project ID      only this project (default: every project)
  --model NAME      only calls of this model (snapshots and host spellings included)
  --dry-run         count what would change, write nothing
  --batch-size N    calls per transaction (default ${DEFAULT_REPRICE_BATCH_SIZE}, at most ${MAX_BATCH_SIZE})

The database comes from the environment, as for pilotlight serve: PILOTLIGHT_DATABASE_URL
(and PILOTLIGHT_DATABASE_SCHEMA) for PostgreSQL, else the SQLite file PILOTLIGHT_DB
(default ${DEFAULT_DB_PATH}).
`;

/** Where the command writes; the process's streams by default. */
export interface RepriceIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
}

/** Options for tests and embedding; the CLI uses the defaults. */
export interface RepriceCommandOptions {
  /** Pause between batches (ms); default: the engine's. */
  pauseMs?: number;
  /** Clock of the default `--to` (Unix ms). */
  now?: () => number;
}

function parseTime(value: string, flag: string): bigint {
  const parsed = timeSchema.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(value)}: expected an ISO 8601 date or date-time, or Unix milliseconds`,
    );
  }
  return parsed.data;
}

class UsageError extends Error {}

/**
 * Runs `pilotlight reprice` with `argv` (the words after `reprice`).
 *
 * @returns the exit code: 0 on success, 1 when the database cannot be opened or a batch
 * fails (batches already committed stay; run again to finish), 64 for bad usage.
 * @example
 * process.exitCode = await runRepriceCommand(['--from', '2026-03-01'], process.env);
 */
export async function runRepriceCommand(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: RepriceIo = { stdout: process.stdout, stderr: process.stderr },
  options: RepriceCommandOptions = {},
): Promise<number> {
  let fromNs: bigint;
  let toNs: bigint;
  let values: Record<string, string | boolean | undefined>;
  let batchSize = DEFAULT_REPRICE_BATCH_SIZE;
  try {
    try {
      ({ values } = parseArgs({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: {
          from: { type: 'string' },
          to: { type: 'string' },
          project: { type: 'string' },
          model: { type: 'string' },
          'dry-run': { type: 'boolean' },
          'batch-size': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (values.help === true) {
      io.stdout.write(REPRICE_USAGE);
      return 0;
    }
    if (typeof values.from !== 'string') throw new UsageError('--from is required');
    fromNs = parseTime(values.from, 'from');
    toNs =
      typeof values.to === 'string'
        ? parseTime(values.to, 'to')
        : BigInt((options.now ?? Date.now)()) * 1_000_000n;
    if (fromNs >= toNs) throw new UsageError('--to must be after --from');
    if (typeof values['batch-size'] === 'string') {
      batchSize = Number(values['batch-size']);
      if (!/^\d+$/.test(values['batch-size']) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
        throw new UsageError(`--batch-size: expected an integer from 1 to ${MAX_BATCH_SIZE}`);
      }
    }
    for (const flag of ['project', 'model'] as const) {
      if (values[flag] === '') throw new UsageError(`--${flag} must not be empty`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`pilotlight reprice: ${error.message}\n\n${REPRICE_USAGE}`);
    return 64;
  }

  const databaseUrl = env.PILOTLIGHT_DATABASE_URL?.trim() || undefined;
  const schema = env.PILOTLIGHT_DATABASE_SCHEMA?.trim() || 'public';
  if (databaseUrl !== undefined && !SCHEMA_NAME.test(schema)) {
    io.stderr.write(
      `pilotlight reprice: PILOTLIGHT_DATABASE_SCHEMA=${JSON.stringify(schema)}: expected lowercase letters, digits and _\n`,
    );
    return 64;
  }
  const dbPath = path.resolve(env.PILOTLIGHT_DB?.trim() || DEFAULT_DB_PATH);
  let engine: RepriceEngine;
  try {
    engine =
      databaseUrl === undefined
        ? sqliteRepriceEngine(dbPath)
        : await postgresRepriceEngine({ connectionString: databaseUrl, schema });
  } catch (error) {
    io.stderr.write(`pilotlight reprice: cannot open the database: ${(error as Error).message}\n`);
    return 1;
  }

  const progress = progressReporter(io.stderr);
  const startedAt = performance.now();
  const dryRun = values['dry-run'] === true;
  try {
    const result = await repriceCalls(engine, {
      fromNs,
      toNs,
      batchSize,
      dryRun,
      onProgress: progress.update,
      ...(typeof values.project === 'string' ? { projectId: values.project } : {}),
      ...(typeof values.model === 'string' ? { model: values.model } : {}),
      ...(options.pauseMs === undefined ? {} : { pauseMs: options.pauseMs }),
    });
    progress.finish();
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const sign = result.costDeltaUsd < 0 ? '-' : '+';
    io.stdout.write(
      `${dryRun ? 'would re-price' : 're-priced'} ${result.repriced.toLocaleString('en-US')} of ${result.scanned.toLocaleString('en-US')} calls` +
        ` in ${result.projects.length} project${result.projects.length === 1 ? '' : 's'}` +
        ` (cost ${sign}$${Math.abs(result.costDeltaUsd).toFixed(6)}) in ${seconds} s\n`,
    );
    return 0;
  } catch (error) {
    progress.finish();
    io.stderr.write(
      `pilotlight reprice: stopped: ${(error as Error).message}\n` +
        'batches already committed are kept (costs and rollups together); run the same command again to finish\n',
    );
    return 1;
  } finally {
    await engine.close().catch(() => undefined);
  }
}
