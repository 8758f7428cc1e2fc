import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { computeCostUsd, createPriceBook, GenAI, Otel, Pilotlight } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapOpenAI } from '../src/index.js';
import { jsonAttr, only, startSdk } from './helpers/sdk.js';

let mock: MockModelServer;
let sdk: ReturnType<typeof startSdk>;
let raw: OpenAI;
let openai: OpenAI;
const prices = createPriceBook();

beforeAll(async () => {
  mock = await startMockModelServer();
  sdk = startSdk({ serviceName: 'openai-test' });
  raw = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
  openai = wrapOpenAI(raw);
});

afterAll(async () => {
  await sdk.stop();
  await mock.close();
});

/** Spans exported since the last call. */
async function exported() {
  const spans = await sdk.spans();
  sdk.exporter.reset();
  return spans;
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' } },
      required: ['location'],
    },
  },
};

describe('wrapOpenAI chat.completions.create', () => {
  it('records a plain call with GenAI attributes, messages, usage and cost', async () => {
    const response = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const a = span.attributes;
    expect(a[GenAI.OPERATION_NAME]).toBe('chat');
    expect(a[GenAI.PROVIDER_NAME]).toBe('openai');
    expect(a[GenAI.REQUEST_MODEL]).toBe('gpt-4o-mini');
    expect(a[GenAI.REQUEST_TEMPERATURE]).toBe(0.2);
    expect(a[GenAI.REQUEST_MAX_TOKENS]).toBe(50);
    expect(a[GenAI.RESPONSE_MODEL]).toBe(response.model);
    expect(a[GenAI.RESPONSE_ID]).toBe(response.id);
    expect(a[GenAI.RESPONSE_FINISH_REASONS]).toEqual(['stop']);
    expect(a[GenAI.USAGE_INPUT_TOKENS]).toBe(response.usage?.prompt_tokens);
    expect(a[GenAI.USAGE_OUTPUT_TOKENS]).toBe(response.usage?.completion_tokens);
    expect(a[Otel.SERVER_ADDRESS]).toBe('127.0.0.1');
    expect(a[Pilotlight.COST_USD]).toBe(
      computeCostUsd(prices.find('gpt-4o-mini'), {
        inputTokens: response.usage?.prompt_tokens,
        outputTokens: response.usage?.completion_tokens,
        cacheReadInputTokens: response.usage?.prompt_tokens_details?.cached_tokens,
      }),
    );
    expect(a[Pilotlight.USAGE_ESTIMATED]).toBeUndefined();
    expect(a[Pilotlight.CONFIDENCE]).toBeUndefined();
    expect(jsonAttr(span, GenAI.INPUT_MESSAGES)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'hello there' }] },
    ]);
    expect(jsonAttr(span, GenAI.OUTPUT_MESSAGES)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: response.choices[0]?.message.content }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('keeps withResponse() and asResponse() working', async () => {
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'raw please' }],
    };
    const { data, response, request_id } = await openai.chat.completions
      .create(params)
      .withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_mock_/);
    expect(data.choices[0]?.message.content).toContain('raw please');
    const asResponse = await openai.chat.completions.create(params).asResponse();
    const body = (await asResponse.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toContain('raw please');
    const spans = await exported();
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini']);
    expect(spans[0]?.attributes[GenAI.RESPONSE_ID]).toBe(data.id);
  });

  it('streams exactly what the unwrapped client streams and records usage from the final chunk', async () => {
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'stream me a few words' }],
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const collect = async (client: OpenAI) => {
      const chunks = [];
      for await (const chunk of await client.chat.completions.create(params))
        chunks.push({ ...chunk, id: 'x' });
      return chunks;
    };
    const bare = await collect(raw);
    const traced = await collect(openai);
    expect(traced).toEqual(bare);
    const span = only(await exported(), 'chat gpt-4o-mini');
    const usage = bare.at(-1)?.usage;
    expect(span.attributes[Pilotlight.STREAMING]).toBe(true);
    expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(usage?.prompt_tokens);
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(usage?.completion_tokens);
    expect(span.attributes[Pilotlight.USAGE_ESTIMATED]).toBeUndefined();
    expect(span.attributes[Pilotlight.TIME_TO_FIRST_TOKEN_MS]).toBeGreaterThan(0);
    const text = bare.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(jsonAttr(span, GenAI.OUTPUT_MESSAGES)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
  });

  it('estimates tokens with a tokenizer when a stream reports no usage, and marks them', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'count these words for me please' }],
      stream: true,
    });
    for await (const _ of stream) {
      // consume
    }
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.attributes[Pilotlight.USAGE_ESTIMATED]).toBe(true);
    expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBeGreaterThan(0);
    expect(span.attributes[Pilotlight.COST_USD]).toBeGreaterThan(0);
  });

  it('ends the span when the consumer breaks out early', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
      stream: true,
    });
    let seen = 0;
    for await (const _ of stream) {
      if (++seen === 3) break;
    }
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.ended).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[GenAI.RESPONSE_FINISH_REASONS]).toBeUndefined();
  });

  it('keeps tee(), toReadableStream() and controller of the stream', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'tee this' }],
      stream: true,
    });
    expect(stream.controller).toBeInstanceOf(AbortController);
    const [left, right] = stream.tee();
    const read = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
      return text;
    };
    const [a, b] = await Promise.all([read(left), read(right)]);
    expect(a).toContain('tee this');
    expect(b).toBe(a);
    const readable = (
      await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'readable' }],
        stream: true,
      })
    ).toReadableStream();
    const reader = readable.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    expect(bytes).toBeGreaterThan(0);
    const spans = await exported();
    expect(spans).toHaveLength(2);
    const teed = spans.find((s) =>
      (s.attributes[GenAI.INPUT_MESSAGES] as string).includes('tee this'),
    );
    expect(JSON.stringify(jsonAttr(teed as never, GenAI.OUTPUT_MESSAGES))).toContain(a);
  });

  it('records tool calls, plain and streamed', async () => {
    const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
    const plain = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages,
      tools: [weatherTool],
    });
    const call = plain.choices[0]?.message.tool_calls?.[0];
    const streamed = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages,
      tools: [weatherTool],
      stream: true,
    });
    for await (const _ of streamed) {
      // consume
    }
    const spans = await exported();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes[GenAI.RESPONSE_FINISH_REASONS]).toEqual(['tool_calls']);
      const out = jsonAttr(span, GenAI.OUTPUT_MESSAGES) as {
        parts: { type: string; name: string; arguments: unknown }[];
      }[];
      const part = out[0]?.parts.find((p) => p.type === 'tool_call');
      expect(part?.name).toBe('get_weather');
      expect(part?.arguments).toEqual(
        JSON.parse(call?.type === 'function' ? call.function.arguments : '{}'),
      );
    }
  });

  it('records every choice when n > 1', async () => {
    const response = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'two please' }],
      n: 2,
    });
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.attributes[GenAI.REQUEST_CHOICE_COUNT]).toBe(2);
    expect(span.attributes[GenAI.RESPONSE_FINISH_REASONS]).toEqual(['stop', 'stop']);
    const out = jsonAttr(span, GenAI.OUTPUT_MESSAGES) as { parts: { content: string }[] }[];
    expect(out.map((m) => m.parts[0]?.content)).toEqual(
      response.choices.map((c) => c.message.content),
    );
  });

  it('derives confidence from logprobs when they were requested (plain and streamed)', async () => {
    const response = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'how sure are you' }],
      logprobs: true,
    });
    const probs = (response.choices[0]?.logprobs?.content ?? []).map((t) => Math.exp(t.logprob));
    expect(probs.length).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'how sure are you' }],
      logprobs: true,
      stream: true,
    });
    for await (const _ of stream) {
      // consume
    }
    const spans = await exported();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes[Pilotlight.CONFIDENCE]).toBeCloseTo(
        probs.reduce((s, p) => s + p, 0) / probs.length,
        12,
      );
      expect(span.attributes[Pilotlight.CONFIDENCE_MIN]).toBeCloseTo(Math.min(...probs), 12);
    }
  });

  it('records no cost for an unknown model', async () => {
    await openai.chat.completions.create({
      model: 'acme-private-llm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const span = only(await exported(), 'chat acme-private-llm');
    expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    expect(span.attributes[Pilotlight.COST_USD]).toBeUndefined();
  });
});

describe('wrapOpenAI errors', () => {
  it('records a provider error and re-throws the client error unchanged', async () => {
    const error = await openai.chat.completions
      .create({ model: 'mock-error-429', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const span = only(await exported(), 'chat mock-error-429');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[Otel.ERROR_TYPE]).toBe('429');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('records an aborted request', async () => {
    const controller = new AbortController();
    const pending = openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] },
      { signal: controller.signal, headers: { 'x-mock-delay-ms': '2000' } },
    );
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.attributes[Otel.ERROR_TYPE]).toBe('APIUserAbortError');
  });

  it('records a timeout', async () => {
    const error = await openai.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] },
        { timeout: 50, headers: { 'x-mock-delay-ms': '2000' } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const span = only(await exported(), 'chat gpt-4o-mini');
    expect(span.attributes[Otel.ERROR_TYPE]).toBe('APIConnectionTimeoutError');
  });

  it('ends a stream that fails mid-way with ERROR', async () => {
    const stream = await openai.chat.completions.create({
      model: 'mock-stream-error',
      messages: [{ role: 'user', content: 'break please' }],
      stream: true,
    });
    const error = await (async () => {
      for await (const _ of stream) {
        // consume until it breaks
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const span = only(await exported(), 'chat mock-stream-error');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[Otel.ERROR_TYPE]).toBeTypeOf('string');
  });
});

describe('wrapOpenAI responses and embeddings', () => {
  it('records responses.create plain and streamed', async () => {
    const plain = await openai.responses.create({
      model: 'gpt-4.1-mini',
      input: 'describe the sea',
      instructions: 'be poetic',
    });
    const stream = await openai.responses.create({
      model: 'gpt-4.1-mini',
      input: 'describe the sea',
      stream: true,
    });
    let streamedText = '';
    for await (const event of stream)
      if (event.type === 'response.output_text.delta') streamedText += event.delta;
    const spans = await exported();
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4.1-mini', 'chat gpt-4.1-mini']);
    const [p, s] = spans as [(typeof spans)[0], (typeof spans)[0]];
    expect(p.attributes[GenAI.RESPONSE_ID]).toBe(plain.id);
    expect(p.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(plain.usage?.input_tokens);
    expect(p.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(plain.usage?.output_tokens);
    expect(p.attributes[Pilotlight.COST_USD]).toBeGreaterThan(0);
    expect(jsonAttr(p, GenAI.SYSTEM_INSTRUCTIONS)).toEqual([
      { type: 'text', content: 'be poetic' },
    ]);
    expect(jsonAttr(p, GenAI.INPUT_MESSAGES)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'describe the sea' }] },
    ]);
    expect(jsonAttr(p, GenAI.OUTPUT_MESSAGES)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: plain.output_text }],
        finish_reason: 'stop',
      },
    ]);
    expect(s.attributes[Pilotlight.TIME_TO_FIRST_TOKEN_MS]).toBeGreaterThan(0);
    expect(s.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBeGreaterThan(0);
    expect(s.attributes[Pilotlight.USAGE_ESTIMATED]).toBeUndefined();
    expect(jsonAttr(s, GenAI.OUTPUT_MESSAGES)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: streamedText }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('records embeddings.create with dimension count and cost', async () => {
    const result = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a b c', 'd e'],
    });
    const span = only(await exported(), 'embeddings text-embedding-3-small');
    expect(span.attributes[GenAI.OPERATION_NAME]).toBe('embeddings');
    expect(span.attributes[GenAI.EMBEDDINGS_DIMENSION_COUNT]).toBe(
      result.data[0]?.embedding.length,
    );
    expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(result.usage.prompt_tokens);
    expect(span.attributes[Pilotlight.COST_USD]).toBe(
      computeCostUsd(prices.find('text-embedding-3-small'), {
        inputTokens: result.usage.prompt_tokens,
        outputTokens: null,
      }),
    );
  });

  it('leaves untraced parts of the client alone', () => {
    expect(openai.models).toBe(raw.models);
    expect(openai.baseURL).toBe(raw.baseURL);
    expect(wrapOpenAI(openai)).toBe(openai);
  });
});
