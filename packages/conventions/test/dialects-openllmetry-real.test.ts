// Real OpenLLMetry spans: @traceloop/instrumentation-openai on the real `openai`
// client, against the local mock model server.
import { startMockModelServer } from '@pilotlight/mock-model-server';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCostUsd, createPriceBook, normalizeSpan } from '../src/index.js';
import {
  CHAT_REQUEST,
  EXPECTED_INPUT,
  expectedFields,
  memoryTracing,
  toSpanInput,
} from './fixtures/otel.js';

const { provider, exporter } = memoryTracing();
const instrumentation = new OpenAIInstrumentation({ traceContent: true });
let mock: Awaited<ReturnType<typeof startMockModelServer>>;
let client: OpenAI;

beforeAll(async () => {
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
  mock = await startMockModelServer();
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  instrumentation.disable();
  await mock.close();
  await provider.shutdown();
});

function onlySpan() {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  exporter.reset();
  const [span] = spans;
  if (!span) throw new Error('no span');
  expect(span.instrumentationScope.name).toBe('@traceloop/instrumentation-openai');
  return toSpanInput(span);
}

describe('OpenLLMetry (@traceloop/instrumentation-openai), real spans', () => {
  it('normalises a chat completion to the canonical fields', async () => {
    const response = await client.chat.completions.create(CHAT_REQUEST);
    const fields = normalizeSpan(onlySpan());
    const expected = expectedFields(response);
    expect(fields).toMatchObject({
      ...expected,
      responseId: response.id,
      sourceDialect: 'openllmetry',
      warnings: [],
    });
    expect(fields.input).toEqual(expected.input);
    expect(fields.output).toEqual(expected.output);
    // This release does not report OpenAI's cached tokens, so no cache discount is known.
    expect(fields.cacheReadInputTokens).toBeNull();
    const price = createPriceBook().find(fields.model ?? '');
    expect(computeCostUsd(price, fields)).toBeCloseTo(
      ((response.usage?.prompt_tokens ?? 0) * 0.15 +
        (response.usage?.completion_tokens ?? 0) * 0.6) /
        1e6,
      15,
    );
  });

  it('normalises a streamed chat completion the same way', async () => {
    const stream = await client.chat.completions.create({
      ...CHAT_REQUEST,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    const fields = normalizeSpan(onlySpan());
    expect(fields).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      sourceDialect: 'openllmetry',
      finishReasons: ['stop'],
      warnings: [],
    });
    expect(fields.input).toEqual(EXPECTED_INPUT);
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
    // This release records no usage for streams: the counts stay unknown, never invented.
    expect(fields.inputTokens).toBeNull();
    expect(fields.outputTokens).toBeNull();
  });
});
