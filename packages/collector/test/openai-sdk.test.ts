import type { CallRecord } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import { flush, init, shutdown, wrapOpenAI } from '@pilotlight/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, listAll, startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

/** The one stored call whose response id is `id`. */
async function callByResponseId(collector: Collector, id: string): Promise<CallRecord> {
  const matches = (await listAll(collector.url)).filter((s) => s.responseId === id);
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

describe('the official openai client through wrapOpenAI, into the collector', () => {
  let collector: Collector;
  let mock: MockModelServer;
  let client: OpenAI;

  beforeAll(async () => {
    collector = await startTestCollector();
    mock = await startMockModelServer();
    init({
      endpoint: collector.url,
      serviceName: 'chat-app',
      flushOnExit: false,
      scheduledDelayMs: 50,
    });
    client = wrapOpenAI(
      new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test-key', maxRetries: 0 }),
    );
  });
  afterAll(async () => {
    await shutdown();
    await mock.close();
    await collector.stop();
  });

  it('stores a non-streaming chat completion with model, tokens, latency, prompt and output', async () => {
    const prompt = 'What colour is the sky on a clear day?';
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
    });
    await flush();

    const call = await callByResponseId(collector, completion.id);
    expect(call).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      responseModel: completion.model,
      serviceName: 'chat-app',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      status: 'ok',
      projectId: 'default',
    });
    expect(call.inputTokens).toBeGreaterThan(0);
    expect(call.outputTokens).toBeGreaterThan(0);
    expect(call.durationMs).toBeGreaterThan(0);
    expect(call.costUsd).toBeGreaterThan(0);
    expect(JSON.stringify(call.input)).toContain(prompt);
    const answer = completion.choices[0]?.message.content ?? '';
    expect(answer.length).toBeGreaterThan(0);
    expect(JSON.stringify(call.output)).toContain(answer);

    const { status, body } = await getJson<{ traceId: string; spans: CallRecord[] }>(
      `${collector.url}/api/traces/${call.traceId}`,
    );
    expect(status).toBe(200);
    expect(body.spans.map((s) => s.spanId)).toContain(call.spanId);
  });

  it('stores a streamed chat completion with the assembled output and usage', async () => {
    const prompt = 'Count from one to five.';
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let id = '';
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    await flush();

    expect(text.length).toBeGreaterThan(0);
    expect(usage).toBeDefined();
    const call = await callByResponseId(collector, id);
    expect(call).toMatchObject({
      operation: 'chat',
      model: 'gpt-4o-mini',
      inputTokens: usage?.prompt_tokens,
      outputTokens: usage?.completion_tokens,
      status: 'ok',
    });
    expect(call.durationMs).toBeGreaterThan(0);
    expect(JSON.stringify(call.input)).toContain(prompt);
    expect(JSON.stringify(call.output)).toContain(text);
  });
});
