import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { flush, init, shutdown, traceCall } from '../src/index.js';

describe('init() in an app that already registered OpenTelemetry', () => {
  // The app's own setup, started before pilotlight: NodeSDK with its own exporter.
  const appExporter = new InMemorySpanExporter();
  const appProcessor = new SimpleSpanProcessor(appExporter);
  const appSdk = new NodeSDK({
    serviceName: 'app',
    spanProcessors: [appProcessor],
    instrumentations: [],
  });
  appSdk.start();

  const ours = new InMemorySpanExporter();
  init({ exporter: ours, flushOnExit: false, scheduledDelayMs: 20, serviceName: 'with-app-otel' });

  afterAll(async () => {
    await shutdown();
    await appSdk.shutdown();
  });

  it("keeps the app's provider, parents our spans under the app's active span, and exports ours itself", async () => {
    let appSpanId = '';
    let appTraceId = '';
    await trace.getTracer('app').startActiveSpan('POST /predict', async (server) => {
      appSpanId = server.spanContext().spanId;
      appTraceId = server.spanContext().traceId;
      await traceCall('predict', async () => 1);
      server.end();
    });
    await flush();
    const [predict] = ours.getFinishedSpans();
    expect(ours.getFinishedSpans().map((s) => s.name)).toEqual(['predict']);
    expect(predict?.spanContext().traceId).toBe(appTraceId);
    expect(predict?.parentSpanContext?.spanId).toBe(appSpanId);
    expect(predict?.resource.attributes['service.name']).toBe('with-app-otel');
    // The app's pipeline still gets its own span, untouched by ours.
    await appProcessor.forceFlush();
    expect(appExporter.getFinishedSpans().map((s) => s.name)).toEqual(['POST /predict']);
  });
});
