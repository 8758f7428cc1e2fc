// Every attribute name in every dialect's mapping table lands in its canonical field.
import { describe, expect, it } from 'vitest';
import { OPENINFERENCE_TABLE } from '../src/dialects/openinference.js';
import { OPENLLMETRY_TABLE } from '../src/dialects/openllmetry.js';
import { OTEL_GENAI_TABLE } from '../src/dialects/otel-genai.js';
import { OTEL_GENAI_LEGACY_TABLE } from '../src/dialects/otel-genai-legacy.js';
import { PILOTLIGHT_TABLE } from '../src/dialects/pilotlight.js';
import type { FieldTable } from '../src/dialects/types.js';
import { VERCEL_AI_TABLE } from '../src/dialects/vercel-ai.js';
import { type JsonValue, type NormalizedFields, normalizeSpan } from '../src/index.js';
import { span } from './fixtures/spans.js';

interface Case {
  dialect: string;
  table: FieldTable;
  /** Attributes / scope that identify the dialect without setting the field under test. */
  marker: Record<string, JsonValue>;
  scopeName?: string;
  /** Raw operation value and what it maps to. */
  operation?: [string, string];
}

const CASES: Case[] = [
  { dialect: 'otel-genai', table: OTEL_GENAI_TABLE, marker: { 'gen_ai.operation.name': 'chat' } },
  {
    dialect: 'otel-genai-legacy',
    table: OTEL_GENAI_LEGACY_TABLE,
    marker: { 'gen_ai.system': 'openai' },
  },
  {
    dialect: 'openllmetry',
    table: OPENLLMETRY_TABLE,
    marker: {},
    scopeName: '@traceloop/instrumentation-openai',
    operation: ['completion', 'text_completion'],
  },
  {
    dialect: 'openinference',
    table: OPENINFERENCE_TABLE,
    marker: { 'openinference.span.kind': 'LLM' },
  },
  {
    dialect: 'vercel-ai',
    table: VERCEL_AI_TABLE,
    marker: { 'ai.operationId': 'ai.generateText.doGenerate' },
  },
  { dialect: 'pilotlight', table: PILOTLIGHT_TABLE, marker: {}, scopeName: '@pilotlight/sdk' },
];

const SAMPLES: Partial<Record<keyof NormalizedFields, [JsonValue, JsonValue]>> = {
  operation: ['embeddings', 'embeddings'],
  provider: ['Anthropic', 'anthropic'],
  model: ['some-model-1', 'some-model-1'],
  responseModel: ['some-model-1-2025-01-01', 'some-model-1-2025-01-01'],
  responseId: ['resp-42', 'resp-42'],
  finishReasons: [['max_tokens'], ['length']],
  inputTokens: [42, 42],
  outputTokens: [7, 7],
  cacheReadInputTokens: [3, 3],
  cacheCreationInputTokens: [2, 2],
  reasoningOutputTokens: [1, 1],
};

const rows = CASES.flatMap((c) => {
  const out: [string, string, string, Case, JsonValue, JsonValue][] = [];
  for (const [field, keys] of Object.entries(c.table)) {
    if (field === 'ttftMs') {
      for (const { key, toMs } of keys as readonly { key: string; toMs: number }[]) {
        out.push([c.dialect, key, 'ttftMs', c, 0.5, 0.5 * toMs]);
      }
      continue;
    }
    if (field === 'totalTokens') continue; // read only to infer cache counting (see normalize tests)
    let sample = SAMPLES[field as keyof NormalizedFields];
    if (field === 'operation' && c.operation) sample = c.operation;
    if (!sample) throw new Error(`no sample for ${field}`);
    for (const key of keys as readonly string[])
      out.push([c.dialect, key, field, c, sample[0], sample[1]]);
  }
  return out;
});

describe('dialect mapping tables', () => {
  it.each(rows)('%s: %s → %s', (dialect, key, field, c, raw, expected) => {
    const fields = normalizeSpan(
      span({ ...c.marker, [key]: raw }, c.scopeName ? { scopeName: c.scopeName } : {}),
    );
    expect(fields.sourceDialect).toBe(dialect);
    expect(fields[field as keyof NormalizedFields]).toEqual(expected);
    expect(fields.warnings).toEqual([]);
  });

  it('covers every canonical token field in the dialects that carry cache counts', () => {
    for (const table of [
      OTEL_GENAI_TABLE,
      OPENLLMETRY_TABLE,
      OPENINFERENCE_TABLE,
      VERCEL_AI_TABLE,
    ]) {
      expect(Object.keys(table)).toEqual(
        expect.arrayContaining(['inputTokens', 'outputTokens', 'cacheReadInputTokens']),
      );
    }
  });
});
