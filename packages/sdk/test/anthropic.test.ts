import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { computeCostUsd, createPriceBook, GenAI, Otel, Pilotlight } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapAnthropic } from '../src/index.js';
import { jsonAttr, only, startSdk } from './helpers/sdk.js';

let mock: MockModelServer;
let sdk: ReturnType<typeof startSdk>;
let anthropic: Anthropic;
const prices = createPriceBook();

beforeAll(async () => {
  mock = await startMockModelServer();
  sdk = startSdk();
  anthropic = wrapAnthropic(
    new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test', maxRetries: 0 }),
  );
});

afterAll(async () => {
  await sdk.stop();
  await mock.close();
});

async function exported() {
  const spans = await sdk.spans();
  sdk.exporter.reset();
  return spans;
}

const MODEL = 'claude-haiku-4-5';

describe('wrapAnthropic messages', () => {
  it('records a plain call, counting cache reads inside the input tokens', async () => {
    const message = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      system: 'You are terse.',
      metadata: { user_id: 'cache-hit' },
      messages: [{ role: 'user', content: 'tell me about the moon and the tides please' }],
    });
    const span = only(await exported(), `chat ${MODEL}`);
    expect(span.kind).toBe(SpanKind.CLIENT);
    const a = span.attributes;
    expect(a[GenAI.PROVIDER_NAME]).toBe('anthropic');
    expect(a[GenAI.REQUEST_MAX_TOKENS]).toBe(100);
    expect(a[GenAI.RESPONSE_ID]).toBe(message.id);
    expect(a[GenAI.RESPONSE_FINISH_REASONS]).toEqual([message.stop_reason]);
    const cacheRead = message.usage.cache_read_input_tokens ?? 0;
    expect(cacheRead).toBeGreaterThan(0);
    const totalInput =
      message.usage.input_tokens + cacheRead + (message.usage.cache_creation_input_tokens ?? 0);
    expect(a[GenAI.USAGE_INPUT_TOKENS]).toBe(totalInput);
    expect(a[GenAI.USAGE_CACHE_READ_INPUT_TOKENS]).toBe(cacheRead);
    expect(a[GenAI.USAGE_OUTPUT_TOKENS]).toBe(message.usage.output_tokens);
    expect(a[Pilotlight.COST_USD]).toBe(
      computeCostUsd(prices.find(MODEL), {
        inputTokens: totalInput,
        outputTokens: message.usage.output_tokens,
        cacheReadInputTokens: cacheRead,
        cacheCreationInputTokens: message.usage.cache_creation_input_tokens ?? 0,
      }),
    );
    expect(jsonAttr(span, GenAI.SYSTEM_INSTRUCTIONS)).toEqual([
      { type: 'text', content: 'You are terse.' },
    ]);
    const first = message.content[0];
    expect(jsonAttr(span, GenAI.OUTPUT_MESSAGES)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: first?.type === 'text' ? first.text : '' }],
        finish_reason: message.stop_reason,
      },
    ]);
  });

  it('records stream: true with time to first token and streamed usage', async () => {
    const stream = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'stream a short answer' }],
    });
    let text = '';
    let outputTokens = 0;
    let inputTokens = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text += event.delta.text;
      if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens;
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
    }
    const span = only(await exported(), `chat ${MODEL}`);
    expect(span.attributes[Pilotlight.STREAMING]).toBe(true);
    expect(span.attributes[Pilotlight.TIME_TO_FIRST_TOKEN_MS]).toBeGreaterThan(0);
    expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(inputTokens);
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(outputTokens);
    expect(jsonAttr(span, GenAI.OUTPUT_MESSAGES)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'end_turn' },
    ]);
  });

  it('records messages.stream() through the traced create', async () => {
    const final = await anthropic.messages
      .stream({
        model: MODEL,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'helper stream' }],
      })
      .finalMessage();
    const spans = await exported();
    expect(spans.map((s) => s.name)).toEqual([`chat ${MODEL}`]);
    const span = only(spans, `chat ${MODEL}`);
    expect(span.attributes[GenAI.RESPONSE_ID]).toBe(final.id);
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(final.usage.output_tokens);
    const first = final.content[0];
    expect(jsonAttr(span, GenAI.OUTPUT_MESSAGES)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: first?.type === 'text' ? first.text : '' }],
        finish_reason: final.stop_reason,
      },
    ]);
  });

  it('records tool use, plain and streamed', async () => {
    const params = {
      model: MODEL,
      max_tokens: 100,
      tools: [
        {
          name: 'get_weather',
          input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
        },
      ],
      messages: [{ role: 'user' as const, content: 'what is the weather in Paris' }],
    };
    const plain = await anthropic.messages.create(params);
    const tool = plain.content.find((b) => b.type === 'tool_use');
    const stream = await anthropic.messages.create({ ...params, stream: true });
    for await (const _ of stream) {
      // consume
    }
    const spans = await exported();
    expect(spans.map((s) => s.name)).toEqual([`chat ${MODEL}`, `chat ${MODEL}`]);
    for (const span of spans) {
      expect(span.attributes[GenAI.RESPONSE_FINISH_REASONS]).toEqual(['tool_use']);
      const out = jsonAttr(span, GenAI.OUTPUT_MESSAGES) as {
        parts: { type: string; name?: string; arguments?: unknown }[];
      }[];
      const part = out[0]?.parts.find((p) => p.type === 'tool_call');
      expect(part?.name).toBe('get_weather');
      expect(part?.arguments).toEqual(tool?.type === 'tool_use' ? tool.input : undefined);
    }
  });

  it('records a provider error and re-throws it', async () => {
    const error = await anthropic.messages
      .create({
        model: 'mock-error-500',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    const span = only(await exported(), 'chat mock-error-500');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[Otel.ERROR_TYPE]).toBe('500');
  });
});
