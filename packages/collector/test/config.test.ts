import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findDefaultConfigFile } from '../src/config.js';
import { ConfigError, DEFAULT_MAX_BODY_BYTES, parseConfig } from '../src/index.js';
import { spawnCollector, startChildCollector } from './child-process.js';
import { getJson, tempDir } from './helpers.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults, treating empty values as unset', () => {
    expect(parseConfig({ PILOTLIGHT_HOST: '' })).toEqual({
      port: 4318,
      host: '127.0.0.1',
      dbPath: './.pilotlight/pilotlight.db',
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      sqliteSynchronous: 'full',
      retentionDays: null,
      rollupRetentionDays: null,
      auditRetentionDays: null,
      alertsConfigFile: null,
      metricsMaxModels: 100,
      databaseUrl: null,
      databasePoolSize: null,
      databaseSchema: null,
    });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        PILOTLIGHT_PORT: '0',
        PILOTLIGHT_HOST: '0.0.0.0',
        PILOTLIGHT_DB: '/var/lib/pilotlight/db.sqlite',
        PILOTLIGHT_MAX_BODY_BYTES: '1048576',
        PILOTLIGHT_SQLITE_SYNCHRONOUS: 'NORMAL',
        PILOTLIGHT_RETENTION_DAYS: '30',
        PILOTLIGHT_ROLLUP_RETENTION_DAYS: '400',
        PILOTLIGHT_AUDIT_RETENTION_DAYS: '730',
        PILOTLIGHT_ALERTS_CONFIG: 'pilotlight.config.yaml',
        PILOTLIGHT_METRICS_MAX_MODELS: '20',
        PILOTLIGHT_DATABASE_URL: 'postgres://pilotlight@db.internal:5432/pilotlight',
        PILOTLIGHT_DATABASE_POOL_SIZE: '20',
        PILOTLIGHT_DATABASE_SCHEMA: 'telemetry',
      }),
    ).toEqual({
      port: 0,
      host: '0.0.0.0',
      dbPath: '/var/lib/pilotlight/db.sqlite',
      maxBodyBytes: 1_048_576,
      sqliteSynchronous: 'normal',
      retentionDays: 30,
      rollupRetentionDays: 400,
      auditRetentionDays: 730,
      alertsConfigFile: 'pilotlight.config.yaml',
      metricsMaxModels: 20,
      databaseUrl: 'postgres://pilotlight@db.internal:5432/pilotlight',
      databasePoolSize: 20,
      databaseSchema: 'telemetry',
    });
  });

  it.each([
    ['PILOTLIGHT_PORT', 'http'],
    ['PILOTLIGHT_PORT', '70000'],
    ['PILOTLIGHT_PORT', '-1'],
    ['PILOTLIGHT_MAX_BODY_BYTES', '10'],
    ['PILOTLIGHT_MAX_BODY_BYTES', '1e6'],
    ['PILOTLIGHT_SQLITE_SYNCHRONOUS', 'off'],
    ['PILOTLIGHT_RETENTION_DAYS', '0'],
    ['PILOTLIGHT_RETENTION_DAYS', 'ten'],
    ['PILOTLIGHT_ROLLUP_RETENTION_DAYS', '-5'],
    ['PILOTLIGHT_AUDIT_RETENTION_DAYS', '1.5'],
  ])('names %s=%s as invalid', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.variables).toEqual([name]);
    expect(error.message).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('refuses rollups kept for less time than the calls they summarise', () => {
    const error = configError({
      PILOTLIGHT_RETENTION_DAYS: '90',
      PILOTLIGHT_ROLLUP_RETENTION_DAYS: '30',
    });
    expect(error.variables).toEqual(['PILOTLIGHT_ROLLUP_RETENTION_DAYS']);
    expect(error.message).toContain('at least PILOTLIGHT_RETENTION_DAYS');
  });

  it('names every bad variable at once', () => {
    const error = configError({ PILOTLIGHT_PORT: 'x', PILOTLIGHT_SQLITE_SYNCHRONOUS: 'sometimes' });
    expect(error.variables.sort()).toEqual(['PILOTLIGHT_PORT', 'PILOTLIGHT_SQLITE_SYNCHRONOUS']);
  });
});

describe('findDefaultConfigFile', () => {
  it('finds pilotlight.config.json before .yaml and .yml in the directory, or nothing', () => {
    const tmp = tempDir();
    try {
      expect(findDefaultConfigFile(tmp.dir)).toBeNull();
      writeFileSync(path.join(tmp.dir, 'pilotlight.config.yml'), 'rules: []\n');
      expect(findDefaultConfigFile(tmp.dir)).toBe(path.join(tmp.dir, 'pilotlight.config.yml'));
      writeFileSync(path.join(tmp.dir, 'pilotlight.config.json'), '{"rules": []}');
      expect(findDefaultConfigFile(tmp.dir)).toBe(path.join(tmp.dir, 'pilotlight.config.json'));
    } finally {
      tmp.remove();
    }
  });
});

describe('pilotlight serve', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('refuses to start on a bad value, naming the variable', { timeout: 60_000 }, async () => {
    const child = spawnCollector({
      PILOTLIGHT_PORT: 'not-a-port',
      PILOTLIGHT_DB: path.join(tmp.dir, 'x.db'),
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (c) => resolve(c)),
    );
    expect(code).toBe(78);
    expect(stderr).toContain('PILOTLIGHT_PORT="not-a-port"');
    expect(stderr).toContain('expected a non-negative integer');
  });

  it('prints its URL and absolute database path, serves, and stops on SIGINT', {
    timeout: 60_000,
  }, async () => {
    const collector = await startChildCollector({
      PILOTLIGHT_DB: path.join(tmp.dir, 'nested', 'serve.db'),
    });
    expect(collector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(collector.dbPath).toBe(path.join(tmp.dir, 'nested', 'serve.db'));
    expect(await getJson(`${collector.url}/healthz`)).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    collector.child.kill('SIGINT');
    expect(await collector.exited).toEqual({ code: 0, signal: null });
  });
});
