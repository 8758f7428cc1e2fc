// Hand-built spans in each GenAI semconv version, OpenLLMetry's flattened layout and
// the Vercel AI SDK's, describing one real call of the `openai` client to the mock model
// server; sent by the official OTLP exporters (JSON and protobuf) to two real collectors
// and read back from the query API. Every layout must give the same canonical record.
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallOutcome,
  CHAT_REQUEST,
  type CollectorPair,
  EXPECTED_INPUT,
  expectCanonical,
  expectedCall,
  outcomeOf,
  SYSTEM,
  startCollectorPair,
  storedBoth,
} from './dialects-harness.js';
import {
  HAND_BUILT,
  type ObservedCall,
  SEMCONV_136_EVENTS,
  SEMCONV_137,
  type SpanSpec,
} from './dialects-spans.js';

let pair: CollectorPair;
let mock: MockModelServer;
let provider: BasicTracerProvider;
let client: OpenAI;

/** A call as observed by the client, with its wall-clock span. */
interface TimedCall {
  observed: ObservedCall;
  outcome: CallOutcome;
  startMs: number;
  endMs: number;
}

let plain: TimedCall;
let streamed: TimedCall;

async function plainCall(): Promise<TimedCall> {
  const startMs = Date.now();
  const response = await client.chat.completions.create(CHAT_REQUEST);
  const endMs = Date.now();
  const outcome = outcomeOf(response);
  return {
    outcome,
    startMs,
    endMs: Math.max(endMs, startMs + 1),
    observed: {
      ...outcome,
      responseId: response.id,
      cachedTokens: response.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      ttftMs: null,
    },
  };
}

async function streamedCall(): Promise<TimedCall> {
  const startMs = Date.now();
  const t0 = performance.now();
  const stream = await client.chat.completions.create(
    {
      ...CHAT_REQUEST,
      stream: true,
      stream_options: { include_usage: true },
      // A visible gap before each chunk, so the time to first chunk is a real measurement.
    },
    { headers: { 'x-mock-chunk-delay-ms': '5' } },
  );
  let ttftMs: number | null = null;
  let text = '';
  let id = '';
  let model = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta.content;
    if (ttftMs === null && delta) ttftMs = Math.round((performance.now() - t0) * 1000) / 1000;
    text += delta ?? '';
    id = chunk.id;
    model = chunk.model;
    usage = chunk.usage ?? usage;
  }
  const durationMs = performance.now() - t0;
  if (ttftMs === null || !usage) throw new Error('unexpected mock stream');
  const outcome: CallOutcome = {
    text,
    responseModel: model,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
  };
  return {
    outcome,
    startMs,
    endMs: startMs + Math.ceil(durationMs) + 1,
    observed: { ...outcome, responseId: id, cachedTokens: 0, ttftMs },
  };
}

/** Emits one span through the real SDK and exporters; returns its ids. */
async function send(spec: SpanSpec, call: TimedCall): Promise<{ traceId: string; spanId: string }> {
  const span = provider.getTracer(spec.scope).startSpan(spec.name, {
    kind: SpanKind.CLIENT,
    startTime: call.startMs,
    attributes: spec.attributes,
  });
  for (const e of spec.events) span.addEvent(e.name, e.attributes, call.startMs + e.offsetMs);
  span.end(call.endMs);
  await provider.forceFlush();
  return span.spanContext();
}

beforeAll(async () => {
  pair = await startCollectorPair();
  mock = await startMockModelServer();
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'handbuilt-app' }),
    spanProcessors: [new SimpleSpanProcessor(pair.exporter)],
  });
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
  plain = await plainCall();
  streamed = await streamedCall();
});

afterAll(async () => {
  await provider.shutdown();
  await mock.close();
  await pair.stop();
});

describe.each(HAND_BUILT)('$label, over OTLP JSON and protobuf', (dialect) => {
  it('stores the call with the canonical fields and its dialect', async () => {
    const { traceId, spanId } = await send(dialect.build(plain.observed), plain);
    const { json } = await storedBoth(pair, traceId, spanId);
    expectCanonical(json, plain.outcome, { sourceDialect: dialect.sourceDialect });
    expect(json).toMatchObject({ responseId: plain.observed.responseId, warnings: [] });
    expect(json.serviceName).toBe('handbuilt-app');
  });

  it('stores the streamed call the same way, with its time to first chunk when sent', async () => {
    const { traceId, spanId } = await send(dialect.build(streamed.observed), streamed);
    const { json } = await storedBoth(pair, traceId, spanId);
    expectCanonical(json, streamed.outcome, {
      sourceDialect: dialect.sourceDialect,
      ttftMs: dialect.sendsTtft ? streamed.observed.ttftMs : null,
    });
    expect(json.warnings).toEqual([]);
  });
});

describe('one call, every layout', () => {
  it('gives the same canonical record whichever layout reported it', async () => {
    const canonical = (r: CallRecord) => ({
      operation: r.operation,
      provider: r.provider,
      model: r.model,
      responseModel: r.responseModel,
      responseId: r.responseId,
      finishReasons: r.finishReasons,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      costUsd: r.costUsd,
      costSource: r.costSource,
      input: r.input,
      output: r.output,
      status: r.status,
    });
    const records: CallRecord[] = [];
    for (const dialect of HAND_BUILT) {
      const { traceId, spanId } = await send(dialect.build(plain.observed), plain);
      records.push((await storedBoth(pair, traceId, spanId)).protobuf);
    }
    expect(new Set(records.map((r) => r.sourceDialect)).size).toBe(4);
    const [first, ...rest] = records.map(canonical);
    for (const r of rest) expect(r).toEqual(first);
  });
});

describe('what the normaliser cannot map or trust', () => {
  it('keeps unmapped attributes and the dialect, as sent', async () => {
    const spec = SEMCONV_137.build(plain.observed);
    spec.attributes = { ...spec.attributes, 'app.customer.tier': 'gold', 'app.retry': 2 };
    const { traceId, spanId } = await send(spec, plain);
    const { json } = await storedBoth(pair, traceId, spanId);
    expect(json.sourceDialect).toBe('otel-genai');
    expect(json.attributes).toMatchObject({
      'app.customer.tier': 'gold',
      'app.retry': 2,
      // Mapped attributes stay too, exactly as they came.
      'gen_ai.usage.input_tokens': plain.observed.promptTokens,
      'gen_ai.input.messages': spec.attributes['gen_ai.input.messages'],
      'resource.service.name': 'handbuilt-app',
    });
  });

  it('stores a span with malformed and conflicting GenAI attributes, listing each problem', async () => {
    const spec = SEMCONV_137.build(plain.observed);
    spec.attributes = {
      ...spec.attributes,
      'gen_ai.usage.input_tokens': 'many',
      'gen_ai.input.messages': '[{"role":"user",',
      'gen_ai.response.time_to_first_chunk': -1,
      // semconv <= 1.36 naming another provider on the same span.
      'gen_ai.system': 'anthropic',
    };
    const { traceId, spanId } = await send(spec, plain);
    const { json } = await storedBoth(pair, traceId, spanId);
    // What is valid is kept...
    expect(json).toMatchObject({
      sourceDialect: 'otel-genai',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      responseModel: plain.observed.responseModel,
      outputTokens: plain.observed.completionTokens,
      output: expectedCall(plain.outcome).output,
      // ...what is not is left out, never guessed.
      inputTokens: null,
      input: [{ role: 'system', parts: [{ type: 'text', content: SYSTEM }] }],
      ttftMs: null,
    });
    expect(json.warnings).toEqual([
      'gen_ai.usage.input_tokens: expected a non-negative integer, got "many"',
      'gen_ai.response.time_to_first_chunk: negative duration -1',
      'gen_ai.input.messages: not valid JSON',
      'conflicting provider: "openai" (otel-genai) vs "anthropic" (otel-genai-legacy); kept the first',
    ]);
    // The malformed values themselves are kept as sent.
    expect(json.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 'many',
      'gen_ai.input.messages': '[{"role":"user",',
      'gen_ai.system': 'anthropic',
    });
  });

  it('lists two names for one count that disagree, keeping the more specific', async () => {
    const spec = SEMCONV_136_EVENTS.build(plain.observed);
    spec.attributes = { ...spec.attributes, 'gen_ai.usage.prompt_tokens': 12 };
    const { traceId, spanId } = await send(spec, plain);
    const { json } = await storedBoth(pair, traceId, spanId);
    expect(json).toMatchObject({
      sourceDialect: 'otel-genai-legacy',
      inputTokens: plain.observed.promptTokens,
      input: EXPECTED_INPUT,
    });
    expect(json.warnings).toEqual([
      `conflicting inputTokens: gen_ai.usage.input_tokens=${plain.observed.promptTokens} vs gen_ai.usage.prompt_tokens=12`,
    ]);
  });
});
