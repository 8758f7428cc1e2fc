// First cut: the current GenAI semantic conventions and pilotlight's own attributes.
// The other dialects (semconv <= 1.36, OpenLLMetry, OpenInference, Vercel AI SDK)
// are added here, one mapping table per dialect.
import { GenAI, Otel, Pilotlight } from '../attributes.js';
import type { JsonValue } from '../json.js';
import type { NormalizedFields, SpanInput } from '../normalize.js';

const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: JsonValue | undefined): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
};
const num = (v: JsonValue | undefined): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};
const json = (v: JsonValue | undefined): JsonValue | null => {
  if (v === undefined) return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as JsonValue;
  } catch {
    return v;
  }
};

/** Derives the canonical GenAI fields of a span. Never throws: problems go to `warnings`. */
export function normalizeSpan(span: SpanInput): NormalizedFields {
  const a = span.attributes;
  const warnings: string[] = [];
  const operation = str(a[GenAI.OPERATION_NAME]);
  const isGenAI = operation !== null || str(a[GenAI.REQUEST_MODEL]) !== null;
  const finish = a[GenAI.RESPONSE_FINISH_REASONS];
  const ttftSeconds = num(a[GenAI.RESPONSE_TIME_TO_FIRST_CHUNK]);
  const ttftMs = num(a[Pilotlight.TIME_TO_FIRST_TOKEN_MS]) ?? (ttftSeconds === null ? null : ttftSeconds * 1000);
  let confidence = num(a[Pilotlight.CONFIDENCE]);
  if (confidence !== null && (confidence < 0 || confidence > 1)) {
    warnings.push(`${Pilotlight.CONFIDENCE} out of [0, 1]: ${confidence}`);
    confidence = null;
  }
  const errorType = str(a[Otel.ERROR_TYPE]);
  return {
    operation,
    provider: str(a[GenAI.PROVIDER_NAME]),
    model: str(a[GenAI.REQUEST_MODEL]) ?? str(a[GenAI.RESPONSE_MODEL]),
    responseModel: str(a[GenAI.RESPONSE_MODEL]),
    responseId: str(a[GenAI.RESPONSE_ID]),
    finishReasons: Array.isArray(finish) ? finish.filter((f): f is string => typeof f === 'string') : null,
    ttftMs,
    inputTokens: int(a[GenAI.USAGE_INPUT_TOKENS]),
    outputTokens: int(a[GenAI.USAGE_OUTPUT_TOKENS]),
    cacheReadInputTokens: int(a[GenAI.USAGE_CACHE_READ_INPUT_TOKENS]),
    cacheCreationInputTokens: int(a[GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS]),
    reasoningOutputTokens: int(a[GenAI.USAGE_REASONING_OUTPUT_TOKENS]),
    tokensEstimated: a[Pilotlight.USAGE_ESTIMATED] === true,
    costUsd: num(a[Pilotlight.COST_USD]),
    confidence,
    status: span.statusCode === 2 || errorType !== null ? 'error' : 'ok',
    errorType: errorType ?? (span.statusCode === 2 ? '_OTHER' : null),
    input: json(a[GenAI.INPUT_MESSAGES] ?? a[Pilotlight.INPUT]),
    output: json(a[GenAI.OUTPUT_MESSAGES] ?? a[Pilotlight.OUTPUT]),
    sourceDialect: isGenAI ? 'otel-genai' : null,
    warnings,
  };
}
