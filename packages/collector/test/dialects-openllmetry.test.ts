// OpenLLMetry end to end: @traceloop/node-server-sdk instruments the real `openai`
// client, calls go to the local mock model server, and its spans travel through the
// official OTLP exporters (JSON and protobuf) into two real collectors, read back
// from the query API.
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_REQUEST,
  type CollectorPair,
  ENCODINGS,
  EXPECTED_INPUT,
  expectCanonical,
  outcomeOf,
  startCollectorPair,
  traceSpans,
} from './dialects-harness.js';
import { listAll } from './helpers.js';

let pair: CollectorPair;
let mock: MockModelServer;
let client: OpenAI;

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  traceloop.initialize({
    appName: 'openllmetry-app',
    exporter: pair.exporter,
    disableBatch: true,
    instrumentModules: { openAI: OpenAI },
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
  });
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  await traceloop.forceFlush();
  await mock.close();
  await pair.stop();
});

/** The one stored span whose response id is `responseId`, identical in both collectors. */
async function storedCall(responseId: string) {
  await traceloop.forceFlush();
  const found = await Promise.all(
    ENCODINGS.map(async (e) => {
      const calls = (await listAll(pair[e].url)).filter((s) => s.responseId === responseId);
      expect(calls, `${e} collector`).toHaveLength(1);
      const [call] = calls;
      if (!call) throw new Error('no call');
      // The same record through GET /api/traces/:id.
      expect(await traceSpans(pair[e], call.traceId)).toContainEqual(call);
      return call;
    }),
  );
  const [json, protobuf] = found;
  expect(protobuf).toEqual(json);
  return json!;
}

describe('OpenLLMetry (@traceloop/node-server-sdk on the real openai client) into the collector', () => {
  it('stores a chat completion with the canonical fields, over JSON and protobuf alike', async () => {
    const response = await client.chat.completions.create(CHAT_REQUEST);
    const call = await storedCall(response.id);
    expectCanonical(call, outcomeOf(response), { sourceDialect: 'openllmetry' });
    expect(call).toMatchObject({ responseId: response.id, serviceName: 'openllmetry-app' });
    expect(call.warnings).toEqual([]);
    // Every attribute is kept as sent, mapped or not, resource attributes under `resource.`.
    expect(call.attributes).toMatchObject({
      'gen_ai.usage.total_tokens': response.usage?.total_tokens,
      'gen_ai.response.id': response.id,
      'resource.service.name': 'openllmetry-app',
      'resource.process.runtime.name': 'nodejs',
    });
  });

  it('stores a streamed chat completion with its prompt and assembled output', async () => {
    const stream = await client.chat.completions.create({
      ...CHAT_REQUEST,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let id = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      id = chunk.id;
    }
    const call = await storedCall(id);
    expect(call).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      sourceDialect: 'openllmetry',
      finishReasons: ['stop'],
      input: EXPECTED_INPUT,
      output: [
        { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
      ],
      // No TTFT attribute in this dialect: unknown, not invented.
      ttftMs: null,
    });
    // For streams, OpenLLMetry JS counts tokens itself (js-tiktoken; TRACELOOP_ENRICH_TOKENS
    // defaults to true) instead of reading the usage chunk, and the span does not say so:
    // the record keeps the counts it was sent, and prices them.
    expect(call.inputTokens).toBe(call.attributes['gen_ai.usage.input_tokens']);
    expect(call.outputTokens).toBe(call.attributes['gen_ai.usage.output_tokens']);
    expect(call.costSource).toBe('collector');
  });
});
