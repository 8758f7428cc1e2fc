import type { JsonValue } from '../json.js';
import type { SpanInput } from '../normalize.js';
import { canonicalFinishReason, canonicalProvider } from './providers.js';
import { readCount, readDurationMs, readString, readStringList, type Warnings } from './read.js';

/** The instrumentation dialects the normaliser reads (the record's `sourceDialect`). */
export type DialectName =
  | 'pilotlight'
  | 'otel-genai'
  | 'otel-genai-legacy'
  | 'openllmetry'
  | 'openinference'
  | 'vercel-ai';

/**
 * How a dialect counts cache tokens relative to its input-token total.
 * - `inside`: the spec says cache reads/writes are part of the input total;
 *   a cache count larger than the total is read as outside it, with a warning.
 * - `infer`: the instrumentation has done both across versions; cache counts are
 *   read as outside when `total = input + output + cache`, or when they exceed the
 *   input count, and as inside otherwise.
 * - `outside`: the instrumentation is known to report the provider's uncached rest
 *   as the input count (Anthropic's `input_tokens`); cache counts are added to it.
 */
export type CacheCounting = 'inside' | 'infer' | 'outside';

/** What one dialect table reads from a span, before the tables are merged. */
export interface Extracted {
  operation: string | null;
  provider: string | null;
  model: string | null;
  responseModel: string | null;
  responseId: string | null;
  finishReasons: string[] | null;
  ttftMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  reasoningOutputTokens: number | null;
  input: JsonValue | null;
  output: JsonValue | null;
  /**
   * Overrides the `cacheCounting` of whichever dialect read the cache counts, for this
   * span (when the span says exactly, or its instrumentation is known to count one way).
   */
  cacheCounting: CacheCounting;
  /** The span wraps model calls and repeats their usage (Vercel's `ai.generateText`): no tokens taken. */
  wrapper: boolean;
}

/** Token and scalar fields a table maps by attribute name. */
export type ScalarField = Exclude<
  keyof Extracted,
  'input' | 'output' | 'ttftMs' | 'cacheCounting' | 'wrapper'
>;

/**
 * A dialect's mapping table: for each canonical field, the attribute names that
 * carry it, most specific first. When two of them hold different valid values, the
 * first wins and a warning names both.
 */
export type FieldTable = Partial<Record<ScalarField, readonly string[]>> & {
  /** Time to first chunk: attribute name and the factor that converts its unit to ms. */
  ttftMs?: readonly { key: string; toMs: number }[];
};

/** One dialect: its mapping table, how to recognise it, and how to read it. */
export interface Dialect {
  readonly name: DialectName;
  readonly table: FieldTable;
  readonly cacheCounting: CacheCounting;
  /** True when the span carries this dialect's markers. */
  detect(span: SpanInput): boolean;
  /** Reads the table's fields, plus whatever needs more than a name (messages, events). */
  extract(span: SpanInput, w: Warnings): Partial<Extracted>;
}

const COUNT_FIELDS = new Set<ScalarField>([
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cacheReadInputTokens',
  'cacheCreationInputTokens',
  'reasoningOutputTokens',
]);

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads every field of a mapping table from the span's attributes. */
export function readTable(
  table: FieldTable,
  attrs: Record<string, JsonValue>,
  w: Warnings,
): Partial<Extracted> {
  const out: Partial<Extracted> = {};
  const record = out as Record<string, unknown>;
  for (const [field, keys] of Object.entries(table)) {
    if (field === 'ttftMs') continue;
    let chosen: { key: string; value: unknown } | null = null;
    for (const key of keys as readonly string[]) {
      const value = readField(field as ScalarField, attrs, key, w);
      if (value === null) continue;
      if (chosen === null) chosen = { key, value };
      else if (!same(chosen.value, value)) {
        w.add(
          `conflicting ${field}: ${chosen.key}=${JSON.stringify(chosen.value)} vs ${key}=${JSON.stringify(value)}`,
        );
      }
    }
    if (chosen !== null) record[field] = chosen.value;
  }
  for (const { key, toMs } of table.ttftMs ?? []) {
    const ms = readDurationMs(attrs, key, toMs, w);
    if (ms !== null && out.ttftMs === undefined) out.ttftMs = ms;
  }
  return out;
}

function readField(
  field: ScalarField,
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): unknown {
  if (COUNT_FIELDS.has(field)) return readCount(attrs, key, w);
  if (field === 'finishReasons')
    return readStringList(attrs, key, w)?.map(canonicalFinishReason) ?? null;
  const s = readString(attrs, key, w);
  if (s !== null && field === 'provider') return canonicalProvider(s);
  return s;
}
