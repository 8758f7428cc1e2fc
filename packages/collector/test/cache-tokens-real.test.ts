// Cache reads priced at the cached rate, end to end with real instrumentations: a call
// whose 1,000 input tokens include 800 cache reads, made by the real `openai` and
// `@anthropic-ai/sdk` clients against the mock model server, traced by OpenInference,
// OpenLLMetry (Traceloop's Anthropic instrumentation) and the Anthropic SDK's own GenAI
// spans, exported over OTLP JSON and protobuf to two real collectors that price it.
// OpenAI counts cache reads inside prompt_tokens; Anthropic reports input_tokens as
// the uncached rest: either way the record must say 1,000 input tokens, 800 cached.
import * as AnthropicModule from '@anthropic-ai/sdk';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '@pilotlight/conventions';
import {
  ANTHROPIC_CACHE_READ_USER,
  type MockModelServer,
  startMockModelServer,
} from '@pilotlight/mock-model-server';
import { AnthropicInstrumentation } from '@traceloop/instrumentation-anthropic';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHED_PROMPT,
  type CollectorPair,
  GPT_4O_MINI,
  startCollectorPair,
  storedIds,
  storedSince,
} from './dialects-harness.js';

const Anthropic = AnthropicModule.default;

/** claude-haiku-4-5 per million tokens in the conventions' price table (dated 2025-10-15). */
const CLAUDE_HAIKU_4_5 = { input: 1, cachedInput: 0.1, output: 5 } as const;

/** 200 uncached input tokens at the input rate, 800 at the cached rate, and the output. */
const priceOf = (
  rates: { input: number; cachedInput: number; output: number },
  outputTokens: number,
) => (200 * rates.input + 800 * rates.cachedInput + outputTokens * rates.output) / 1e6;

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
let openinference: OpenAIInstrumentation;
let traceloopAnthropic: AnthropicInstrumentation;

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cache-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  openinference = new OpenAIInstrumentation({ tracerProvider: provider });
  openinference.manuallyInstrument(OpenAI);
  traceloopAnthropic = new AnthropicInstrumentation({ traceContent: true });
  traceloopAnthropic.setTracerProvider(provider);
  // Patches the module's Anthropic.Messages prototype (it reads `module.Anthropic`).
  traceloopAnthropic.manuallyInstrument(AnthropicModule as never);
});

afterAll(async () => {
  openinference.disable();
  traceloopAnthropic.disable();
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

function expectCachedCall(record: CallRecord | undefined, outputTokens: number, price: number) {
  expect(record).toMatchObject({
    inputTokens: CACHED_PROMPT.inputTokens,
    cacheReadInputTokens: CACHED_PROMPT.cacheReadTokens,
    outputTokens,
    costSource: 'collector',
    warnings: [],
  });
  expect(record?.costUsd).toBeCloseTo(price, 15);
}

describe('cache reads priced at the cached rate, real instrumentations through the collector', () => {
  it('OpenInference on the openai client: llm.token_count.prompt_details.cache_read', async () => {
    const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
    const before = await storedIds(pair);
    const response = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: CACHED_PROMPT.system },
        { role: 'user', content: CACHED_PROMPT.question },
      ],
      user: 'cache-hit',
    });
    // The server's own count: 1,000 prompt tokens, 800 of them cached.
    expect(response.usage?.prompt_tokens).toBe(1000);
    expect(response.usage?.prompt_tokens_details?.cached_tokens).toBe(800);
    const outputTokens = response.usage?.completion_tokens ?? 0;
    await provider.forceFlush();
    const [call, ...others] = await storedSince(pair, before);
    expect(others).toEqual([]);
    expect(call).toMatchObject({ sourceDialect: 'openinference', model: 'gpt-4o-mini' });
    expect(call?.attributes['llm.token_count.prompt_details.cache_read']).toBe(800);
    expectCachedCall(call, outputTokens, priceOf(GPT_4O_MINI, outputTokens));
  });

  it('one Anthropic message traced by OpenLLMetry and by the SDK itself: the same priced record', async () => {
    const client = new Anthropic({
      baseURL: mock.anthropicBaseURL,
      apiKey: 'test',
      maxRetries: 0,
      openTelemetry: { tracerProvider: provider, traces: { contentMode: 'content' } },
    });
    const before = await storedIds(pair);
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 2000,
      system: CACHED_PROMPT.system,
      messages: [{ role: 'user', content: CACHED_PROMPT.question }],
      metadata: { user_id: ANTHROPIC_CACHE_READ_USER },
    });
    // Anthropic's own count: input_tokens is the uncached rest.
    expect(message.usage).toMatchObject({ input_tokens: 200, cache_read_input_tokens: 800 });
    const outputTokens = message.usage.output_tokens;
    await provider.forceFlush();
    const stored = await storedSince(pair, before);
    const bySource = new Map(stored.map((r) => [r.sourceDialect, r]));
    expect([...bySource.keys()].sort()).toEqual(['openllmetry', 'otel-genai']);
    const price = priceOf(CLAUDE_HAIKU_4_5, outputTokens);

    // @traceloop/instrumentation-anthropic sends input_tokens = 200 with the semconv
    // cache name: the collector adds the 800 back.
    const traceloop = bySource.get('openllmetry');
    expect(traceloop?.attributes['gen_ai.usage.input_tokens']).toBe(200);
    expectCachedCall(traceloop, outputTokens, price);
    // @anthropic-ai/sdk's own spans follow the conventions: 1,000 inside.
    const native = bySource.get('otel-genai');
    expectCachedCall(native, outputTokens, price);
    for (const record of [traceloop, native]) {
      expect(record).toMatchObject({
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        operation: 'chat',
      });
    }
  });
});
