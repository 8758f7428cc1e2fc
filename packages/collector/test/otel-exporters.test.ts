import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, listAll, startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

const inputMessages = [{ role: 'user', parts: [{ type: 'text', content: 'Is the sky blue?' }] }];
const outputMessages = [
  { role: 'assistant', parts: [{ type: 'text', content: 'Yes.' }], finish_reason: 'stop' },
];

describe.each([
  [
    '@opentelemetry/exporter-trace-otlp-http (JSON)',
    (url: string) => new OtlpHttpJsonExporter({ url }),
  ],
  [
    '@opentelemetry/exporter-trace-otlp-proto (protobuf)',
    (url: string) => new OtlpProtoExporter({ url }),
  ],
])('ingest from %s', (_name, makeExporter) => {
  let collector: Collector;
  let provider: BasicTracerProvider;

  beforeAll(async () => {
    collector = await startTestCollector();
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'checkout-api',
        'deployment.environment': 'test',
      }),
      spanProcessors: [new SimpleSpanProcessor(makeExporter(`${collector.url}/v1/traces`))],
    });
  });
  afterAll(async () => {
    await provider.shutdown();
    await collector.stop();
  });

  it('stores a trace of a GenAI call under a plain parent span, queryable by trace and by model', async () => {
    const tracer = provider.getTracer('pilotlight-test', '1.0.0');
    const parent = tracer.startSpan('handle request', { kind: SpanKind.SERVER });
    const ctx: Context = trace.setSpan(ROOT_CONTEXT, parent);
    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.id': 'chatcmpl-123',
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 1200,
          'gen_ai.usage.output_tokens': 300,
          'gen_ai.input.messages': JSON.stringify(inputMessages),
          'gen_ai.output.messages': JSON.stringify(outputMessages),
          'app.request.flag': true,
          'app.ratio': 0.25,
        },
      },
      ctx,
    );
    chat.end();
    const failing = tracer.startSpan(
      'chat claude-sonnet-4',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4',
          'error.type': 'RateLimitError',
        },
      },
      ctx,
    );
    failing.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    failing.end();
    parent.end();
    await provider.forceFlush();

    const traceId = parent.spanContext().traceId;
    const { status, body } = await getJson<{ traceId: string; spans: CallRecord[] }>(
      `${collector.url}/api/traces/${traceId}`,
    );
    expect(status).toBe(200);
    expect(body.traceId).toBe(traceId);
    expect(body.spans).toHaveLength(3);

    const byName = new Map(body.spans.map((s) => [s.name, s]));
    const root = byName.get('handle request')!;
    expect(root).toMatchObject({
      spanId: parent.spanContext().spanId,
      parentSpanId: null,
      serviceName: 'checkout-api',
      operation: null,
      model: null,
      inputTokens: null,
      costUsd: null,
      status: 'ok',
    });

    const call = byName.get('chat gpt-4o-mini')!;
    expect(call).toMatchObject({
      traceId,
      spanId: chat.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      projectId: 'default',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: 'chatcmpl-123',
      finishReasons: ['stop'],
      serviceName: 'checkout-api',
      inputTokens: 1200,
      outputTokens: 300,
      costSource: 'collector',
      status: 'ok',
      errorType: null,
      input: inputMessages,
      output: outputMessages,
    });
    // gpt-4o-mini: $0.15 in / $0.60 out per million tokens (conventions' price table).
    expect(call.costUsd).toBeCloseTo((1200 * 0.15 + 300 * 0.6) / 1e6, 12);
    expect(call.attributes).toMatchObject({
      'app.request.flag': true,
      'app.ratio': 0.25,
      'resource.service.name': 'checkout-api',
      'resource.deployment.environment': 'test',
    });
    expect(call.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(call.endTime)).toBeGreaterThanOrEqual(Date.parse(call.startTime));

    const failed = byName.get('chat claude-sonnet-4')!;
    expect(failed).toMatchObject({
      status: 'error',
      errorType: 'RateLimitError',
      provider: 'anthropic',
    });

    // The same call through the listing, filtered by model.
    const listed = await listAll(collector.url, { model: 'gpt-4o-mini' });
    expect(listed.map((s) => s.spanId)).toEqual([chat.spanContext().spanId]);
    expect(listed[0]).toEqual(call);
    const errors = await listAll(collector.url, { status: 'error', traceId });
    expect(errors.map((s) => s.name)).toEqual(['chat claude-sonnet-4']);
  });
});
