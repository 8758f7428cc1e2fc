import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpHttpJsonExporter, PilotlightSpanProcessor } from '../src/index.js';
import { OtlpSink } from './helpers/otlp-sink.js';

const sinks: OtlpSink[] = [];
const providers: BasicTracerProvider[] = [];

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
});

async function sink(port = 0): Promise<OtlpSink> {
  const s = await new OtlpSink().start(port);
  sinks.push(s);
  return s;
}

function pipeline(
  url: string,
  options: Partial<{
    maxQueueSize: number;
    maxExportBatchSize: number;
    retryDeadlineMs: number;
    warnings: string[];
  }> = {},
) {
  const exporter = new OtlpHttpJsonExporter({
    url: `${url}/v1/traces`,
    timeoutMs: 2_000,
    retryDeadlineMs: options.retryDeadlineMs ?? 30_000,
    initialBackoffMs: 100,
    maxBackoffMs: 300,
  });
  const warnings = options.warnings ?? [];
  const processor = new PilotlightSpanProcessor({
    exporter,
    maxQueueSize: options.maxQueueSize ?? 100,
    maxExportBatchSize: options.maxExportBatchSize ?? 50,
    scheduledDelayMs: 60_000,
    logger: { warn: (m) => warnings.push(m) },
  });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  providers.push(provider);
  const tracer = provider.getTracer('delivery-test');
  const emit = (n: number, prefix = 'span') => {
    for (let i = 0; i < n; i++) tracer.startSpan(`${prefix} ${i}`).end();
  };
  return { processor, emit };
}

describe('delivery', () => {
  it('keeps retrying while the collector is down and delivers once it is back', async () => {
    const first = await sink();
    const port = first.port;
    await first.stop();
    const { processor, emit } = pipeline(`http://127.0.0.1:${port}`);
    emit(5);
    const flushed = processor.forceFlush();
    await new Promise((r) => setTimeout(r, 1_000));
    const back = await sink(port);
    await flushed;
    expect(back.spans.map((s) => s.name).sort()).toEqual([
      'span 0',
      'span 1',
      'span 2',
      'span 3',
      'span 4',
    ]);
    expect(processor.getStats()).toMatchObject({ exported: 5, dropped: 0, queued: 0 });
  });

  it.each([429, 503])('waits for Retry-After on %i before retrying', async (status) => {
    const s = await sink();
    s.answers = [{ status, headers: { 'retry-after': '1' } }];
    const { processor, emit } = pipeline(s.url);
    emit(3);
    await processor.forceFlush();
    expect(s.arrivals.map((a) => a.status)).toEqual([status, 200]);
    const gapMs = (s.arrivals[1]?.atMs ?? 0) - (s.arrivals[0]?.atMs ?? 0);
    expect(gapMs).toBeGreaterThanOrEqual(950);
    expect(s.spans).toHaveLength(3);
  });

  it('does not retry a 400 and counts the batch as dropped', async () => {
    const s = await sink();
    s.answers = [{ status: 400 }];
    const warnings: string[] = [];
    const { processor, emit } = pipeline(s.url, { warnings });
    emit(4);
    await processor.forceFlush();
    expect(s.arrivals).toHaveLength(1);
    expect(processor.getStats()).toMatchObject({ exported: 0, droppedExportFailed: 4, dropped: 4 });
    expect(warnings).toHaveLength(1);
  });

  it('gives a batch up at the retry deadline and counts it', async () => {
    const s = await sink();
    s.answers = Array.from({ length: 50 }, () => ({ status: 503 }));
    const { processor, emit } = pipeline(s.url, { retryDeadlineMs: 800 });
    emit(2);
    await processor.forceFlush();
    expect(s.arrivals.length).toBeGreaterThan(1);
    expect(s.spans).toHaveLength(0);
    expect(processor.getStats().droppedExportFailed).toBe(2);
  });

  it('drops spans beyond the queue limit, counts them and warns once', async () => {
    const s = await sink();
    const warnings: string[] = [];
    const { processor, emit } = pipeline(s.url, {
      maxQueueSize: 10,
      maxExportBatchSize: 100,
      warnings,
    });
    emit(25);
    expect(processor.getStats()).toMatchObject({ queued: 10, droppedQueueFull: 15, dropped: 15 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('queue full');
    await processor.forceFlush();
    expect(s.spans).toHaveLength(10);
    await processor.shutdown();
    expect(warnings.at(-1)).toContain('15 spans were dropped in total');
  });

  it('sends batches of at most maxExportBatchSize spans', async () => {
    const s = await sink();
    const { processor, emit } = pipeline(s.url, { maxExportBatchSize: 4 });
    emit(10);
    await processor.forceFlush();
    expect(s.arrivals).toHaveLength(3);
    expect(s.spans).toHaveLength(10);
  });
});
