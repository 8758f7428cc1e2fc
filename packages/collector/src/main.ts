#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDashboardRoutes } from '@pilotlight/dashboard';
import { runKeysCommand, runProjectsCommand } from './auth/cli.js';
import { ConfigError, findDefaultConfigFile, parseConfig } from './config.js';
import { runDriftReportCommand } from './drift/cli.js';
import { runExportCommand } from './export-cli.js';
import { runRepriceCommand } from './prices/cli.js';
import { InsecureBindError, startCollector } from './start.js';

const USAGE = `Usage: pilotlight serve | projects | keys | reprice | export | drift report | demo

  pilotlight projects create NAME    create a project (and list: pilotlight projects list)
  pilotlight keys create --project NAME   create an API key for a project, shown once (--help)
  pilotlight reprice --from TIME [options]  re-price stored calls after a price change (--help)
  pilotlight export [options]        stream stored calls from a running collector (--help)
  pilotlight drift report [options]  compare feature distributions of two windows (--help)
  pilotlight demo                    send a minute of demo traffic to a running collector (checkout only)

pilotlight serve

Starts the collector. Configuration comes from the environment:
  PILOTLIGHT_PORT                 port to listen on (default 4318; 0 = any free port)
  PILOTLIGHT_HOST                 interface to bind (default 127.0.0.1)
  PILOTLIGHT_DB                   SQLite database file (default ./.pilotlight/pilotlight.db)
  PILOTLIGHT_MAX_BODY_BYTES       largest request body after decompression (default 20971520)
  PILOTLIGHT_SQLITE_SYNCHRONOUS   full (default: survives power loss) or normal (survives a crash)
  PILOTLIGHT_RETENTION_DAYS       delete calls older than this many days (default: keep)
  PILOTLIGHT_ROLLUP_RETENTION_DAYS  delete rollups older than this many days (default: keep)
  PILOTLIGHT_AUDIT_RETENTION_DAYS   delete audit entries older than this many days (default: keep)
  PILOTLIGHT_METRICS_MAX_MODELS   model names labelled in /metrics before folding into "other" (default 100)
  PILOTLIGHT_ALERTS_CONFIG        alert configuration file, JSON or YAML (sinks, network policy, rules);
                                  default: ./pilotlight.config.json, .yaml or .yml when present
  PILOTLIGHT_INGEST_MAX_WAIT_MS   ingest answers 503 + Retry-After when the spans queued ahead of a
                                  request would take longer than this to store (default 100)
  PILOTLIGHT_INGEST_MAX_PENDING_SPANS  ... or this many spans wait to be stored (default 5000)
  PILOTLIGHT_INGEST_MAX_PENDING_BYTES  ... or this many request bytes wait to be parsed (default 8388608)
  PILOTLIGHT_DATABASE_URL         postgres://… : store in PostgreSQL instead of the SQLite file
  PILOTLIGHT_DATABASE_POOL_SIZE   PostgreSQL connections of this collector (default 10)
  PILOTLIGHT_DATABASE_SCHEMA      PostgreSQL schema (default public)

Authentication: once an API key exists (pilotlight keys create), ingest, every /api route
and /metrics need Authorization: Bearer <key> (OTel exporters: OTEL_EXPORTER_OTLP_HEADERS=
"Authorization=Bearer <key>"); the key decides the project. With no key yet, the collector
serves only this machine (loopback), into the project "default", and refuses to bind
another interface.
`;

async function serveCommand(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pilotlight: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  let collector: Awaited<ReturnType<typeof startCollector>>;
  try {
    collector = await startCollector({
      dbPath: config.dbPath,
      port: config.port,
      host: config.host,
      maxBodyBytes: config.maxBodyBytes,
      ingestAdmission: {
        ...(config.ingestMaxPendingSpans === undefined
          ? {}
          : { maxPendingSpans: config.ingestMaxPendingSpans }),
        ...(config.ingestMaxPendingBytes === undefined
          ? {}
          : { maxPendingBytes: config.ingestMaxPendingBytes }),
        ...(config.ingestMaxWaitMs === undefined ? {} : { maxWaitMs: config.ingestMaxWaitMs }),
      },
      sqliteSynchronous: config.sqliteSynchronous,
      retentionDays: config.retentionDays,
      rollupRetentionDays: config.rollupRetentionDays,
      auditRetentionDays: config.auditRetentionDays,
      alertsConfigFile: config.alertsConfigFile ?? findDefaultConfigFile(process.cwd()),
      metricsMaxModels: config.metricsMaxModels,
      databaseUrl: config.databaseUrl,
      databasePoolSize: config.databasePoolSize,
      databaseSchema: config.databaseSchema,
      dashboard: createDashboardRoutes(),
      // Only on PostgreSQL, where one replica at a time runs the background jobs.
      ...(config.databaseUrl === null
        ? {}
        : {
            onLeaderChange: (leading: boolean) =>
              process.stdout.write(
                leading
                  ? 'pilotlight: this replica now runs the background jobs (alerts, drift, retention, outbox)\n'
                  : 'pilotlight: this replica no longer runs the background jobs\n',
              ),
          }),
    });
  } catch (error) {
    if (error instanceof InsecureBindError) {
      process.stderr.write(`pilotlight: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const authLine =
    collector.authMode === 'keys'
      ? 'API key required (Authorization: Bearer <key>)'
      : 'no API keys yet: serving this machine only, into project "default"';
  process.stdout.write(
    `pilotlight collector listening on ${collector.url}\n` +
      `  dashboard:        ${collector.url}/\n` +
      `  OTLP/HTTP traces: ${collector.url}/v1/traces\n` +
      `  query API:        ${collector.url}/api/spans\n` +
      `  database:         ${collector.database}\n` +
      `  auth:             ${authLine}\n`,
  );
  const stop = (signal: NodeJS.Signals): void => {
    process.stdout.write(`pilotlight: ${signal} received, finishing in-flight requests\n`);
    collector.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`pilotlight: error while closing: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command === 'serve') return serveCommand();
  if (command === 'projects') {
    process.exitCode = await runProjectsCommand(argv.slice(1));
    return;
  }
  if (command === 'keys') {
    process.exitCode = await runKeysCommand(argv.slice(1));
    return;
  }
  if (command === 'reprice') {
    process.exitCode = await runRepriceCommand(argv.slice(1), process.env);
    return;
  }
  if (command === 'export') {
    process.exitCode = await runExportCommand(argv.slice(1));
    return;
  }
  if (command === 'drift' && argv[1] === 'report') {
    process.exitCode = await runDriftReportCommand(argv.slice(2));
    return;
  }
  if (command === 'demo') {
    process.exitCode = await runDemoCommand();
    return;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  process.stderr.write(`pilotlight: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  process.exit(64); // EX_USAGE
}

/**
 * `pilotlight demo`: a minute of realistic traffic (examples/demo) against the running
 * collector at PILOTLIGHT_ENDPOINT. The demo lives in the repository, not in this package,
 * so it runs from a checkout; the same as `npm run demo` at the repository root.
 */
function runDemoCommand(): Promise<number> {
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  if (!existsSync(join(repoRoot, 'examples', 'demo', 'package.json'))) {
    process.stderr.write(
      'pilotlight: the demo ships with the pilotlight repository: run `npm run demo` in a checkout\n',
    );
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const child = spawn('npm', ['start', '--silent', '-w', '@pilotlight/example-demo'], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: process.env,
    });
    child.once('error', () => resolve(1));
    child.once('close', (code) => resolve(code ?? 1));
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`pilotlight: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
