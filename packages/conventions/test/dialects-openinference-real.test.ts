// Real OpenInference spans: @arizeai/openinference-instrumentation-openai on the
// real `openai` client, against the local mock model server.
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCostUsd, createPriceBook, normalizeSpan } from '../src/index.js';
import {
  CHAT_REQUEST,
  EXPECTED_INPUT,
  expectedFields,
  memoryTracing,
  QUESTION,
  SYSTEM,
  toSpanInput,
} from './fixtures/otel.js';

const { provider, exporter } = memoryTracing();
const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
let mock: Awaited<ReturnType<typeof startMockModelServer>>;
let client: OpenAI;

beforeAll(async () => {
  // Patches OpenAI.OpenAI.Chat.Completions.prototype: the class is its own `OpenAI` export.
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
  expect(span.attributes['openinference.span.kind']).toBe('LLM');
  return toSpanInput(span);
}

describe('OpenInference (@arizeai/openinference-instrumentation-openai), real spans', () => {
  it('normalises a chat completion, 80% cache reads priced at the cached rate', async () => {
    const response = await client.chat.completions.create(CHAT_REQUEST);
    const usage = response.usage;
    const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const fields = normalizeSpan(onlySpan());
    const expected = expectedFields(response);
    expect(fields).toMatchObject({
      ...expected,
      // No attribute of its own: read from the response body in output.value.
      responseId: response.id,
      cacheReadInputTokens: cached,
      sourceDialect: 'openinference',
      warnings: [],
    });
    expect(fields.input).toEqual(expected.input);
    expect(fields.output).toEqual(expected.output);
    const price = createPriceBook().find(fields.model ?? '');
    // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million tokens.
    const uncached = (usage?.prompt_tokens ?? 0) - cached;
    expect(computeCostUsd(price, fields)).toBeCloseTo(
      (uncached * 0.15 + cached * 0.075 + (usage?.completion_tokens ?? 0) * 0.6) / 1e6,
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
    let outputTokens: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      outputTokens = chunk.usage?.completion_tokens ?? outputTokens;
    }
    const fields = normalizeSpan(onlySpan());
    expect(fields).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      sourceDialect: 'openinference',
      finishReasons: ['stop'],
      warnings: [],
    });
    expect(fields.input).toEqual(EXPECTED_INPUT);
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
    // This release records no usage for streams: the counts stay unknown, never invented.
    expect(outputTokens).toBeGreaterThan(0);
    expect(fields.outputTokens).toBeNull();
  });

  it('normalises a Responses API call: output_text contents, cache reads, response id', async () => {
    const response = await client.responses.create({
      model: 'gpt-4o-mini',
      instructions: SYSTEM,
      input: QUESTION,
      prompt_cache_key: 'cache-hit',
    });
    const usage = response.usage;
    const cached = usage?.input_tokens_details.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const fields = normalizeSpan(onlySpan());
    expect(fields).toMatchObject({
      sourceDialect: 'openinference',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      responseModel: response.model,
      responseId: response.id,
      inputTokens: usage?.input_tokens,
      outputTokens: usage?.output_tokens,
      cacheReadInputTokens: cached,
      warnings: [],
    });
    expect(fields.input).toEqual(EXPECTED_INPUT);
    // The Responses API's output_text parts are text like any other.
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: response.output_text }] },
    ]);
  });
});
