// The Vercel AI SDK end to end: `ai` (v6) with `experimental_telemetry` and the
// @ai-sdk/openai chat provider against the local mock model server; its spans go through
// the official OTLP exporters (JSON and protobuf) into two real collectors and are read
// back from the query API. The hand-built layout is in dialects-handbuilt.test.ts.
import { createOpenAI } from '@ai-sdk/openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorPair,
  EXPECTED_INPUT,
  expectCanonical,
  MODEL,
  QUESTION,
  SYSTEM,
  startCollectorPair,
  storedIds,
  storedSince,
} from './dialects-harness.js';

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'vercel-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  openai = createOpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test' });
});

afterAll(async () => {
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

const telemetry = () => ({ isEnabled: true, tracer: provider.getTracer('ai') });

/** The stored spans since `before`, by `ai.operationId`. */
async function byOperation(before: Set<string>): Promise<Map<string, CallRecord>> {
  await provider.forceFlush();
  const stored = await storedSince(pair, before);
  return new Map(stored.map((r) => [String(r.attributes['ai.operationId']), r]));
}

describe('Vercel AI SDK (ai v6 telemetry) into the collector', () => {
  it('stores the provider call with the canonical fields, and its wrapper span unpriced', async () => {
    const before = await storedIds(pair);
    const result = await generateText({
      model: openai.chat(MODEL),
      system: SYSTEM,
      prompt: QUESTION,
      experimental_telemetry: telemetry(),
    });
    const spans = await byOperation(before);
    expect([...spans.keys()].sort()).toEqual(['ai.generateText', 'ai.generateText.doGenerate']);
    const call = spans.get('ai.generateText.doGenerate') as CallRecord;
    expectCanonical(
      call,
      {
        text: result.text,
        responseModel: result.response.modelId,
        promptTokens: result.usage.inputTokens ?? 0,
        completionTokens: result.usage.outputTokens ?? 0,
      },
      { sourceDialect: 'vercel-ai' },
    );
    expect(call).toMatchObject({ responseId: result.response.id, serviceName: 'vercel-app' });
    expect(call.warnings).toEqual([]);

    // The generateText span repeats the call's usage: shown with the prompt and output,
    // never counted or priced a second time.
    const wrapper = spans.get('ai.generateText') as CallRecord;
    expect(wrapper).toMatchObject({
      sourceDialect: 'vercel-ai',
      operation: null,
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
      costSource: null,
      input: EXPECTED_INPUT,
      output: call.output,
      warnings: [],
    });
  });

  it('stores a streamed call with the time to first chunk the SDK measured', async () => {
    const before = await storedIds(pair);
    const result = streamText({
      model: openai.chat(MODEL),
      system: SYSTEM,
      prompt: QUESTION,
      experimental_telemetry: telemetry(),
    });
    const text = await result.text;
    const usage = await result.usage;
    const response = await result.response;
    const call = (await byOperation(before)).get('ai.streamText.doStream') as CallRecord;
    const sent = call.attributes['ai.response.msToFirstChunk'];
    expect(typeof sent).toBe('number');
    expectCanonical(
      call,
      {
        text,
        responseModel: response.modelId,
        promptTokens: usage.inputTokens ?? 0,
        completionTokens: usage.outputTokens ?? 0,
      },
      { sourceDialect: 'vercel-ai', ttftMs: sent as number },
    );
    expect(call.warnings).toEqual([]);
  });
});
