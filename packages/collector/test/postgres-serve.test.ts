// `PILOTLIGHT_DATABASE_URL` selects PostgreSQL: the same collector, ingest and queries,
// with /readyz telling a load balancer whether the database answers.

import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { type CollectorHandle, startCollector } from '../src/start.js';
import { getJson, hexId, otlpJson, postJson } from './helpers.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from './postgres-fixture.js';

const schema = uniqueSchema();
let collector: CollectorHandle;

beforeAll(async () => {
  collector = await startCollector({
    dbPath: '',
    databaseUrl: TEST_DATABASE_URL,
    databaseSchema: schema,
    databasePoolSize: 4,
    port: 0,
  });
});

afterAll(async () => {
  await collector?.close();
  await dropSchema(schema);
});

describe('collector on PostgreSQL', () => {
  it('stores ingested spans in PostgreSQL and serves them back', async () => {
    const traceId = hexId(16);
    const startMs = Date.now() - 1_000;
    const spans = [1, 2, 3].map((i) => ({
      traceId,
      spanId: hexId(8),
      name: `chat gpt-4o #${i}`,
      startMs: startMs + i,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 20,
      },
    }));
    const sent = await postJson(collector.url, otlpJson(spans));
    expect(sent.status).toBe(200);
    // Resent byte for byte (as exporters retry): still stored once.
    expect((await postJson(collector.url, otlpJson(spans))).status).toBe(200);

    const { status, body } = await getJson<{ data: CallRecord[] }>(
      `${collector.url}/api/spans?traceId=${traceId}`,
    );
    expect(status).toBe(200);
    expect(body.data).toHaveLength(3);
    for (const call of body.data) {
      expect(call.model).toBe('gpt-4o');
      expect(call.inputTokens).toBe(100);
      expect(call.costSource).toBe('collector');
      expect(call.costUsd).toBeGreaterThan(0);
    }
  });

  it('is ready while the database answers, and names it without a password', async () => {
    const ready = await fetch(`${collector.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(collector.database).toContain('127.0.0.1:5432');
    expect(collector.dbPath).toBe('');
  });

  it('hides the password when it names the database', async () => {
    const other = await startCollector({
      dbPath: '',
      databaseUrl: TEST_DATABASE_URL.replace('postgres@', 'postgres:secret-pw@'),
      databaseSchema: schema,
      port: 0,
      driftAndAlerts: false,
    }).catch((error: unknown) => error);
    // Trust auth ignores the password, so the collector starts.
    expect(other).not.toBeInstanceOf(Error);
    const handle = other as CollectorHandle;
    expect(handle.database).not.toContain('secret-pw');
    expect(handle.database).toContain('***');
    await handle.close();
  });
});

describe('PILOTLIGHT_DATABASE_URL', () => {
  it('selects PostgreSQL and rejects anything that is not a postgres URL, naming the variable', () => {
    expect(parseConfig({ PILOTLIGHT_DATABASE_URL: TEST_DATABASE_URL }).databaseUrl).toBe(
      TEST_DATABASE_URL,
    );
    expect(parseConfig({}).databaseUrl).toBeNull();
    expect(() => parseConfig({ PILOTLIGHT_DATABASE_URL: 'mysql://x' })).toThrow(
      /PILOTLIGHT_DATABASE_URL/,
    );
    expect(() => parseConfig({ PILOTLIGHT_DATABASE_SCHEMA: 'Bad-Schema' })).toThrow(
      /PILOTLIGHT_DATABASE_SCHEMA/,
    );
  });
});
