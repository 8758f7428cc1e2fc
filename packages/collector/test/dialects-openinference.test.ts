// OpenInference end to end: @arizeai/openinference-instrumentation-openai on the real
// `openai` client against the local mock model server; its spans go through the
// official OTLP exporters (JSON and protobuf) into two real collectors, read back from
// the query API.
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_REQUEST,
  type CollectorPair,
  ENCODINGS,
  EXPECTED_INPUT,
  expectCanonical,
  outcomeOf,
  QUESTION,
  startCollectorPair,
  traceSpans,
} from './dialects-harness.js';
import { listAll } from './helpers.js';

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
let instrumentation: OpenAIInstrumentation;
let client: OpenAI;

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'openinference-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
  // Patches the client class's prototype: `OpenAI` is its own `OpenAI` export.
  instrumentation.manuallyInstrument(OpenAI);
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  instrumentation.disable();
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

/** The one LLM span stored since `before`, identical in both collectors. */
async function lastCall(before: Set<string>) {
  await provider.forceFlush();
  const found = await Promise.all(
    ENCODINGS.map(async (e) => {
      const calls = (await listAll(pair[e].url)).filter((s) => !before.has(s.spanId));
      expect(calls, `${e} collector`).toHaveLength(1);
      const [call] = calls;
      if (!call) throw new Error('no call');
      expect(await traceSpans(pair[e], call.traceId)).toContainEqual(call);
      return call;
    }),
  );
  expect(found[1]).toEqual(found[0]);
  return found[0]!;
}

const seen = async () => new Set((await listAll(pair.json.url)).map((s) => s.spanId));

describe('OpenInference (@arizeai/openinference-instrumentation-openai) into the collector', () => {
  it('stores a chat completion with the canonical fields, over JSON and protobuf alike', async () => {
    const before = await seen();
    const response = await client.chat.completions.create(CHAT_REQUEST);
    const call = await lastCall(before);
    expectCanonical(call, outcomeOf(response), { sourceDialect: 'openinference' });
    expect(call.serviceName).toBe('openinference-app');
    expect(call.warnings).toEqual([]);
    // The mock reports no cached tokens for this request: zero, priced at the full rate.
    expect(call.cacheReadInputTokens ?? 0).toBe(0);
    // Attributes are kept as sent, mapped or not.
    expect(call.attributes).toMatchObject({
      'openinference.span.kind': 'LLM',
      'llm.model_name': response.model,
      'llm.token_count.total': response.usage?.total_tokens,
      'llm.input_messages.1.message.content': QUESTION,
    });
    expect(typeof call.attributes['llm.invocation_parameters']).toBe('string');
  });

  it('stores a streamed chat completion with its prompt and assembled output', async () => {
    const before = await seen();
    const stream = await client.chat.completions.create({
      ...CHAT_REQUEST,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    const call = await lastCall(before);
    expect(call).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      sourceDialect: 'openinference',
      finishReasons: ['stop'],
      input: EXPECTED_INPUT,
      output: [
        { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
      ],
      // OpenInference sends no time to first token: unknown, not invented.
      ttftMs: null,
    });
  });
});
