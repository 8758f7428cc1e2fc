import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockModelServer, startMockModelServer } from '../src/index.js';

let mock: MockModelServer;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startMockModelServer();
  anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => mock.close());

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: { type: 'object', properties: { location: { type: 'string' } } },
};

describe('POST /v1/messages', () => {
  it('answers a plain request with text and usage', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello Claude' }],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Echo: Hello Claude' }],
      usage: {
        input_tokens: 4,
        output_tokens: 3,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
    expect(message.id).toMatch(/^msg_/);
  });

  it('reports cache reads and writes from metadata.user_id', async () => {
    const ask = (userId: string) =>
      anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        metadata: { user_id: userId },
        messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
      });
    expect((await ask('cache-hit')).usage).toMatchObject({
      input_tokens: 2,
      cache_read_input_tokens: 8,
      cache_creation_input_tokens: 0,
    });
    expect((await ask('cache-write')).usage).toMatchObject({
      input_tokens: 2,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 8,
    });
  });

  it('streams the real event sequence with usage in message_start and message_delta', async () => {
    const stream = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      stream: true,
      metadata: { user_id: 'cache-hit' },
      messages: [{ role: 'user', content: 'stream a few words' }],
    });
    const types: string[] = [];
    let text = '';
    let inputTokens: number | undefined;
    let cacheRead: number | null | undefined;
    let outputTokens: number | undefined;
    let stopReason: string | null | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') {
        inputTokens = event.message.usage.input_tokens;
        cacheRead = event.message.usage.cache_read_input_tokens;
      }
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text;
      }
      if (event.type === 'message_delta') {
        outputTokens = event.usage.output_tokens;
        stopReason = event.delta.stop_reason;
      }
    }
    expect(types.filter((t) => t !== 'content_block_delta')).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(1);
    expect(text).toBe('Echo: stream a few words');
    expect({ inputTokens, cacheRead, outputTokens, stopReason }).toEqual({
      inputTokens: 1,
      cacheRead: 3,
      outputTokens: 5,
      stopReason: 'end_turn',
    });
  });

  it('works with messages.stream and its final message', async () => {
    const final = await anthropic.messages
      .stream({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'helper check' }],
      })
      .finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Echo: helper check', citations: null }]);
    expect(final.usage.output_tokens).toBe(3);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('stops at max_tokens', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'a long reply' }],
    });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content).toEqual([{ type: 'text', text: 'Echo:', citations: null }]);
  });

  it('uses a tool when asked about the weather, plain and streaming', async () => {
    const params = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
    };
    const plain = await anthropic.messages.create(params);
    expect(plain.stop_reason).toBe('tool_use');
    const block = plain.content[0];
    expect(block).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { location: 'Paris' },
    });

    const streamed = await anthropic.messages.stream(params).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { location: 'Paris' },
    });

    if (block?.type !== 'tool_use') throw new Error('expected tool_use');
    const followUp = await anthropic.messages.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: plain.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: block.id, content: 'Rainy, 12C' }],
        },
      ],
    });
    expect(followUp.content).toEqual([
      { type: 'text', text: 'Tool result: Rainy, 12C', citations: null },
    ]);
  });

  it('uses the tool forced by tool_choice', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      tools: [weatherTool, { name: 'search', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'search' },
      messages: [{ role: 'user', content: 'anything' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'search' });
  });
});
