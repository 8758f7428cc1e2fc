import { describe, expect, it } from 'vitest';
import { canonicalFinishReason, canonicalProvider, detectDialects } from '../src/dialects/index.js';
import {
  callRecordSchema,
  type JsonValue,
  type NormalizedFields,
  normalizeSpan,
} from '../src/index.js';
import { event, span } from './fixtures/spans.js';

describe('dialect detection and precedence', () => {
  it('reads a span with no GenAI attributes as no dialect, with null GenAI fields', () => {
    const fields = normalizeSpan(span({ 'http.request.method': 'GET', 'url.path': '/health' }));
    expect(fields).toMatchObject({
      sourceDialect: null,
      operation: null,
      model: null,
      provider: null,
      inputTokens: null,
      input: null,
      output: null,
      status: 'ok',
      warnings: [],
    });
  });

  it('names the instrumentation, not the gen_ai.* names it borrows', () => {
    // Vercel's provider-call spans carry semconv <= 1.36 attributes too.
    const vercel = span({
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.id': 'gpt-4o',
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o',
    });
    expect(detectDialects(vercel)).toEqual(['vercel-ai', 'otel-genai-legacy']);
    // OpenLLMetry JS 0.2x emits the current semconv names under its own scope.
    const traceloop = span(
      { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' },
      { scopeName: '@traceloop/instrumentation-openai' },
    );
    expect(detectDialects(traceloop)).toEqual(['openllmetry', 'otel-genai']);
    expect(normalizeSpan(traceloop).sourceDialect).toBe('openllmetry');
  });

  it('prefers the current conventions when a span carries both generations', () => {
    const both = span({
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.prompt_tokens': 10,
    });
    expect(normalizeSpan(both)).toMatchObject({
      sourceDialect: 'otel-genai',
      provider: 'openai',
      inputTokens: 10,
      warnings: [],
    });
  });

  it('keeps the higher-precedence value when dialects disagree, and says so', () => {
    const fields = normalizeSpan(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100,
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'llm.token_count.prompt': 120,
      }),
    );
    expect(fields.model).toBe('gpt-4o');
    expect(fields.inputTokens).toBe(100);
    expect(fields.warnings).toEqual([
      'conflicting model: "gpt-4o" (otel-genai) vs "gpt-4o-mini" (openinference); kept the first',
      'conflicting inputTokens: 100 (otel-genai) vs 120 (openinference); kept the first',
    ]);
  });

  it('warns when two names of one dialect disagree', () => {
    const fields = normalizeSpan(
      span({
        'gen_ai.system': 'openai',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.prompt_tokens': 12,
      }),
    );
    expect(fields.inputTokens).toBe(10);
    expect(fields.warnings).toEqual([
      'conflicting inputTokens: gen_ai.usage.input_tokens=10 vs gen_ai.usage.prompt_tokens=12',
    ]);
  });
});

describe('malformed attributes', () => {
  const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };

  it.each<[string, JsonValue, string]>([
    ['a word', 'many', 'gen_ai.usage.input_tokens: expected a non-negative integer, got "many"'],
    ['a negative count', -3, 'gen_ai.usage.input_tokens: expected a non-negative integer, got -3'],
    ['a fraction', 1.5, 'gen_ai.usage.input_tokens: expected a non-negative integer, got 1.5'],
    ['a list', [1, 2], 'gen_ai.usage.input_tokens: expected a non-negative integer, got [1,2]'],
  ])('drops an input token count that is %s, keeps the rest', (_label, raw, warning) => {
    const fields = normalizeSpan(
      span({ ...base, 'gen_ai.usage.input_tokens': raw, 'gen_ai.usage.output_tokens': 5 }),
    );
    expect(fields.inputTokens).toBeNull();
    expect(fields.outputTokens).toBe(5);
    expect(fields.provider).toBe('openai');
    expect(fields.warnings).toEqual([warning]);
  });

  it('reads int64 token counts sent as decimal strings (OTLP JSON)', () => {
    const fields = normalizeSpan(span({ ...base, 'gen_ai.usage.input_tokens': '1000' }));
    expect(fields.inputTokens).toBe(1000);
    expect(fields.warnings).toEqual([]);
  });

  it('drops messages that are not valid JSON or not a list', () => {
    const fields = normalizeSpan(
      span({
        ...base,
        'gen_ai.input.messages': '[{"role": "user", "parts": [',
        'gen_ai.output.messages': '{"role": "assistant"}',
      }),
    );
    expect(fields.input).toBeNull();
    expect(fields.output).toBeNull();
    expect(fields.warnings).toEqual([
      'gen_ai.input.messages: not valid JSON',
      'gen_ai.output.messages: expected a list of messages',
    ]);
  });

  it('reads cache counts larger than the input as outside it (semconv says inside), with a warning', () => {
    const fields = normalizeSpan(
      span({
        ...base,
        'gen_ai.usage.input_tokens': 200,
        'gen_ai.usage.cache_read.input_tokens': 800,
      }),
    );
    expect(fields.inputTokens).toBe(1000);
    expect(fields.cacheReadInputTokens).toBe(800);
    expect(fields.warnings).toEqual([
      'cache token counts (800) exceed input tokens (200); read as not included in them',
    ]);
  });

  it('never double-counts cache writes and reasoning tokens', () => {
    const fields = normalizeSpan(
      span({
        ...base,
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.cache_read.input_tokens': 600,
        'gen_ai.usage.cache_creation.input_tokens': 300,
        'gen_ai.usage.output_tokens': 50,
        'gen_ai.usage.reasoning.output_tokens': 40,
      }),
    );
    expect(fields).toMatchObject({
      inputTokens: 1000,
      cacheReadInputTokens: 600,
      cacheCreationInputTokens: 300,
      outputTokens: 50,
      reasoningOutputTokens: 40,
      warnings: [],
    });
  });

  it('warns about reasoning tokens above the output count', () => {
    const fields = normalizeSpan(
      span({
        ...base,
        'gen_ai.usage.output_tokens': 5,
        'gen_ai.usage.reasoning.output_tokens': 9,
      }),
    );
    expect(fields.warnings).toEqual(['reasoning tokens (9) exceed output tokens (5)']);
  });

  it('drops a negative time to first chunk, and one clearly longer than the span', () => {
    const negative = normalizeSpan(span({ ...base, 'gen_ai.response.time_to_first_chunk': -0.1 }));
    expect(negative.ttftMs).toBeNull();
    expect(negative.warnings).toEqual([
      'gen_ai.response.time_to_first_chunk: negative duration -0.1',
    ]);
    const tooLong = normalizeSpan(
      span({ ...base, 'gen_ai.response.time_to_first_chunk': 3 }, { durationMs: 2000 }),
    );
    expect(tooLong.ttftMs).toBeNull();
    expect(tooLong.warnings).toEqual([
      'time to first chunk (3000 ms) is longer than the span (2000 ms); dropped',
    ]);
    // Within clock granularity (Date.now() against the span's monotonic clock): kept.
    const justOver = normalizeSpan(
      span({ ...base, 'gen_ai.response.time_to_first_chunk': 2.001 }, { durationMs: 2000 }),
    );
    expect(justOver.ttftMs).toBeCloseTo(2001, 9);
    expect(justOver.warnings).toEqual([]);
  });

  it('drops a confidence outside [0, 1] and a negative cost', () => {
    const fields = normalizeSpan(
      span({ ...base, 'pilotlight.confidence': 1.5, 'pilotlight.cost_usd': -1 }),
    );
    expect(fields.confidence).toBeNull();
    expect(fields.costUsd).toBeNull();
    expect(fields.warnings).toEqual([
      'pilotlight.confidence out of [0, 1]: 1.5',
      'pilotlight.cost_usd is negative: -1',
    ]);
  });

  it('rejects a model that is not a string', () => {
    const fields = normalizeSpan(span({ ...base, 'gen_ai.request.model': { name: 'gpt-4o' } }));
    expect(fields.model).toBeNull();
    expect(fields.warnings).toEqual([
      'gen_ai.request.model: expected a string, got {"name":"gpt-4o"}',
    ]);
  });

  it('never throws, and always yields fields the record schema accepts', () => {
    // Deterministic pseudo-random values for every attribute name the tables read.
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values: JsonValue[] = [
      null,
      -1,
      0,
      1.5,
      2 ** 60,
      'x',
      '',
      '[',
      '{}',
      '[{"role":7,"parts":"no"}]',
      '[{"parts":[{"type":"tool_call"}]}]',
      true,
      [],
      [null, 3, 'a'],
      { a: { b: [] } },
      [{ role: 'user', parts: [null, { type: 'blob' }] }],
    ];
    const keys = [
      'gen_ai.operation.name',
      'gen_ai.provider.name',
      'gen_ai.system',
      'gen_ai.request.model',
      'gen_ai.response.model',
      'gen_ai.response.finish_reasons',
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.response.time_to_first_chunk',
      'gen_ai.prompt',
      'gen_ai.completion',
      'gen_ai.prompt.0.content',
      'gen_ai.prompt.0.role',
      'gen_ai.completion.0.tool_calls.0.name',
      'llm.request.type',
      'llm.usage.total_tokens',
      'openinference.span.kind',
      'llm.model_name',
      'llm.invocation_parameters',
      'llm.input_messages.0.message.content',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.name',
      'input.value',
      'output.value',
      'input.mime_type',
      'ai.operationId',
      'ai.model.provider',
      'ai.prompt',
      'ai.prompt.messages',
      'ai.response.toolCalls',
      'ai.response.msToFirstChunk',
      'ai.usage.inputTokenDetails.noCacheTokens',
      'pilotlight.confidence',
      'pilotlight.input',
    ];
    const recordFields = callRecordSchema.pick({
      operation: true,
      provider: true,
      model: true,
      responseModel: true,
      responseId: true,
      finishReasons: true,
      ttftMs: true,
      inputTokens: true,
      outputTokens: true,
      cacheReadInputTokens: true,
      cacheCreationInputTokens: true,
      reasoningOutputTokens: true,
      tokensEstimated: true,
      costUsd: true,
      confidence: true,
      status: true,
      errorType: true,
      input: true,
      output: true,
      sourceDialect: true,
      warnings: true,
    });
    for (let i = 0; i < 500; i++) {
      const attrs: Record<string, JsonValue> = {};
      for (const key of keys) {
        if (rand() < 0.4) attrs[key] = values[Math.floor(rand() * values.length)] ?? null;
      }
      const events = [
        event('gen_ai.choice', { message: values[Math.floor(rand() * values.length)] ?? null }),
        event('gen_ai.user.message', {
          content: values[Math.floor(rand() * values.length)] ?? null,
        }),
      ];
      const fields: NormalizedFields = normalizeSpan(span(attrs, { events }));
      const parsed = recordFields.safeParse(fields);
      if (!parsed.success) throw new Error(`${JSON.stringify(attrs)}: ${parsed.error.message}`);
    }
  });
});

describe('messages in one canonical shape', () => {
  const toolOutput = [
    {
      role: 'assistant',
      parts: [
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
      ],
      finish_reason: 'tool_call',
    },
  ];

  it.each<[string, Record<string, JsonValue>]>([
    [
      'semconv 1.37',
      {
        'gen_ai.provider.name': 'openai',
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [
              {
                type: 'tool_call',
                id: 'call_1',
                name: 'get_weather',
                arguments: { city: 'Paris' },
              },
            ],
            finish_reason: 'tool_call',
          },
        ]),
      },
    ],
    [
      'OpenLLMetry',
      {
        'llm.request.type': 'chat',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.tool_calls.0.id': 'call_1',
        'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Paris"}',
      },
    ],
    [
      'OpenInference',
      {
        'openinference.span.kind': 'LLM',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_1',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_weather',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments':
          '{"city":"Paris"}',
        'llm.finish_reason': 'tool_calls',
      },
    ],
    [
      'Vercel AI SDK',
      {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.response.toolCalls': JSON.stringify([
          {
            toolCallType: 'function',
            toolCallId: 'call_1',
            toolName: 'get_weather',
            input: '{"city":"Paris"}',
          },
        ]),
        'ai.response.finishReason': 'tool-calls',
      },
    ],
    ['semconv 1.36 choice event', { 'gen_ai.system': 'openai' }],
  ])('a tool call reads the same from %s', (label, attrs) => {
    const events =
      label === 'semconv 1.36 choice event'
        ? [
            event('gen_ai.choice', {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
                  },
                ],
              },
            }),
          ]
        : [];
    const fields = normalizeSpan(span(attrs, { events }));
    expect(fields.output).toEqual(toolOutput);
    expect(fields.finishReasons).toEqual(['tool_call']);
    expect(fields.warnings).toEqual([]);
  });

  it('reads a tool result message from OpenAI-style and Vercel-style prompts alike', () => {
    const expected = [
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '20°C' }] },
    ];
    const openllmetry = normalizeSpan(
      span({
        'llm.request.type': 'chat',
        'gen_ai.prompt.0.role': 'tool',
        'gen_ai.prompt.0.content': '20°C',
        'gen_ai.prompt.0.tool_call_id': 'call_1',
      }),
    );
    const vercel = normalizeSpan(
      span({
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.prompt.messages': JSON.stringify([
          {
            role: 'tool',
            content: [
              {
                type: 'tool-result',
                toolCallId: 'call_1',
                toolName: 'get_weather',
                output: { type: 'text', value: '20°C' },
              },
            ],
          },
        ]),
      }),
    );
    expect(openllmetry.input).toEqual(expected);
    expect(vercel.input).toEqual(expected);
  });

  it('reads gen_ai.prompt / gen_ai.completion span attributes (semconv <= 1.26)', () => {
    const fields = normalizeSpan(
      span({
        'gen_ai.system': 'openai',
        'gen_ai.prompt': JSON.stringify([{ role: 'user', content: 'Hi' }]),
        'gen_ai.completion': JSON.stringify([
          { message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' },
        ]),
      }),
    );
    expect(fields.input).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]);
    expect(fields.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' },
    ]);
    expect(fields.finishReasons).toEqual(['stop']);
    expect(fields.warnings).toEqual([]);
  });

  it('reads multimodal content: OpenLLMetry JSON parts and OpenInference contents alike', () => {
    const expected = [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is this?' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' },
        ],
      },
    ];
    const openllmetry = normalizeSpan(
      span({
        'llm.request.type': 'chat',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ]),
      }),
    );
    const openinference = normalizeSpan(
      span({
        'openinference.span.kind': 'LLM',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.contents.0.message_content.type': 'text',
        'llm.input_messages.0.message.contents.0.message_content.text': 'What is this?',
        'llm.input_messages.0.message.contents.1.message_content.type': 'image',
        'llm.input_messages.0.message.contents.1.message_content.image.image.url':
          'https://example.com/cat.png',
      }),
    );
    expect(openllmetry.input).toEqual(expected);
    expect(openinference.input).toEqual(expected);
  });

  it('names the full flattened attribute in a warning', () => {
    const fields = normalizeSpan(
      span({
        'openinference.span.kind': 'LLM',
        'llm.input_messages.3.message.role': 'user',
        'llm.input_messages.3.message.content': ['not', 'text'],
      }),
    );
    expect(fields.warnings).toEqual([
      'llm.input_messages.3.message.content: expected a string, got ["not","text"]',
    ]);
  });

  it('reads the older OpenAI shape left in gen_ai.input.messages', () => {
    const fields = normalizeSpan(
      span({
        'gen_ai.provider.name': 'openai',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: 'Hi' }]),
      }),
    );
    expect(fields.input).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]);
  });

  it('reads semconv 1.36 message events with the body in gen_ai.event.content', () => {
    const fields = normalizeSpan(
      span(
        { 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4' },
        {
          events: [
            event('gen_ai.user.message', { 'gen_ai.event.content': '{"content":"Hi"}' }),
            event('gen_ai.tool.message', { id: 'toolu_1', content: 'done' }),
          ],
        },
      ),
    );
    expect(fields.input).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'toolu_1', response: 'done' }] },
    ]);
  });

  it('keeps OpenInference tool and chain values as they were sent', () => {
    const fields = normalizeSpan(
      span({
        'openinference.span.kind': 'TOOL',
        'input.value': '{"city":"Paris"}',
        'input.mime_type': 'application/json',
        'output.value': 'sunny',
        'output.mime_type': 'text/plain',
      }),
    );
    expect(fields).toMatchObject({
      operation: 'execute_tool',
      input: { city: 'Paris' },
      output: 'sunny',
    });
  });

  it("keeps a traced function's input and output as JSON, or text when it is not JSON", () => {
    const fields = normalizeSpan(
      span(
        {
          'gen_ai.operation.name': 'predict',
          'pilotlight.input': '{"features":[1,2]}',
          'pilotlight.output': 'spam',
          'pilotlight.confidence': 0.9,
        },
        { scopeName: '@pilotlight/sdk' },
      ),
    );
    expect(fields).toMatchObject({
      sourceDialect: 'pilotlight',
      operation: 'predict',
      input: { features: [1, 2] },
      output: 'spam',
      confidence: 0.9,
      warnings: [],
    });
  });
});

describe('Vercel AI SDK top-level spans', () => {
  it('keep prompt and output but take no tokens, so a call is never counted twice', () => {
    const fields = normalizeSpan(
      span({
        'ai.operationId': 'ai.generateText',
        'ai.model.id': 'claude-sonnet-4-20250514',
        'ai.model.provider': 'anthropic.messages',
        'ai.prompt': JSON.stringify({ system: 'Be brief.', prompt: 'Hello' }),
        'ai.response.text': 'Hi.',
        'ai.response.finishReason': 'stop',
        'ai.usage.inputTokens': 20,
        'ai.usage.outputTokens': 3,
      }),
    );
    expect(fields).toMatchObject({
      sourceDialect: 'vercel-ai',
      operation: null,
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      inputTokens: null,
      outputTokens: null,
      input: [
        { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Hello' }] },
      ],
      output: [
        { role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' },
      ],
    });
  });

  it('reads TTFT from the ai.stream.firstChunk event when the attribute is missing', () => {
    const fields = normalizeSpan(
      span(
        { 'ai.operationId': 'ai.streamText.doStream', 'ai.model.id': 'gpt-4o' },
        { events: [event('ai.stream.firstChunk', {}, 180)] },
      ),
    );
    expect(fields.ttftMs).toBe(180);
  });
});

describe('errors', () => {
  it('takes error.type, or _OTHER for an error status without one', () => {
    const typed = normalizeSpan(
      span({ 'gen_ai.provider.name': 'openai', 'error.type': 'RateLimitError' }),
    );
    expect(typed).toMatchObject({ status: 'error', errorType: 'RateLimitError' });
    const bare = normalizeSpan(span({ 'gen_ai.provider.name': 'openai' }, { statusCode: 2 }));
    expect(bare).toMatchObject({ status: 'error', errorType: '_OTHER' });
  });
});

describe('canonicalProvider', () => {
  it.each([
    ['openai', 'openai'],
    ['OpenAI', 'openai'],
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['Anthropic', 'anthropic'],
    ['anthropic.messages', 'anthropic'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['azure', 'azure.ai.openai'],
    ['azure-openai.chat', 'azure.ai.openai'],
    ['aws.bedrock', 'aws.bedrock'],
    ['amazon-bedrock.chat', 'aws.bedrock'],
    ['Bedrock', 'aws.bedrock'],
    ['google', 'gcp.gemini'],
    ['google.generative-ai.chat', 'gcp.gemini'],
    ['vertex_ai', 'gcp.vertex_ai'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['vertexai', 'gcp.vertex_ai'],
    ['mistralai', 'mistral_ai'],
    ['mistral.chat', 'mistral_ai'],
    ['MistralAI', 'mistral_ai'],
    ['xai', 'x_ai'],
    ['groq.chat', 'groq'],
    ['deepseek.chat', 'deepseek'],
    ['cohere', 'cohere'],
    ['together', 'together'],
  ])('%s → %s', (raw, expected) => {
    expect(canonicalProvider(raw)).toBe(expected);
  });
});

describe('canonicalFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['end_turn', 'stop'],
    ['STOP', 'stop'],
    ['max_tokens', 'length'],
    ['MAX_TOKENS', 'length'],
    ['tool_calls', 'tool_call'],
    ['tool-calls', 'tool_call'],
    ['tool_use', 'tool_call'],
    ['content-filter', 'content_filter'],
    ['SAFETY', 'content_filter'],
    ['other', 'other'],
  ])('%s → %s', (raw, expected) => {
    expect(canonicalFinishReason(raw)).toBe(expected);
  });
});
