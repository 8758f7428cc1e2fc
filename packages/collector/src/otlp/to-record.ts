import {
  type CallRecord,
  type JsonValue,
  normalizeSpan,
  Otel,
  type PriceBook,
  type SpanInput,
} from '@pilotlight/conventions';
import { collectorCost } from '../prices/price-call.js';

const RESOURCE_PREFIX = 'resource.';

function isoFromNanos(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

/**
 * Turns one decoded span into the canonical call record: GenAI fields from the
 * conventions' normaliser, times and ids from the span, and, when the sender did not
 * include a cost, a price from `prices` as in effect at the span's start (a project's
 * dated overrides apply to calls from their date on).
 */
export function toCallRecord(span: SpanInput, projectId: string, prices: PriceBook): CallRecord {
  // normalizeSpan never throws: a bug in it keeps the span with no GenAI fields and a warning.
  const n = normalizeSpan(span);
  const warnings = [...n.warnings];
  let durationNanos = span.endTimeUnixNano - span.startTimeUnixNano;
  if (durationNanos < 0n) {
    warnings.push('span ends before it starts; duration set to 0');
    durationNanos = 0n;
  }
  // A cost the SDK sent is kept as sent; otherwise the collector prices the call, or
  // leaves it unpriced (null, never $0) when the model or the token counts are unknown.
  const { costUsd, costSource } =
    n.costUsd !== null
      ? { costUsd: n.costUsd, costSource: 'sdk' as const }
      : collectorCost(prices, n, Number(span.startTimeUnixNano / 1_000_000n));
  const attributes: Record<string, JsonValue> = { ...span.attributes };
  for (const [key, value] of Object.entries(span.resourceAttributes)) {
    attributes[RESOURCE_PREFIX + key] = value;
  }
  const service = span.resourceAttributes[Otel.SERVICE_NAME];
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    projectId,
    name: span.name,
    operation: n.operation,
    provider: n.provider,
    model: n.model,
    responseModel: n.responseModel,
    responseId: n.responseId,
    finishReasons: n.finishReasons,
    serviceName: typeof service === 'string' && service !== '' ? service : null,
    startTime: isoFromNanos(span.startTimeUnixNano),
    endTime: isoFromNanos(span.startTimeUnixNano + durationNanos),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    durationMs: Number(durationNanos) / 1e6,
    ttftMs: n.ttftMs,
    inputTokens: n.inputTokens,
    outputTokens: n.outputTokens,
    cacheReadInputTokens: n.cacheReadInputTokens,
    cacheCreationInputTokens: n.cacheCreationInputTokens,
    reasoningOutputTokens: n.reasoningOutputTokens,
    tokensEstimated: n.tokensEstimated,
    costUsd,
    costSource,
    confidence: n.confidence,
    status: n.status,
    errorType: n.errorType,
    input: n.input,
    output: n.output,
    sourceDialect: n.sourceDialect,
    warnings,
    attributes,
  };
}
