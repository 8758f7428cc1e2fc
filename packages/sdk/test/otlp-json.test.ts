import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { type LightSpan, LightTracer } from '../src/export/light-span.js';
import {
  encodeSpanBytes,
  encodeTraceRequest,
  encodeTraceRequestBytes,
  hrTimeToNanos,
} from '../src/export/otlp-json.js';

/** Drops fields holding the proto3 default value, which encoders may omit. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      out[k] = normalise(v);
    }
    return out;
  }
  return value;
}

describe('encodeTraceRequest', () => {
  it('produces what the OpenTelemetry JSON serializer produces', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc', 'service.instance.id': 'i-1' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('scope-a', '1.2.3');
    const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'chat gpt-4o "quoted" \u2028',
      {
        kind: SpanKind.CLIENT,
        attributes: { s: 'x\ny', i: 42, d: 0.25, b: true, arr: ['a', 'b'], nums: [1, 2.5] },
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('exception', { 'exception.message': 'boom' });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    child.end();
    parent.end();
    provider.getTracer('scope-b').startSpan('other scope').end();
    const spans = exporter.getFinishedSpans();
    const ours = JSON.parse(encodeTraceRequest(spans));
    const reference = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)),
    );
    expect(normalise(ours)).toEqual(normalise(reference));
  });

  it('encodes pilotlight light spans as the OpenTelemetry serializer reads them', async () => {
    const ended: ReadableSpan[] = [];
    const tracer = new LightTracer({
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
      scope: { name: 'pilotlight', version: '9.9.9' },
      sink: { onEnd: (span) => ended.push(span) },
    });
    const parent = tracer.startSpan('agent', SpanKind.INTERNAL, { kind: 'agent' });
    const child = tracer.startSpan(
      'chat gpt-4o',
      SpanKind.CLIENT,
      { 'gen_ai.request.model': 'gpt-4o' },
      trace.setSpan(context.active(), parent),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    child.setAttributes({ n: 3, ok: true, tags: ['a'] });
    child.recordException(new Error('boom'));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    child.end();
    parent.end();
    expect(ended.map((s) => s.name)).toEqual(['chat gpt-4o', 'agent']);
    const [first] = ended as [ReadableSpan];
    expect(first.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(first.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(first.duration[0] * 1e3 + first.duration[1] / 1e6).toBeGreaterThanOrEqual(4);
    const ours = JSON.parse(encodeTraceRequest(ended));
    const reference = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(ended)),
    );
    expect(normalise(ours)).toEqual(normalise(reference));
  });

  it('starts no recording span under a parent that was not sampled', () => {
    const ended: ReadableSpan[] = [];
    const tracer = new LightTracer({
      resource: resourceFromAttributes({}),
      scope: { name: 'pilotlight' },
      sink: { onEnd: (span) => ended.push(span) },
    });
    const unsampled = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 0,
    });
    const span = tracer.startSpan(
      'x',
      SpanKind.CLIENT,
      {},
      trace.setSpan(context.active(), unsampled),
    );
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe('a'.repeat(32));
    expect(ended).toEqual([]);
  });

  it('writes the same request as UTF-8 bytes, across resources, scopes and non-ASCII text', () => {
    const ended: ReadableSpan[] = [];
    const sink = { onEnd: (span: ReadableSpan) => ended.push(span) };
    const a = new LightTracer({
      resource: resourceFromAttributes({ 'service.name': 'café ☕' }),
      scope: { name: 'pilotlight', version: '1' },
      sink,
    });
    const b = new LightTracer({
      resource: resourceFromAttributes({ 'service.name': 'other' }),
      scope: { name: 'pilotlight' },
      sink,
    });
    a.startSpan('chat "ü" \u2028 😀', SpanKind.CLIENT, { text: 'naïve → 😀', n: 1.5 }).end();
    b.startSpan('second', SpanKind.INTERNAL, { tags: ['x', 'ÿ'] }).end();
    a.startSpan('third', SpanKind.CLIENT, {}).end();
    const bytes = encodeTraceRequestBytes(ended);
    expect(bytes.equals(Buffer.from(encodeTraceRequest(ended), 'utf8'))).toBe(true);
    // Spans encoded early (as pilotlight's exporter does right after enrichment) give the same bytes.
    (ended[0] as LightSpan).encoded = encodeSpanBytes(ended[0] as LightSpan);
    (ended[2] as LightSpan).encoded = encodeSpanBytes(ended[2] as LightSpan);
    expect(encodeTraceRequestBytes(ended).equals(bytes)).toBe(true);
    const body = JSON.parse(bytes.toString('utf8')) as {
      resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
    };
    expect(body.resourceSpans.map((r) => r.scopeSpans[0]?.spans.map((s) => s.name))).toEqual([
      ['chat "ü" \u2028 😀', 'third'],
      ['second'],
    ]);
    expect(normalise(body)).toEqual(
      normalise(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(ended)))),
    );
  });

  it('writes nanosecond timestamps exactly', () => {
    expect(hrTimeToNanos([1_700_000_000, 5])).toBe('1700000000000000005');
    expect(hrTimeToNanos([0, 123])).toBe('123');
  });
});
