// Dialect normalisation: every instrumentation's span → the canonical GenAI fields.
// One mapping table per dialect (see the sibling files); this file detects which
// dialects a span carries, merges their readings by precedence and lists conflicts.
import { Otel, Pilotlight } from '../attributes.js';
import type { JsonValue } from '../json.js';
import type { NormalizedFields, SpanInput } from '../normalize.js';
import type { ChatMessage } from './messages.js';
import { openinference } from './openinference.js';
import { openllmetry } from './openllmetry.js';
import { otelGenAI } from './otel-genai.js';
import { otelGenAILegacy } from './otel-genai-legacy.js';
import { pilotlight } from './pilotlight.js';
import { isRecord, readNumber, readString, WarningList, type Warnings } from './read.js';
import type { CacheCounting, Dialect, DialectName, Extracted } from './types.js';
import { vercelAI } from './vercel-ai.js';

export type { ChatMessage, MessagePart } from './messages.js';
export { canonicalFinishReason, canonicalProvider } from './providers.js';
export type { CacheCounting, DialectName } from './types.js';

/**
 * Which dialect a span is reported as (`sourceDialect`), most specific first: a span
 * from OpenInference, the Vercel AI SDK or OpenLLMetry often carries `gen_ai.*`
 * attributes too, but its own markers say which instrumentation made it.
 */
export const DIALECT_DETECTION_ORDER: readonly DialectName[] = [
  'openinference',
  'vercel-ai',
  'openllmetry',
  'pilotlight',
  'otel-genai',
  'otel-genai-legacy',
];

/**
 * Which dialect's reading of a field wins when several carry it: the current GenAI
 * conventions (exact units and meanings), then pilotlight's additions, the
 * instrumentation-specific tables, and semconv <= 1.36 last. When two readings
 * disagree the first is kept and a warning names both.
 */
export const FIELD_PRECEDENCE: readonly DialectName[] = [
  'otel-genai',
  'pilotlight',
  'openinference',
  'vercel-ai',
  'openllmetry',
  'otel-genai-legacy',
];

/**
 * How far a time to first chunk may exceed the span's duration before it is dropped:
 * instrumentations time it with `Date.now()` (1 ms steps) while span times come from a
 * monotonic clock, so a first chunk that ends the stream can read a little late.
 */
const TTFT_CLOCK_TOLERANCE_MS = 5;

const DIALECTS: Readonly<Record<DialectName, Dialect>> = {
  'otel-genai': otelGenAI,
  'otel-genai-legacy': otelGenAILegacy,
  pilotlight,
  openllmetry,
  openinference,
  'vercel-ai': vercelAI,
};

/** The dialects whose markers a span carries, in detection order. */
export function detectDialects(span: SpanInput): DialectName[] {
  return DIALECT_DETECTION_ORDER.filter((name) => DIALECTS[name].detect(span));
}

type Reading = { dialect: Dialect; fields: Partial<Extracted> };

/** Fields compared across dialects; a disagreement becomes a warning. */
const COMPARED = [
  'operation',
  'provider',
  'model',
  'responseModel',
  'responseId',
  'finishReasons',
  'ttftMs',
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheCreationInputTokens',
  'reasoningOutputTokens',
] as const;

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
  return JSON.stringify(a) === JSON.stringify(b);
}

function pick<K extends keyof Extracted>(
  readings: Reading[],
  field: K,
  w: Warnings | null,
): Reading | null {
  let chosen: Reading | null = null;
  for (const r of readings) {
    const v = r.fields[field];
    if (v === undefined || v === null) continue;
    if (chosen === null) chosen = r;
    else if (w !== null && !same(chosen.fields[field], v)) {
      w.add(
        `conflicting ${String(field)}: ${JSON.stringify(chosen.fields[field])} (${chosen.dialect.name}) vs ${JSON.stringify(v)} (${r.dialect.name}); kept the first`,
      );
    }
  }
  return chosen;
}

function value<K extends keyof Extracted>(
  readings: Reading[],
  field: K,
  w: Warnings | null,
): Extracted[K] | null {
  const r = pick(readings, field, w);
  return r === null ? null : (r.fields[field] as Extracted[K]);
}

interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  reasoningOutputTokens: number | null;
}

/**
 * The canonical counts: input includes cache reads and writes, output includes
 * reasoning (as the GenAI conventions define them), whatever the dialect did.
 */
export function resolveUsage(
  raw: Usage & { totalTokens: number | null },
  counting: CacheCounting,
  w: Warnings,
): Usage {
  const {
    outputTokens,
    cacheReadInputTokens,
    cacheCreationInputTokens,
    reasoningOutputTokens,
    totalTokens,
  } = raw;
  let inputTokens = raw.inputTokens;
  const cache = (cacheReadInputTokens ?? 0) + (cacheCreationInputTokens ?? 0);
  if (inputTokens !== null && cache > 0) {
    let outside = counting === 'outside';
    if (counting === 'infer') {
      const sumOutside = inputTokens + (outputTokens ?? 0) + cache;
      outside = (totalTokens !== null && totalTokens === sumOutside) || cache > inputTokens;
    } else if (counting === 'inside' && cache > inputTokens) {
      w.add(
        `cache token counts (${cache}) exceed input tokens (${inputTokens}); read as not included in them`,
      );
      outside = true;
    }
    if (outside) inputTokens += cache;
  }
  if (
    reasoningOutputTokens !== null &&
    outputTokens !== null &&
    reasoningOutputTokens > outputTokens
  ) {
    w.add(`reasoning tokens (${reasoningOutputTokens}) exceed output tokens (${outputTokens})`);
  }
  return {
    inputTokens,
    outputTokens,
    cacheReadInputTokens,
    cacheCreationInputTokens,
    reasoningOutputTokens,
  };
}

/** Output messages and finish reasons complete each other, so every dialect shows both. */
function joinFinishReasons(
  output: JsonValue | null,
  finishReasons: string[] | null,
): { output: JsonValue | null; finishReasons: string[] | null } {
  if (!Array.isArray(output) || !output.every((m) => isRecord(m) && Array.isArray(m.parts))) {
    return { output, finishReasons };
  }
  const messages = output as unknown as ChatMessage[];
  if (finishReasons === null) {
    const found = messages.map((m) => m.finish_reason).filter((f): f is string => f !== undefined);
    return { output, finishReasons: found.length > 0 ? found : null };
  }
  const filled = messages.map((m, i) => {
    const f = finishReasons[i];
    return m.finish_reason === undefined && f !== undefined ? { ...m, finish_reason: f } : m;
  });
  return { output: filled as unknown as JsonValue, finishReasons };
}

function normalize(span: SpanInput): NormalizedFields {
  const w = new WarningList();
  const a = span.attributes;
  const detected = detectDialects(span);
  const readings: Reading[] = FIELD_PRECEDENCE.filter((n) => detected.includes(n)).map((n) => ({
    dialect: DIALECTS[n],
    fields: DIALECTS[n].extract(span, w),
  }));

  for (const field of COMPARED) pick(readings, field, w);
  const wrapper = readings.some((r) => r.fields.wrapper === true);
  const cacheReading =
    pick(readings, 'cacheReadInputTokens', null) ??
    pick(readings, 'cacheCreationInputTokens', null);
  // A dialect that knows how this span counts says so, even when another dialect's
  // table read the numbers (OpenLLMetry's Anthropic spans use the semconv cache names).
  const counting =
    readings.find((r) => r.fields.cacheCounting !== undefined)?.fields.cacheCounting ??
    cacheReading?.dialect.cacheCounting ??
    'inside';
  const usage = wrapper
    ? {
        inputTokens: null,
        outputTokens: null,
        cacheReadInputTokens: null,
        cacheCreationInputTokens: null,
        reasoningOutputTokens: null,
      }
    : resolveUsage(
        {
          inputTokens: value(readings, 'inputTokens', null),
          outputTokens: value(readings, 'outputTokens', null),
          totalTokens: value(readings, 'totalTokens', null),
          cacheReadInputTokens: value(readings, 'cacheReadInputTokens', null),
          cacheCreationInputTokens: value(readings, 'cacheCreationInputTokens', null),
          reasoningOutputTokens: value(readings, 'reasoningOutputTokens', null),
        },
        counting,
        w,
      );

  let ttftMs = value(readings, 'ttftMs', null);
  const durationMs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  if (ttftMs !== null && durationMs > 0 && ttftMs > durationMs + TTFT_CLOCK_TOLERANCE_MS) {
    w.add(`time to first chunk (${ttftMs} ms) is longer than the span (${durationMs} ms); dropped`);
    ttftMs = null;
  }

  let confidence = readNumber(a, Pilotlight.CONFIDENCE, w);
  if (confidence !== null && (confidence < 0 || confidence > 1)) {
    w.add(`${Pilotlight.CONFIDENCE} out of [0, 1]: ${confidence}`);
    confidence = null;
  }
  let costUsd = readNumber(a, Pilotlight.COST_USD, w);
  if (costUsd !== null && costUsd < 0) {
    w.add(`${Pilotlight.COST_USD} is negative: ${costUsd}`);
    costUsd = null;
  }

  const errorType = readString(a, Otel.ERROR_TYPE, w);
  const joined = joinFinishReasons(
    value(readings, 'output', null),
    value(readings, 'finishReasons', null),
  );
  return {
    operation: value(readings, 'operation', null),
    provider: value(readings, 'provider', null),
    model: value(readings, 'model', null),
    responseModel: value(readings, 'responseModel', null),
    responseId: value(readings, 'responseId', null),
    finishReasons: joined.finishReasons,
    ttftMs,
    ...usage,
    tokensEstimated: a[Pilotlight.USAGE_ESTIMATED] === true,
    costUsd,
    confidence,
    status: span.statusCode === 2 || errorType !== null ? 'error' : 'ok',
    errorType: errorType ?? (span.statusCode === 2 ? '_OTHER' : null),
    input: value(readings, 'input', null),
    output: joined.output,
    sourceDialect: detected[0] ?? null,
    warnings: w.list,
  };
}

/**
 * Derives the canonical GenAI fields of a span, whatever instrumentation sent it:
 * current or <= 1.36 GenAI semconv, OpenLLMetry, OpenInference, the Vercel AI SDK or
 * pilotlight's SDK. Never throws: malformed or conflicting attributes are left out
 * and listed in `warnings`; a span of no known dialect gets null GenAI fields.
 *
 * @example
 * const fields = normalizeSpan(span);
 * fields.sourceDialect; // 'openinference'
 * fields.inputTokens;   // 1000 (cache reads included, as the conventions count them)
 */
export function normalizeSpan(span: SpanInput): NormalizedFields {
  try {
    return normalize(span);
  } catch (err) {
    // A bug here must not lose the span: store it with no GenAI fields and say why.
    return {
      operation: null,
      provider: null,
      model: null,
      responseModel: null,
      responseId: null,
      finishReasons: null,
      ttftMs: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadInputTokens: null,
      cacheCreationInputTokens: null,
      reasoningOutputTokens: null,
      tokensEstimated: false,
      costUsd: null,
      confidence: null,
      status: span.statusCode === 2 ? 'error' : 'ok',
      errorType: span.statusCode === 2 ? '_OTHER' : null,
      input: null,
      output: null,
      sourceDialect: null,
      warnings: [`normaliser failed: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
}
