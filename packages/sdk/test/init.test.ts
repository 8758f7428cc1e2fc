import { GenAI, Pilotlight } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  flush,
  getDeliveryStats,
  getDroppedSpanCount,
  init,
  shutdown,
  traceCall,
  wrapOpenAI,
} from '../src/index.js';
import { OtlpSink } from './helpers/otlp-sink.js';

let mock: MockModelServer;
let sink: OtlpSink;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockModelServer();
  sink = await new OtlpSink().start();
  openai = wrapOpenAI(new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 }));
});

afterEach(async () => {
  await shutdown();
  sink.spans.length = 0;
});

afterAll(async () => {
  await sink.stop();
  await mock.close();
});

const chat = (model = 'gpt-4o-mini') =>
  openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello world' }] });

describe('init', () => {
  it('exports over OTLP/HTTP JSON to endpoint + /v1/traces with the service name', async () => {
    init({ endpoint: sink.url, serviceName: 'checkout', flushOnExit: false });
    await chat();
    await flush();
    expect(sink.spans).toHaveLength(1);
    const span = sink.spans[0];
    expect(span?.name).toBe('chat gpt-4o-mini');
    expect(span?.resource['service.name']).toBe('checkout');
    expect(span?.attributes[GenAI.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    expect(JSON.parse(String(span?.attributes[GenAI.INPUT_MESSAGES]))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'hello world' }] },
    ]);
    expect(getDeliveryStats()).toMatchObject({ exported: 1, dropped: 0 });
    expect(getDroppedSpanCount()).toBe(0);
  });

  it('exports the same span when it was completed and encoded before its batch left', async () => {
    init({ endpoint: sink.url, serviceName: 'early', flushOnExit: false });
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'write to bob@example.com "now"' }],
    });
    // Let the post-call step run (enrichment and encoding), as it does between requests.
    await new Promise((resolve) => setImmediate(resolve));
    await flush();
    expect(sink.spans).toHaveLength(1);
    const span = sink.spans[0];
    expect(span?.resource['service.name']).toBe('early');
    expect(span?.attributes[GenAI.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    expect(span?.attributes[Pilotlight.COST_USD]).toBeGreaterThan(0);
    expect(JSON.parse(String(span?.attributes[GenAI.INPUT_MESSAGES]))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'write to [REDACTED:email] "now"' }] },
    ]);
    expect(JSON.parse(String(span?.attributes[GenAI.OUTPUT_MESSAGES]))).toHaveLength(1);
  });

  it('keeps only metadata with captureContent: false', async () => {
    init({ endpoint: sink.url, captureContent: false, flushOnExit: false });
    await chat();
    await traceCall('step', () => 'secret output', { input: 'secret input' });
    await flush();
    expect(sink.spans).toHaveLength(2);
    for (const span of sink.spans) {
      for (const key of [
        GenAI.INPUT_MESSAGES,
        GenAI.OUTPUT_MESSAGES,
        Pilotlight.INPUT,
        Pilotlight.OUTPUT,
      ])
        expect(span.attributes[key]).toBeUndefined();
    }
    expect(
      sink.spans.find((s) => s.name.startsWith('chat'))?.attributes[GenAI.USAGE_OUTPUT_TOKENS],
    ).toBeGreaterThan(0);
  });

  it('prices unknown models from init({ prices }) and overrides known ones', async () => {
    init({
      endpoint: sink.url,
      flushOnExit: false,
      prices: [
        {
          provider: 'acme',
          model: 'acme-llm',
          inputPerMTok: 1_000_000,
          outputPerMTok: 0,
          checkedAt: '2026-01-01',
        },
        {
          provider: 'openai',
          model: 'gpt-4o-mini',
          inputPerMTok: 0,
          outputPerMTok: 1_000_000,
          checkedAt: '2026-01-01',
        },
      ],
    });
    const acme = await chat('acme-llm');
    const mini = await chat('gpt-4o-mini');
    await flush();
    const byModel = (m: string) => sink.spans.find((s) => s.attributes[GenAI.REQUEST_MODEL] === m);
    expect(byModel('acme-llm')?.attributes[Pilotlight.COST_USD]).toBe(acme.usage?.prompt_tokens);
    expect(byModel('gpt-4o-mini')?.attributes[Pilotlight.COST_USD]).toBe(
      mini.usage?.completion_tokens,
    );
  });

  it('samples whole traces by ratio and keeps every errored call', async () => {
    init({ endpoint: sink.url, sampleRatio: 0, keepErrors: true, flushOnExit: false });
    await chat();
    await traceCall('ok step', () => 1);
    await chat('mock-error-503').catch(() => undefined);
    await traceCall('failing step', () => {
      throw new Error('boom');
    }).catch(() => undefined);
    await flush();
    expect(sink.spans.map((s) => s.name).sort()).toEqual(['chat mock-error-503', 'failing step']);
    expect(getDeliveryStats().sampledOut).toBe(2);
  });

  it('drops errors too when keepErrors is false', async () => {
    init({ endpoint: sink.url, sampleRatio: 0, keepErrors: false, flushOnExit: false });
    await chat('mock-error-503').catch(() => undefined);
    await flush();
    expect(sink.spans).toHaveLength(0);
  });

  it('keeps about `sampleRatio` of the traces, all spans of a kept trace together', async () => {
    init({ endpoint: sink.url, sampleRatio: 0.3, flushOnExit: false, maxQueueSize: 10_000 });
    const traces = 2000;
    for (let i = 0; i < traces; i++) {
      await traceCall('parent', () => traceCall('child', () => i));
    }
    await flush();
    const kept = sink.spans.filter((s) => s.name === 'parent').length;
    expect(kept / traces).toBeGreaterThan(0.24);
    expect(kept / traces).toBeLessThan(0.36);
    expect(sink.spans.filter((s) => s.name === 'child')).toHaveLength(kept);
  });

  it('never throws from a second init()', () => {
    const warnings: string[] = [];
    init({ endpoint: sink.url, flushOnExit: false });
    expect(() => init({ logger: { warn: (m) => warnings.push(m) } })).not.toThrow();
    expect(warnings[0]).toContain('init() called twice');
  });
});
