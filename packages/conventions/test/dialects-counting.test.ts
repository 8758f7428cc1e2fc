// Cases found by sending real and hand-built spans through the collector: Anthropic's
// uncached input count under cache names that mean "inside", and <= 1.26 spans that
// predate gen_ai.operation.name.
import { describe, expect, it } from 'vitest';
import { computeCostUsd, createPriceBook, normalizeSpan } from '../src/index.js';
import { span } from './fixtures/spans.js';

// claude-sonnet-4-5: $3 input, $0.30 cache read, $15 output per million tokens.
const sonnetCost = (uncached: number, cacheRead: number, output: number) =>
  (uncached * 3 + cacheRead * 0.3 + output * 15) / 1e6;

/** What @traceloop/instrumentation-anthropic 0.27 sets for a message (seen on real spans). */
const traceloopAnthropic = (uncached: number, cacheRead: number) =>
  span(
    {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.total_tokens': uncached + 7,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.input_tokens': uncached,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'gen_ai.usage.cache_read.input_tokens': cacheRead,
    },
    { scopeName: '@traceloop/instrumentation-anthropic', name: 'anthropic.chat' },
  );

describe('OpenLLMetry JS Anthropic spans: input_tokens without the cache reads', () => {
  it.each([
    [700, 300],
    [200, 800],
  ])('%i uncached + %i cache reads: 1,000 input tokens, no warning', (uncached, cacheRead) => {
    const fields = normalizeSpan(traceloopAnthropic(uncached, cacheRead));
    expect(fields).toMatchObject({
      sourceDialect: 'openllmetry',
      inputTokens: 1000,
      cacheReadInputTokens: cacheRead,
      outputTokens: 7,
      warnings: [],
    });
    const price = createPriceBook().find(fields.model ?? '');
    expect(computeCostUsd(price, fields)).toBeCloseTo(sonnetCost(uncached, cacheRead, 7), 15);
  });

  it('a semconv span from elsewhere keeps the spec: cache reads are inside input_tokens', () => {
    const { scopeName: _, ...rest } = traceloopAnthropic(1000, 300);
    const fields = normalizeSpan({ ...rest, scopeName: 'some-genai-instrumentation' });
    expect(fields).toMatchObject({
      sourceDialect: 'otel-genai',
      inputTokens: 1000,
      cacheReadInputTokens: 300,
      warnings: [],
    });
  });
});

describe('Vercel AI SDK 5 on Anthropic: ai.usage.inputTokens is the uncached rest', () => {
  const vercel = (usage: Record<string, number>) =>
    span(
      {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'claude-sonnet-4-5',
        'ai.model.provider': 'anthropic.messages',
        'ai.response.finishReason': 'stop',
        'ai.response.text': 'Paris.',
        'ai.usage.outputTokens': 7,
        ...usage,
      },
      { name: 'ai.generateText.doGenerate' },
    );

  it('adds the cache reads to the input count (AI SDK 5)', () => {
    const fields = normalizeSpan(
      vercel({
        'ai.usage.inputTokens': 700,
        'ai.usage.cachedInputTokens': 300,
        'ai.usage.totalTokens': 707,
      }),
    );
    expect(fields).toMatchObject({
      sourceDialect: 'vercel-ai',
      provider: 'anthropic',
      inputTokens: 1000,
      cacheReadInputTokens: 300,
      warnings: [],
    });
    const price = createPriceBook().find(fields.model ?? '');
    expect(computeCostUsd(price, fields)).toBeCloseTo(sonnetCost(700, 300, 7), 15);
  });

  it('takes the exact breakdown of AI SDK 6 as it is', () => {
    const fields = normalizeSpan(
      vercel({
        'ai.usage.inputTokens': 1000,
        'ai.usage.inputTokenDetails.noCacheTokens': 700,
        'ai.usage.inputTokenDetails.cacheReadTokens': 300,
        'ai.usage.cachedInputTokens': 300,
        'ai.usage.totalTokens': 1007,
      }),
    );
    expect(fields).toMatchObject({ inputTokens: 1000, cacheReadInputTokens: 300, warnings: [] });
  });
});

describe('semconv <= 1.26 spans without gen_ai.operation.name', () => {
  const legacy = (name: string) =>
    span(
      {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.prompt_tokens': 9,
        'gen_ai.usage.completion_tokens': 7,
      },
      { name },
    );

  it.each([
    ['chat gpt-4o-mini', 'chat'],
    ['embeddings text-embedding-3-small', 'embeddings'],
    ['text_completion gpt-3.5-turbo-instruct', 'text_completion'],
  ])('reads the operation from the span name %j', (name, operation) => {
    expect(normalizeSpan(legacy(name))).toMatchObject({
      sourceDialect: 'otel-genai-legacy',
      operation,
      warnings: [],
    });
  });

  it('leaves it unknown when the name does not start with one', () => {
    expect(normalizeSpan(legacy('chatbot reply')).operation).toBeNull();
    expect(normalizeSpan(legacy('openai.chat')).operation).toBeNull();
  });

  it('never overrides gen_ai.operation.name', () => {
    const s = legacy('chat gpt-4o-mini');
    s.attributes['gen_ai.operation.name'] = 'text_completion';
    expect(normalizeSpan(s).operation).toBe('text_completion');
  });
});
