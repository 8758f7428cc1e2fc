// Cache reads priced at the cached rate in every layout that carries cache counts, end
// to end: one real OpenAI call and one real Anthropic call to the mock model server, each
// with 1,000 input tokens of which 800 are cache reads, described by hand-built spans the
// way each dialect reports them (inside the input count, or outside it as Anthropic's
// input_tokens is), sent over OTLP JSON and protobuf to two real collectors that price
// them. semconv <= 1.36 has no cache counts, so it is not here.
import Anthropic from '@anthropic-ai/sdk';
import { type Attributes, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ANTHROPIC_CACHE_READ_USER,
  type MockModelServer,
  startMockModelServer,
} from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHED_PROMPT,
  type CollectorPair,
  GPT_4O_MINI,
  startCollectorPair,
  storedBoth,
} from './dialects-harness.js';
import {
  type ObservedCall,
  OPENLLMETRY_FLAT,
  SEMCONV_137,
  type SpanSpec,
  VERCEL_AI,
} from './dialects-spans.js';

/** claude-haiku-4-5 per million tokens in the conventions' price table (dated 2025-10-15). */
const CLAUDE_HAIKU_4_5 = { input: 1, cachedInput: 0.1, output: 5 } as const;

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
/** The OpenAI call: prompt_tokens 1,000 with cached_tokens 800 inside. */
let openaiCall: ObservedCall;
/** The Anthropic call: input_tokens 200 (the uncached rest), cache_read_input_tokens 800. */
let anthropicCall: { uncached: number; cacheRead: number; output: number; text: string };

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cache-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
  const response = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: CACHED_PROMPT.system },
      { role: 'user', content: CACHED_PROMPT.question },
    ],
    user: 'cache-hit',
  });
  openaiCall = {
    responseId: response.id,
    responseModel: response.model,
    text: response.choices[0]?.message.content ?? '',
    promptTokens: response.usage?.prompt_tokens ?? 0,
    completionTokens: response.usage?.completion_tokens ?? 0,
    cachedTokens: response.usage?.prompt_tokens_details?.cached_tokens ?? 0,
    ttftMs: null,
  };
  const anthropic = new Anthropic({
    baseURL: mock.anthropicBaseURL,
    apiKey: 'test',
    maxRetries: 0,
  });
  const message = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 2000,
    system: CACHED_PROMPT.system,
    messages: [{ role: 'user', content: CACHED_PROMPT.question }],
    metadata: { user_id: ANTHROPIC_CACHE_READ_USER },
  });
  const block = message.content[0];
  anthropicCall = {
    uncached: message.usage.input_tokens,
    cacheRead: message.usage.cache_read_input_tokens ?? 0,
    output: message.usage.output_tokens,
    text: block?.type === 'text' ? block.text : '',
  };
});

afterAll(async () => {
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

async function send(spec: SpanSpec) {
  const start = Date.now() - 50;
  const span = provider.getTracer(spec.scope).startSpan(spec.name, {
    kind: SpanKind.CLIENT,
    startTime: start,
    attributes: spec.attributes,
  });
  span.end(start + 40);
  await provider.forceFlush();
  const { traceId, spanId } = span.spanContext();
  return (await storedBoth(pair, traceId, spanId)).json;
}

const spec = (name: string, scope: string, attributes: Attributes): SpanSpec => ({
  name,
  scope,
  attributes,
  events: [],
});

/** Layouts of the OpenAI call (cache reads inside the 1,000 prompt tokens). */
const OPENAI_LAYOUTS: [string, string, () => SpanSpec][] = [
  ['GenAI semconv >= 1.37', 'otel-genai', () => SEMCONV_137.build(openaiCall)],
  [
    'OpenLLMetry (gen_ai.usage.cache_read_input_tokens)',
    'openllmetry',
    () => OPENLLMETRY_FLAT.build(openaiCall),
  ],
  [
    'OpenInference (llm.token_count.prompt_details.cache_read)',
    'openinference',
    () =>
      spec('ChatCompletion', '@arizeai/openinference-instrumentation-openai', {
        'openinference.span.kind': 'LLM',
        'llm.provider': 'openai',
        'llm.system': 'openai',
        'llm.model_name': openaiCall.responseModel,
        'llm.invocation_parameters': JSON.stringify({ model: 'gpt-4o-mini', user: 'cache-hit' }),
        'llm.token_count.prompt': openaiCall.promptTokens,
        'llm.token_count.completion': openaiCall.completionTokens,
        'llm.token_count.total': openaiCall.promptTokens + openaiCall.completionTokens,
        'llm.token_count.prompt_details.cache_read': openaiCall.cachedTokens,
      }),
  ],
  ['Vercel AI SDK 5 (ai.usage.cachedInputTokens)', 'vercel-ai', () => VERCEL_AI.build(openaiCall)],
  [
    'Vercel AI SDK 6 (ai.usage.inputTokenDetails)',
    'vercel-ai',
    () => {
      const s = VERCEL_AI.build(openaiCall);
      const { 'ai.usage.cachedInputTokens': _, ...rest } = s.attributes;
      s.attributes = {
        ...rest,
        'ai.usage.inputTokenDetails.noCacheTokens':
          openaiCall.promptTokens - openaiCall.cachedTokens,
        'ai.usage.inputTokenDetails.cacheReadTokens': openaiCall.cachedTokens,
      };
      return s;
    },
  ],
];

/** Layouts of the Anthropic call (200 uncached + 800 cache reads). */
const ANTHROPIC_LAYOUTS: [string, string, () => SpanSpec][] = [
  [
    'GenAI semconv >= 1.37 (input_tokens includes the cache reads, as the spec says)',
    'otel-genai',
    () =>
      spec('chat claude-haiku-4-5', 'handbuilt-genai-1.37', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-haiku-4-5',
        'gen_ai.usage.input_tokens': anthropicCall.uncached + anthropicCall.cacheRead,
        'gen_ai.usage.cache_read.input_tokens': anthropicCall.cacheRead,
        'gen_ai.usage.output_tokens': anthropicCall.output,
      }),
  ],
  [
    'OpenLLMetry (prompt_tokens without the cache reads, total with them)',
    'openllmetry',
    () =>
      spec('anthropic.chat', 'opentelemetry.instrumentation.anthropic', {
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.request.model': 'claude-haiku-4-5',
        'gen_ai.usage.prompt_tokens': anthropicCall.uncached,
        'gen_ai.usage.completion_tokens': anthropicCall.output,
        'gen_ai.usage.cache_read_input_tokens': anthropicCall.cacheRead,
        'llm.usage.total_tokens':
          anthropicCall.uncached + anthropicCall.cacheRead + anthropicCall.output,
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': anthropicCall.text,
      }),
  ],
  [
    'Vercel AI SDK 5 (ai.usage.inputTokens is the uncached rest)',
    'vercel-ai',
    () =>
      spec('ai.generateText.doGenerate', 'ai', {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'claude-haiku-4-5',
        'ai.model.provider': 'anthropic.messages',
        'ai.response.text': anthropicCall.text,
        'ai.response.finishReason': 'stop',
        'ai.usage.inputTokens': anthropicCall.uncached,
        'ai.usage.outputTokens': anthropicCall.output,
        'ai.usage.totalTokens': anthropicCall.uncached + anthropicCall.output,
        'ai.usage.cachedInputTokens': anthropicCall.cacheRead,
      }),
  ],
  [
    'Vercel AI SDK 6 (ai.usage.inputTokenDetails)',
    'vercel-ai',
    () =>
      spec('ai.generateText.doGenerate', 'ai', {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'claude-haiku-4-5',
        'ai.model.provider': 'anthropic.messages',
        'ai.usage.inputTokens': anthropicCall.uncached + anthropicCall.cacheRead,
        'ai.usage.inputTokenDetails.noCacheTokens': anthropicCall.uncached,
        'ai.usage.inputTokenDetails.cacheReadTokens': anthropicCall.cacheRead,
        'ai.usage.outputTokens': anthropicCall.output,
      }),
  ],
];

describe('1,000 input tokens with 800 cache reads: 200 at the input rate, 800 at the cached rate', () => {
  it('is what the mock model server reported for both calls', () => {
    expect(openaiCall).toMatchObject({ promptTokens: 1000, cachedTokens: 800 });
    expect(anthropicCall).toMatchObject({ uncached: 200, cacheRead: 800 });
  });

  it.each(OPENAI_LAYOUTS)('OpenAI call, %s', async (_label, dialect, build) => {
    const record = await send(build());
    expect(record).toMatchObject({
      sourceDialect: dialect,
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputTokens: 1000,
      cacheReadInputTokens: 800,
      outputTokens: openaiCall.completionTokens,
      costSource: 'collector',
      warnings: [],
    });
    expect(record.costUsd).toBeCloseTo(
      (200 * GPT_4O_MINI.input +
        800 * GPT_4O_MINI.cachedInput +
        openaiCall.completionTokens * GPT_4O_MINI.output) /
        1e6,
      15,
    );
  });

  it.each(ANTHROPIC_LAYOUTS)('Anthropic call, %s', async (_label, dialect, build) => {
    const record = await send(build());
    expect(record).toMatchObject({
      sourceDialect: dialect,
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      inputTokens: 1000,
      cacheReadInputTokens: 800,
      outputTokens: anthropicCall.output,
      costSource: 'collector',
      warnings: [],
    });
    expect(record.costUsd).toBeCloseTo(
      (200 * CLAUDE_HAIKU_4_5.input +
        800 * CLAUDE_HAIKU_4_5.cachedInput +
        anthropicCall.output * CLAUDE_HAIKU_4_5.output) /
        1e6,
      15,
    );
  });
});
