import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockModelServer, startMockModelServer } from '../src/index.js';

let mock: MockModelServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startMockModelServer();
  openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => mock.close());

const chat = (model: string, options?: OpenAI.RequestOptions) =>
  openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, options);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('fault injection (OpenAI)', () => {
  const cases = [
    [400, OpenAI.BadRequestError],
    [401, OpenAI.AuthenticationError],
    [429, OpenAI.RateLimitError],
    [500, OpenAI.InternalServerError],
    [503, OpenAI.InternalServerError],
  ] as const;

  for (const [status, ErrorClass] of cases) {
    it(`model mock-error-${status} surfaces as ${ErrorClass.name}`, async () => {
      const error = await rejection(chat(`mock-error-${status}`));
      expect(error).toBeInstanceOf(ErrorClass);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(status);
      expect(apiError.error).toMatchObject({
        message: expect.any(String),
        type: expect.any(String),
      });
      expect(apiError.requestID).toMatch(/^req_mock_/);
    });
  }

  it('sends Retry-After: 1 with a 429, and the client honours it when retrying', async () => {
    const error = (await rejection(chat('mock-error-429'))) as InstanceType<
      typeof OpenAI.RateLimitError
    >;
    expect(error.headers.get('retry-after')).toBe('1');
    expect(error.error).toMatchObject({ code: 'rate_limit_exceeded' });

    const retrying = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 1 });
    const before = mock.requests.length;
    await expect(
      retrying.chat.completions.create({
        model: 'mock-error-429',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(mock.requests.length - before).toBe(2);
  });

  it('injects errors through the x-mock-error header too, on every endpoint', async () => {
    const headers = { 'x-mock-error': '500' };
    await expect(chat('gpt-4o', { headers })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(
      openai.responses.create({ model: 'gpt-4o', input: 'hi' }, { headers }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(
      openai.embeddings.create({ model: 'e', input: 'hi' }, { headers }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('delays the answer by x-mock-delay-ms, so a client timeout fires', async () => {
    const error = await rejection(
      chat('gpt-4o', { headers: { 'x-mock-delay-ms': '5000' }, timeout: 100 }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('lets a client abort a delayed request', async () => {
    const controller = new AbortController();
    const pending = chat('gpt-4o', {
      headers: { 'x-mock-delay-ms': '5000' },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    expect(await rejection(pending)).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('still answers after a short delay', async () => {
    const reply = await chat('gpt-4o', { headers: { 'x-mock-delay-ms': '20' } });
    expect(reply.choices[0]?.message.content).toBe('Echo: hi');
  });

  it('spaces stream chunks by x-mock-chunk-delay-ms, so a consumer can abort mid-stream', async () => {
    const stream = await openai.chat.completions.create(
      {
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five six' }],
      },
      { headers: { 'x-mock-chunk-delay-ms': '200' } },
    );
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta.content ?? '');
      if (seen.length === 2) stream.controller.abort();
    }
    // The abort ends the iteration; the remaining chunks never arrive.
    expect(seen).toEqual(['', 'Echo:']);
  });

  it('model mock-stream-error breaks a stream after two chunks', async () => {
    const stream = await openai.chat.completions.create({
      model: 'mock-stream-error',
      stream: true,
      messages: [{ role: 'user', content: 'one two three four five six' }],
    });
    const seen: OpenAI.ChatCompletionChunk[] = [];
    const error = await rejection(
      (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })(),
    );
    expect(error).toBeInstanceOf(Error);
    expect(seen).toHaveLength(2);
    expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);
  });

  it('model mock-stream-error breaks a Responses stream after two events', async () => {
    const stream = await openai.responses.create({
      model: 'mock-stream-error',
      input: 'one two three',
      stream: true,
    });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    );
    expect(error).toBeInstanceOf(Error);
    expect(types).toEqual(['response.created', 'response.in_progress']);
  });

  it('model mock-stream-error drops a non-streaming request with a connection error', async () => {
    expect(await rejection(chat('mock-stream-error'))).toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe('fault injection (Anthropic)', () => {
  const cases = [
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [429, Anthropic.RateLimitError, 'rate_limit_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
    [503, Anthropic.InternalServerError, 'overloaded_error'],
  ] as const;

  for (const [status, ErrorClass, type] of cases) {
    it(`model mock-error-${status} surfaces as ${ErrorClass.name} with an Anthropic error body`, async () => {
      const error = await rejection(
        anthropic.messages.create({
          model: `mock-error-${status}`,
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(error).toBeInstanceOf(ErrorClass);
      const apiError = error as InstanceType<typeof Anthropic.APIError>;
      expect(apiError.status).toBe(status);
      expect(apiError.error).toMatchObject({ type: 'error', error: { type } });
      expect(apiError.requestID).toMatch(/^req_mock_/);
      if (status === 429) expect(apiError.headers?.get('retry-after')).toBe('1');
    });
  }

  it('injects errors through the x-mock-error header on /v1/messages', async () => {
    const error = await rejection(
      anthropic.messages.create(
        { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-mock-error': '529' } },
      ),
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'overloaded_error' },
    });
  });

  it('breaks an Anthropic stream after two events with mock-stream-error', async () => {
    const stream = await anthropic.messages.create({
      model: 'mock-stream-error',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'one two three four' }],
    });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    );
    expect(error).toBeInstanceOf(Error);
    // message_start, then the ping the client swallows.
    expect(types).toEqual(['message_start']);
  });
});
