import type { AttributeValue } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { flush, type InitOptions, init, shutdown } from '../../src/index.js';

/** Starts the SDK with an in-memory exporter (everything else as in production: processor, enrichment, redaction). */
export function startSdk(options: InitOptions = {}): {
  exporter: InMemorySpanExporter;
  spans(): Promise<ReadableSpan[]>;
  stop(): Promise<void>;
} {
  const exporter = new InMemorySpanExporter();
  init({ flushOnExit: false, scheduledDelayMs: 20, ...options, exporter });
  return {
    exporter,
    async spans() {
      await flush();
      return exporter.getFinishedSpans();
    },
    async stop() {
      await shutdown();
    },
  };
}

/** The one exported span named `name` (fails the test when there are none or several). */
export function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span named ${name}, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  return found[0] as ReadableSpan;
}

/** A JSON attribute, parsed. */
export function jsonAttr(span: ReadableSpan, key: string): unknown {
  const value: AttributeValue | undefined = span.attributes[key];
  if (typeof value !== 'string') throw new Error(`${key} is not a JSON string: ${String(value)}`);
  return JSON.parse(value);
}
