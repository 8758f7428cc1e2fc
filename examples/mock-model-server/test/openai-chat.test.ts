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

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a place',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['location'],
    },
  },
};

describe('POST /v1/chat/completions', () => {
  it('echoes the last user message with word-count usage and a dated model', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe('gpt-4o-2024-08-06');
    expect(reply.choices).toHaveLength(1);
    expect(reply.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'Echo: What is the capital of France?',
    });
    expect(reply.choices[0]?.finish_reason).toBe('stop');
    // 3 system words + 6 user words; 7 reply words.
    expect(reply.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 7,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it('gives every call its own id and echoes unknown models unchanged', async () => {
    const ask = () =>
      openai.chat.completions.create({
        model: 'my-fine-tune',
        messages: [{ role: 'user', content: 'hi' }],
      });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.id).not.toBe(b.id);
    expect(a.model).toBe('my-fine-tune');
  });

  it('reports 80% of the prompt as cached when user is "cache-hit"', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      user: 'cache-hit',
      messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
    });
    expect(reply.usage?.prompt_tokens).toBe(10);
    expect(reply.usage?.prompt_tokens_details?.cached_tokens).toBe(8);
  });

  it('streams role, content and finish chunks, then usage when include_usage is set', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Tell me a short story' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Echo: Tell me a short story');
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(1);
    for (const c of contentChunks) expect(c.choices[0]?.delta.content?.length).toBeLessThan(10);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(last?.model).toBe('gpt-4o-2024-08-06');
  });

  it('streams without a usage chunk unless asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('works with the client stream helper', async () => {
    const stream = openai.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'helper check' }],
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('Echo: helper check');
    expect(final.usage?.total_tokens).toBe(5);
  });

  it('returns n choices, each with its own text', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      n: 3,
      messages: [{ role: 'user', content: 'pick one' }],
    });
    expect(reply.choices.map((c) => [c.index, c.message.content])).toEqual([
      [0, 'Echo: pick one'],
      [1, 'Echo 2: pick one'],
      [2, 'Echo 3: pick one'],
    ]);
    // 3 + 4 + 4 words.
    expect(reply.usage?.completion_tokens).toBe(11);
  });

  it('streams n choices', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      n: 2,
      stream: true,
      messages: [{ role: 'user', content: 'pick one' }],
    });
    const texts = ['', ''];
    const finish: (string | null | undefined)[] = [];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finish[choice.index] = choice.finish_reason;
      }
    }
    expect(texts).toEqual(['Echo: pick one', 'Echo 2: pick one']);
    expect(finish).toEqual(['stop', 'stop']);
  });

  it('returns deterministic negative per-token logprobs with top alternatives', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      logprobs: true,
      top_logprobs: 2,
      messages: [{ role: 'user', content: 'a b c d' }],
    });
    const content = reply.choices[0]?.logprobs?.content ?? [];
    expect(content.map((t) => t.token)).toEqual(['Echo:', ' a', ' b', ' c', ' d']);
    expect(content.map((t) => t.logprob)).toEqual([-0.05, -0.1, -0.15, -0.2, -0.05]);
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(2);
      expect(t.top_logprobs[0]?.token).toBe(t.token);
      expect(t.top_logprobs[1]?.logprob).toBeLessThan(t.logprob);
    }
  });

  it('streams logprobs with each content chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      logprobs: true,
      messages: [{ role: 'user', content: 'a b c d' }],
    });
    const logprobs: number[] = [];
    for await (const chunk of stream) {
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) logprobs.push(t.logprob);
    }
    expect(logprobs).toEqual([-0.05, -0.1, -0.15, -0.2, -0.05]);
  });

  it('cuts the reply at max_tokens with finish_reason length', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'a long answer please' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: a');
    expect(reply.choices[0]?.finish_reason).toBe('length');
    expect(reply.usage?.completion_tokens).toBe(2);
  });
});

describe('tool calls', () => {
  it('calls the first tool when the user asks about the weather', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    const choice = reply.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris', unit: 'celsius' });
    expect(call.id).toMatch(/^call_/);
  });

  it('answers in text when tools are given but not needed', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Say hi' }],
    });
    expect(reply.choices[0]?.finish_reason).toBe('stop');
    expect(reply.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('calls the function forced by tool_choice', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [
        weatherTool,
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      messages: [{ role: 'user', content: 'anything' }],
    });
    const call = reply.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('lookup');
  });

  it('answers a tool result in text', async () => {
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21C' },
      ],
    });
    expect(reply.choices[0]?.message.content).toBe('Tool result: Sunny, 21C');
    expect(reply.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams tool-call deltas that the client helper reassembles', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'weather in Paris?' }],
    });
    let args = '';
    let name = '';
    let finish: string | null | undefined;
    let argumentChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const call of choice?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        if (call.function?.arguments) {
          args += call.function.arguments;
          argumentChunks++;
        }
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ location: 'Paris', unit: 'celsius' });
    expect(argumentChunks).toBeGreaterThan(1);
    expect(finish).toBe('tool_calls');

    const final = await openai.chat.completions
      .stream({
        model: 'gpt-4o',
        tools: [weatherTool],
        messages: [{ role: 'user', content: 'weather in Paris?' }],
      })
      .finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe(args);
  });
});
