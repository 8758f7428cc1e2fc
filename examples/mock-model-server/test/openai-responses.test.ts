import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockModelServer, startMockModelServer } from '../src/index.js';

let mock: MockModelServer;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockModelServer();
  openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => mock.close());

describe('POST /v1/responses', () => {
  it('answers a plain request with output text and usage', async () => {
    const response = await openai.responses.create({
      model: 'gpt-4o',
      instructions: 'Be brief.',
      input: 'Name three colours',
      user: 'cache-hit',
    });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('gpt-4o-2024-08-06');
    expect(response.output_text).toBe('Echo: Name three colours');
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant' });
    // 2 instruction words + 3 input words; 80% of 5 cached.
    expect(response.usage).toMatchObject({
      input_tokens: 5,
      output_tokens: 4,
      total_tokens: 9,
      input_tokens_details: { cached_tokens: 4 },
    });
  });

  it('reads message-array input and answers the last user message', async () => {
    const response = await openai.responses.create({
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'input_text', text: 'second question' }] },
      ],
    });
    expect(response.output_text).toBe('Echo: second question');
    expect(response.usage?.input_tokens).toBe(6);
    expect(response.usage?.input_tokens_details.cached_tokens).toBe(0);
  });

  it('streams the real event sequence, ending with usage on response.completed', async () => {
    const stream = await openai.responses.create({
      model: 'gpt-4o',
      input: 'stream this please',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    const sequence: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types.filter((t) => t !== 'response.output_text.delta')).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(text).toBe('Echo: stream this please');
    expect(completed?.usage).toMatchObject({ input_tokens: 3, output_tokens: 4 });
    expect(completed?.usage?.input_tokens_details.cached_tokens).toBe(0);
  });

  it('works with the client responses.stream helper', async () => {
    const final = await openai.responses
      .stream({ model: 'gpt-4o', input: 'helper check' })
      .finalResponse();
    expect(final.output_text).toBe('Echo: helper check');
    expect(final.usage?.output_tokens).toBe(3);
  });

  it('calls a function tool, plain and streaming', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        strict: false,
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ];
    const plain = await openai.responses.create({
      model: 'gpt-4o',
      tools,
      input: 'weather in Paris?',
    });
    const call = plain.output[0];
    expect(call?.type).toBe('function_call');
    if (call?.type !== 'function_call') throw new Error('expected a function call');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });

    const final = await openai.responses
      .stream({ model: 'gpt-4o', tools, input: 'weather in Paris?' })
      .finalResponse();
    const streamed = final.output[0];
    expect(streamed?.type === 'function_call' && streamed.arguments).toBe(call.arguments);

    const followUp = await openai.responses.create({
      model: 'gpt-4o',
      tools,
      input: [
        { role: 'user', content: 'weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: 'Sunny' },
      ],
    });
    expect(followUp.output_text).toBe('Tool result: Sunny');
  });

  it('returns logprobs when included', async () => {
    const response = await openai.responses.create({
      model: 'gpt-4o',
      input: 'x y',
      include: ['message.output_text.logprobs'],
      top_logprobs: 1,
    });
    const part = response.output[0]?.type === 'message' ? response.output[0].content[0] : undefined;
    expect(part?.type === 'output_text' && part.logprobs?.map((l) => l.logprob)).toEqual([
      -0.05, -0.1, -0.15,
    ]);
  });
});
