// One underlying call — gpt-4o-mini, a system prompt and a question, "Paris." back,
// 1,000 input tokens of which 800 were cache reads, 5 output tokens, first chunk
// after 250 ms — as each dialect reports it. Every dialect must give the same
// canonical fields for what it carries.
import { describe, expect, it } from 'vitest';
import {
  computeCostUsd,
  createPriceBook,
  type NormalizedFields,
  normalizeSpan,
  type SpanInput,
} from '../src/index.js';
import { event, span } from './fixtures/spans.js';

const SYSTEM = 'You are terse.';
const QUESTION = 'What is the capital of France?';
const ANSWER = 'Paris.';

const CANONICAL_INPUT = [
  { role: 'system', parts: [{ type: 'text', content: SYSTEM }] },
  { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
];
const CANONICAL_OUTPUT = [
  { role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' },
];

const openAIMessages = [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: QUESTION },
];

const semconv137 = span({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
  'gen_ai.response.id': 'chatcmpl-123',
  'gen_ai.response.finish_reasons': ['stop'],
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 5,
  'gen_ai.usage.cache_read.input_tokens': 800,
  'gen_ai.response.time_to_first_chunk': 0.25,
  'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: SYSTEM }]),
  'gen_ai.input.messages': JSON.stringify([
    { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
  ]),
  'gen_ai.output.messages': JSON.stringify([
    { role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' },
  ]),
});

// The same, with the messages as structured OTLP values instead of JSON strings.
const semconv137Structured = span({
  ...semconv137.attributes,
  'gen_ai.system_instructions': [{ type: 'text', content: SYSTEM }],
  'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: QUESTION }] }],
  'gen_ai.output.messages': [
    { role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' },
  ],
});

const pilotlightSdk = span(
  {
    ...semconv137.attributes,
    'gen_ai.response.time_to_first_chunk': 0.25,
    'pilotlight.time_to_first_token_ms': 250,
    'pilotlight.streaming': true,
  },
  { scopeName: '@pilotlight/sdk' },
);

// semconv 1.27–1.36: gen_ai.system, per-message events, gen_ai.choice.
const semconv136Events = span(
  {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.response.id': 'chatcmpl-123',
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 5,
  },
  {
    events: [
      event('gen_ai.system.message', { 'gen_ai.system': 'openai', content: SYSTEM }),
      event('gen_ai.user.message', { 'gen_ai.system': 'openai', content: QUESTION }),
      event('gen_ai.choice', {
        'gen_ai.system': 'openai',
        index: 0,
        finish_reason: 'stop',
        message: { role: 'assistant', content: ANSWER },
      }),
    ],
  },
);

// semconv <= 1.26: prompt_tokens / completion_tokens, gen_ai.content.* events with JSON.
const semconv126 = span(
  {
    'gen_ai.system': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.response.id': 'chatcmpl-123',
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.prompt_tokens': 1000,
    'gen_ai.usage.completion_tokens': 5,
    'gen_ai.operation.name': 'chat',
  },
  {
    events: [
      event('gen_ai.content.prompt', { 'gen_ai.prompt': JSON.stringify(openAIMessages) }),
      event('gen_ai.content.completion', {
        'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: ANSWER }]),
      }),
    ],
  },
);

const openllmetryFlat = (inputTokens: number, total: number): SpanInput =>
  span(
    {
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': SYSTEM,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': QUESTION,
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': ANSWER,
      'gen_ai.completion.0.finish_reason': 'stop',
      'gen_ai.usage.prompt_tokens': inputTokens,
      'gen_ai.usage.completion_tokens': 5,
      'llm.usage.total_tokens': total,
      'gen_ai.usage.cache_read_input_tokens': 800,
    },
    { scopeName: '@traceloop/instrumentation-openai' },
  );

const openinferenceSpan = span(
  {
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini-2024-07-18',
    'llm.invocation_parameters': JSON.stringify({ model: 'gpt-4o-mini', stream: true }),
    'llm.provider': 'openai',
    'llm.system': 'openai',
    'input.value': JSON.stringify({ model: 'gpt-4o-mini', messages: openAIMessages }),
    'input.mime_type': 'application/json',
    'llm.input_messages.0.message.role': 'system',
    'llm.input_messages.0.message.content': SYSTEM,
    'llm.input_messages.1.message.role': 'user',
    'llm.input_messages.1.message.content': QUESTION,
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.content': ANSWER,
    'llm.finish_reason': 'stop',
    'llm.token_count.prompt': 1000,
    'llm.token_count.completion': 5,
    'llm.token_count.total': 1005,
    'llm.token_count.prompt_details.cache_read': 800,
  },
  { scopeName: '@arizeai/openinference-instrumentation-openai' },
);

const vercelCommon = {
  'ai.operationId': 'ai.streamText.doStream',
  'operation.name': 'ai.streamText.doStream my-function',
  'ai.model.id': 'gpt-4o-mini',
  'ai.model.provider': 'openai.chat',
  'ai.prompt.messages': JSON.stringify([
    { role: 'system', content: SYSTEM },
    { role: 'user', content: [{ type: 'text', text: QUESTION }] },
  ]),
  'ai.response.text': ANSWER,
  'ai.response.finishReason': 'stop',
  'ai.response.model': 'gpt-4o-mini-2024-07-18',
  'ai.response.id': 'chatcmpl-123',
  'ai.response.msToFirstChunk': 250,
  'gen_ai.system': 'openai.chat',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
  'gen_ai.response.id': 'chatcmpl-123',
  'gen_ai.response.finish_reasons': ['stop'],
};

// AI SDK 5 with OpenAI: inputTokens include the cached ones.
const vercelV5 = span({
  ...vercelCommon,
  'ai.usage.inputTokens': 1000,
  'ai.usage.outputTokens': 5,
  'ai.usage.totalTokens': 1005,
  'ai.usage.cachedInputTokens': 800,
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 5,
});

// AI SDK 6: input broken down exactly.
const vercelV6 = span({
  ...vercelCommon,
  'ai.usage.inputTokens': 1000,
  'ai.usage.outputTokens': 5,
  'ai.usage.totalTokens': 1005,
  'ai.usage.inputTokenDetails.noCacheTokens': 200,
  'ai.usage.inputTokenDetails.cacheReadTokens': 800,
  'ai.usage.cachedInputTokens': 800,
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 5,
});

// AI SDK 4: promptTokens / completionTokens, no cache counts.
const vercelV4 = span({
  ...vercelCommon,
  'ai.usage.promptTokens': 1000,
  'ai.usage.completionTokens': 5,
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 5,
});

const COMMON: Partial<NormalizedFields> = {
  operation: 'chat',
  provider: 'openai',
  model: 'gpt-4o-mini',
  responseModel: 'gpt-4o-mini-2024-07-18',
  finishReasons: ['stop'],
  inputTokens: 1000,
  outputTokens: 5,
  input: CANONICAL_INPUT,
  output: CANONICAL_OUTPUT,
  status: 'ok',
  warnings: [],
};

const WITH_CACHE = { ...COMMON, cacheReadInputTokens: 800 };

describe('normalizeSpan: the same call in every dialect', () => {
  it.each<[string, SpanInput, string, Partial<NormalizedFields>]>([
    [
      'semconv 1.37 (JSON strings)',
      semconv137,
      'otel-genai',
      { ...WITH_CACHE, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
    [
      'semconv 1.37 (structured values)',
      semconv137Structured,
      'otel-genai',
      { ...WITH_CACHE, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
    [
      'pilotlight SDK',
      pilotlightSdk,
      'pilotlight',
      { ...WITH_CACHE, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
    [
      'semconv 1.36 (message events)',
      semconv136Events,
      'otel-genai-legacy',
      { ...COMMON, responseId: 'chatcmpl-123' },
    ],
    [
      'semconv 1.26 (content events)',
      semconv126,
      'otel-genai-legacy',
      { ...COMMON, responseId: 'chatcmpl-123' },
    ],
    [
      'OpenLLMetry, cache inside the prompt count',
      openllmetryFlat(1000, 1005),
      'openllmetry',
      { ...WITH_CACHE, responseId: 'chatcmpl-123' },
    ],
    [
      'OpenLLMetry, cache outside the prompt count',
      openllmetryFlat(200, 1005),
      'openllmetry',
      { ...WITH_CACHE, responseId: 'chatcmpl-123' },
    ],
    ['OpenInference', openinferenceSpan, 'openinference', WITH_CACHE],
    [
      'Vercel AI SDK 5',
      vercelV5,
      'vercel-ai',
      { ...WITH_CACHE, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
    [
      'Vercel AI SDK 6',
      vercelV6,
      'vercel-ai',
      { ...WITH_CACHE, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
    [
      'Vercel AI SDK 4',
      vercelV4,
      'vercel-ai',
      { ...COMMON, ttftMs: 250, responseId: 'chatcmpl-123' },
    ],
  ])('%s', (_label, input, dialect, expected) => {
    const fields = normalizeSpan(input);
    expect(fields.sourceDialect).toBe(dialect);
    expect(fields).toMatchObject(expected);
    expect(fields.warnings).toEqual([]);
  });

  const withCache: [string, SpanInput][] = [
    ['semconv 1.37', semconv137],
    ['pilotlight', pilotlightSdk],
    ['OpenLLMetry (inside)', openllmetryFlat(1000, 1005)],
    ['OpenLLMetry (outside)', openllmetryFlat(200, 1005)],
    ['OpenInference', openinferenceSpan],
    ['Vercel AI SDK 5', vercelV5],
    ['Vercel AI SDK 6', vercelV6],
  ];

  it.each(withCache)('%s: 800 of 1,000 input tokens priced at the cached rate', (_label, input) => {
    const fields = normalizeSpan(input);
    const price = createPriceBook().find(fields.model ?? '');
    // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million tokens.
    expect(price?.model).toBe('gpt-4o-mini');
    expect(computeCostUsd(price, fields)).toBeCloseTo(
      (200 * 0.15 + 800 * 0.075 + 5 * 0.6) / 1e6,
      15,
    );
  });

  it('gives identical canonical fields for every cache-carrying dialect', () => {
    const keys = [
      'operation',
      'provider',
      'model',
      'inputTokens',
      'outputTokens',
      'cacheReadInputTokens',
      'finishReasons',
      'input',
      'output',
    ] as const;
    const project = (f: NormalizedFields) => Object.fromEntries(keys.map((k) => [k, f[k]]));
    const first = project(normalizeSpan(semconv137));
    for (const [, input] of withCache) expect(project(normalizeSpan(input))).toEqual(first);
  });
});
