import { SpanStatusCode, trace } from '@opentelemetry/api';
import { GenAI, Pilotlight } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceCall, wrapOpenAI } from '../src/index.js';
import { jsonAttr, only, startSdk } from './helpers/sdk.js';

let mock: MockModelServer;
let sdk: ReturnType<typeof startSdk>;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockModelServer();
  sdk = startSdk();
  openai = wrapOpenAI(new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 }));
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

describe('traceCall', () => {
  it('records input, output, model and an extractor confidence', async () => {
    const features = { tenureMonths: 3, plan: 'basic' };
    const out = await traceCall(
      'predict churn',
      async () => ({ label: 'churn', probabilities: [0.2, 0.8] }),
      {
        input: features,
        model: 'churn-v3',
        confidence: (o) => Math.max(...o.probabilities),
      },
    );
    expect(out.label).toBe('churn');
    const span = only(await exported(), 'predict churn');
    expect(span.attributes[GenAI.OPERATION_NAME]).toBe('predict');
    expect(span.attributes[GenAI.REQUEST_MODEL]).toBe('churn-v3');
    expect(span.attributes[Pilotlight.CONFIDENCE]).toBe(0.8);
    expect(span.attributes[Pilotlight.CONFIDENCE_SOURCE]).toBe('extractor');
    expect(jsonAttr(span, Pilotlight.INPUT)).toEqual(features);
    expect(jsonAttr(span, Pilotlight.OUTPUT)).toEqual(out);
  });

  it('records no confidence when the extractor gives none, an invalid value or throws', async () => {
    await traceCall('a', () => 1, { confidence: () => null });
    await traceCall('b', () => 1, { confidence: () => 1.7 });
    await traceCall('c', () => 1, {
      confidence: () => {
        throw new Error('broken extractor');
      },
    });
    const spans = await exported();
    expect(spans).toHaveLength(3);
    for (const span of spans) expect(span.attributes[Pilotlight.CONFIDENCE]).toBeUndefined();
  });

  it('records a thrown error and re-throws the very same object', async () => {
    const thrown = new TypeError('bad features');
    const caught = await traceCall('predict', () => {
      throw thrown;
    }).catch((e: unknown) => e);
    expect(caught).toBe(thrown);
    const span = only(await exported(), 'predict');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.events[0]?.attributes?.['exception.message']).toBe('bad features');
  });

  it('nests wrapped LLM calls and inner steps under an agent span', async () => {
    await traceCall(
      'support agent',
      async () => {
        await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        await traceCall('lookup order', async () => 'order 42', { kind: 'tool' });
      },
      { kind: 'agent' },
    );
    const spans = await exported();
    const agent = only(spans, 'support agent');
    const llm = only(spans, 'chat gpt-4o-mini');
    const tool = only(spans, 'lookup order');
    expect(agent.attributes[GenAI.OPERATION_NAME]).toBe('invoke_agent');
    expect(tool.attributes[GenAI.OPERATION_NAME]).toBe('execute_tool');
    for (const child of [llm, tool]) {
      expect(child.spanContext().traceId).toBe(agent.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    }
  });

  it('becomes the child of a span the app already has active (e.g. an HTTP server span)', async () => {
    const appTracer = trace.getTracer('app');
    let serverSpanId = '';
    await appTracer.startActiveSpan('GET /predict', async (server) => {
      serverSpanId = server.spanContext().spanId;
      await traceCall('predict', () => 1);
      server.end();
    });
    const span = only(await exported(), 'predict');
    expect(span.parentSpanContext?.spanId).toBe(serverSpanId);
  });
});
