// Real Vercel AI SDK spans: `ai` (v6) with `experimental_telemetry` and the
// @ai-sdk/openai chat provider, against the local mock model server.
import { createOpenAI } from '@ai-sdk/openai';
import { startMockModelServer } from '@pilotlight/mock-model-server';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCostUsd, createPriceBook, normalizeSpan, type SpanInput } from '../src/index.js';
import { EXPECTED_INPUT, memoryTracing, QUESTION, SYSTEM, toSpanInput } from './fixtures/otel.js';

const { provider, exporter } = memoryTracing();
const telemetry = { isEnabled: true, tracer: provider.getTracer('ai') };
let mock: Awaited<ReturnType<typeof startMockModelServer>>;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  mock = await startMockModelServer();
  openai = createOpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test' });
});

afterAll(async () => {
  await mock.close();
  await provider.shutdown();
});

function spansByOperation(): Map<string, SpanInput> {
  const spans = new Map<string, SpanInput>();
  for (const span of exporter.getFinishedSpans()) {
    spans.set(String(span.attributes['ai.operationId']), toSpanInput(span));
  }
  exporter.reset();
  return spans;
}

const request = {
  system: SYSTEM,
  prompt: QUESTION,
  // The mock reports 80% of the prompt as cached for this user.
  providerOptions: { openai: { user: 'cache-hit' } },
  experimental_telemetry: telemetry,
};

describe('Vercel AI SDK (ai v6 telemetry), real spans', () => {
  it('normalises the provider call to the canonical fields, cache reads at the cached rate', async () => {
    const result = await generateText({ model: openai.chat('gpt-4o-mini'), ...request });
    const usage = result.usage;
    const cached = usage.inputTokenDetails.cacheReadTokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const spans = spansByOperation();
    const call = normalizeSpan(spans.get('ai.generateText.doGenerate') as SpanInput);
    expect(call).toMatchObject({
      sourceDialect: 'vercel-ai',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      responseModel: result.response.modelId,
      responseId: result.response.id,
      finishReasons: ['stop'],
      inputTokens: usage.inputTokens,
      cacheReadInputTokens: cached,
      outputTokens: usage.outputTokens,
      warnings: [],
    });
    expect(call.input).toEqual(EXPECTED_INPUT);
    expect(call.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: result.text }], finish_reason: 'stop' },
    ]);
    const uncached = (usage.inputTokens ?? 0) - cached;
    expect(computeCostUsd(createPriceBook().find(call.model ?? ''), call)).toBeCloseTo(
      (uncached * 0.15 + cached * 0.075 + (usage.outputTokens ?? 0) * 0.6) / 1e6,
      15,
    );

    // The generateText span wraps the call and repeats its usage: shown, never counted.
    const wrapper = normalizeSpan(spans.get('ai.generateText') as SpanInput);
    expect(wrapper).toMatchObject({
      sourceDialect: 'vercel-ai',
      operation: null,
      model: 'gpt-4o-mini',
      inputTokens: null,
      outputTokens: null,
      input: EXPECTED_INPUT,
      output: call.output,
      warnings: [],
    });
  });

  it('reads the time to first chunk of a streamed call', async () => {
    const result = streamText({ model: openai.chat('gpt-4o-mini'), ...request });
    const text = await result.text;
    await result.totalUsage;
    const span = spansByOperation().get('ai.streamText.doStream') as SpanInput;
    const sent = span.attributes['ai.response.msToFirstChunk'];
    expect(typeof sent).toBe('number');
    const fields = normalizeSpan(span);
    expect(fields).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      ttftMs: sent,
      finishReasons: ['stop'],
      warnings: [],
    });
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
  });
});
