// Real semconv >= 1.37 spans: @anthropic-ai/sdk's own OpenTelemetry tracing (content
// mode) on the real client, against the local mock model server. Anthropic reports
// cache reads and writes apart from input_tokens; the SDK's spans count them inside
// gen_ai.usage.input_tokens, as the conventions say, and so must the canonical record.
import Anthropic from '@anthropic-ai/sdk';
import {
  ANTHROPIC_CACHE_READ_USER,
  ANTHROPIC_CACHE_WRITE_USER,
  startMockModelServer,
} from '@pilotlight/mock-model-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCostUsd, createPriceBook, normalizeSpan } from '../src/index.js';
import { EXPECTED_INPUT, memoryTracing, QUESTION, SYSTEM, toSpanInput } from './fixtures/otel.js';

const { provider, exporter } = memoryTracing();
let mock: Awaited<ReturnType<typeof startMockModelServer>>;
let client: Anthropic;

beforeAll(async () => {
  mock = await startMockModelServer();
  client = new Anthropic({
    baseURL: mock.anthropicBaseURL,
    apiKey: 'test',
    maxRetries: 0,
    openTelemetry: { tracerProvider: provider, traces: { contentMode: 'content' } },
  });
});

afterAll(async () => {
  await mock.close();
  await provider.shutdown();
});

function onlySpan() {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  exporter.reset();
  const [span] = spans;
  if (!span) throw new Error('no span');
  return toSpanInput(span);
}

const ask = (userId: string) =>
  client.messages.create({
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    system: SYSTEM,
    messages: [{ role: 'user', content: QUESTION }],
    metadata: { user_id: userId },
  });

describe('@anthropic-ai/sdk native GenAI spans (semconv >= 1.37), real spans', () => {
  it('normalises a message with cache reads, priced at the cached rate', async () => {
    const message = await ask(ANTHROPIC_CACHE_READ_USER);
    const { input_tokens, cache_read_input_tokens, output_tokens } = message.usage;
    const cacheRead = cache_read_input_tokens ?? 0;
    expect(cacheRead).toBeGreaterThan(0);
    const text = message.content[0]?.type === 'text' ? message.content[0].text : '';
    const fields = normalizeSpan(onlySpan());
    expect(fields).toMatchObject({
      sourceDialect: 'otel-genai',
      operation: 'chat',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      responseModel: message.model,
      responseId: message.id,
      finishReasons: ['stop'],
      inputTokens: input_tokens + cacheRead,
      cacheReadInputTokens: cacheRead,
      outputTokens: output_tokens,
      warnings: [],
    });
    expect(fields.input).toEqual(EXPECTED_INPUT);
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
    // claude-sonnet-4-5: $3 input, $0.30 cache read, $15 output per million tokens.
    expect(computeCostUsd(createPriceBook().find(fields.model ?? ''), fields)).toBeCloseTo(
      (input_tokens * 3 + cacheRead * 0.3 + output_tokens * 15) / 1e6,
      15,
    );
  });

  it('normalises a message with cache writes, priced at the cache-write rate', async () => {
    const message = await ask(ANTHROPIC_CACHE_WRITE_USER);
    const { input_tokens, cache_creation_input_tokens, output_tokens } = message.usage;
    const cacheWrite = cache_creation_input_tokens ?? 0;
    expect(cacheWrite).toBeGreaterThan(0);
    const fields = normalizeSpan(onlySpan());
    expect(fields).toMatchObject({
      inputTokens: input_tokens + cacheWrite,
      cacheCreationInputTokens: cacheWrite,
      outputTokens: output_tokens,
      warnings: [],
    });
    // $3.75 per million for 5-minute cache writes.
    expect(computeCostUsd(createPriceBook().find(fields.model ?? ''), fields)).toBeCloseTo(
      (input_tokens * 3 + cacheWrite * 3.75 + output_tokens * 15) / 1e6,
      15,
    );
  });

  it('reads the time to first chunk of a streamed message, sent in seconds', async () => {
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
    });
    for await (const _event of stream) {
      // drain
    }
    const span = onlySpan();
    const sent = span.attributes['gen_ai.response.time_to_first_chunk'];
    expect(typeof sent).toBe('number');
    const fields = normalizeSpan(span);
    expect(fields.ttftMs).toBeCloseTo((sent as number) * 1000, 9);
    expect(fields).toMatchObject({ provider: 'anthropic', finishReasons: ['stop'], warnings: [] });
  });
});
