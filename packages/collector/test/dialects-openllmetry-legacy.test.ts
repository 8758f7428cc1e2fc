// OpenLLMetry's flattened layout end to end: @traceloop/instrumentation-openai 0.22
// (gen_ai.prompt.N.* / gen_ai.completion.N.*, gen_ai.system, llm.* usage) on the real
// `openai` client against the mock model server, over OTLP JSON and protobuf into two
// real collectors, read back from the query API: the same canonical record as the
// current release gives (dialects-openllmetry.test.ts).
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { OpenAIInstrumentation } from 'traceloop-instrumentation-openai-0.22';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_REQUEST,
  type CollectorPair,
  expectCanonical,
  outcomeOf,
  QUESTION,
  SYSTEM,
  startCollectorPair,
  storedIds,
  storedSince,
} from './dialects-harness.js';

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
const instrumentation = new OpenAIInstrumentation({ traceContent: true });
let client: OpenAI;

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'openllmetry-legacy-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  instrumentation.disable();
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

describe('OpenLLMetry 0.22 (flattened gen_ai.prompt.N / gen_ai.completion.N) into the collector', () => {
  it('stores a chat completion with the canonical fields, over JSON and protobuf alike', async () => {
    const before = await storedIds(pair);
    const response = await client.chat.completions.create(CHAT_REQUEST);
    await provider.forceFlush();
    const [call, ...others] = await storedSince(pair, before);
    expect(others).toEqual([]);
    if (!call) throw new Error('no call stored');
    expectCanonical(call, outcomeOf(response), { sourceDialect: 'openllmetry' });
    // This release sends no response id: unknown, not invented.
    expect(call).toMatchObject({ responseId: null, warnings: [] });
    // The flattened attributes are kept as they came.
    expect(call.attributes).toMatchObject({
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': SYSTEM,
      'gen_ai.prompt.1.content': QUESTION,
      'llm.usage.total_tokens': response.usage?.total_tokens,
    });
  });
});
