/**
 * The mapping between call records and `calls` rows, shared by the main thread (which
 * reads, and turns records into rows before handing them to the writer) and the writer
 * (thread or in-process).
 */
import { type CallRecord, GenAI, type JsonValue, Pilotlight } from '@pilotlight/conventions';
import type { RollupCallInput } from '../../rollups/rollup.js';

/** Columns of `calls` written by an insert, in the order of {@link toWireRow}. */
export const COLUMNS = [
  'project_id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'name',
  'operation',
  'provider',
  'model',
  'response_model',
  'response_id',
  'finish_reasons',
  'service_name',
  'start_ns',
  'end_ns',
  'ttft_ms',
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
  'reasoning_output_tokens',
  'tokens_estimated',
  'cost_usd',
  'cost_source',
  'confidence',
  'status',
  'error_type',
  'input',
  'output',
  'source_dialect',
  'warnings',
  'attributes',
  'received_at_ms',
] as const;

/** A `calls` row as read (with `safeIntegers`). */
export interface Row {
  seq: bigint;
  project_id: string;
  trace_id: Buffer;
  span_id: Buffer;
  parent_span_id: Buffer | null;
  name: string;
  operation: string | null;
  provider: string | null;
  model: string | null;
  response_model: string | null;
  response_id: string | null;
  finish_reasons: string | null;
  service_name: string | null;
  start_ns: bigint;
  end_ns: bigint;
  ttft_ms: number | null;
  input_tokens: bigint | null;
  output_tokens: bigint | null;
  cache_read_input_tokens: bigint | null;
  cache_creation_input_tokens: bigint | null;
  reasoning_output_tokens: bigint | null;
  tokens_estimated: bigint;
  cost_usd: number | null;
  cost_source: 'sdk' | 'collector' | null;
  confidence: number | null;
  status: 'ok' | 'error';
  error_type: string | null;
  input: string | null;
  output: string | null;
  source_dialect: string | null;
  warnings: string;
  attributes: string;
}

/**
 * Attributes whose value is often exactly the JSON text of the record's `input` or
 * `output` (the semconv messages, our SDK's own): the prompt and the completion would be
 * stored twice, in their column and in the attributes JSON. When the texts are equal, the
 * stored attributes hold a small placeholder in the attribute's place (its position kept)
 * and {@link fromRow} puts the column's text back, so reads see what was sent while a row
 * is about a third smaller (less to serialise, to post to the writer and to write).
 */
const SHARED_WITH_COLUMN: readonly (readonly [string, 'input' | 'output'])[] = [
  [GenAI.INPUT_MESSAGES, 'input'],
  [GenAI.OUTPUT_MESSAGES, 'output'],
  [Pilotlight.INPUT, 'input'],
  [Pilotlight.OUTPUT, 'output'],
];
/** The placeholder's only key: a NUL-led name no instrumentation sends. */
const PLACEHOLDER_KEY = '\u0000pilotlight.column';
const PLACEHOLDER = {
  input: Object.freeze({ [PLACEHOLDER_KEY]: 'input' }),
  output: Object.freeze({ [PLACEHOLDER_KEY]: 'output' }),
};

/** The attributes JSON of a record whose input and output JSON texts are given. */
function attributesJson(
  attributes: Record<string, JsonValue>,
  input: string | null,
  output: string | null,
): string {
  const saved: [string, JsonValue][] = [];
  for (const [key, column] of SHARED_WITH_COLUMN) {
    const value = attributes[key];
    if (typeof value !== 'string' || value !== (column === 'input' ? input : output)) continue;
    saved.push([key, value]);
    // In place for the one stringify (no copy of the attributes), then put back.
    attributes[key] = PLACEHOLDER[column];
  }
  const json = JSON.stringify(attributes);
  for (const [key, value] of saved) attributes[key] = value;
  return json;
}

/** Stored attributes with each placeholder replaced by its column's text. */
function restoreShared(attributes: Record<string, JsonValue>, row: Row): Record<string, JsonValue> {
  for (const [key, column] of SHARED_WITH_COLUMN) {
    const value = attributes[key];
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      value[PLACEHOLDER_KEY] === column &&
      row[column] !== null
    ) {
      attributes[key] = row[column];
    }
  }
  return attributes;
}

export const idBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');
const jsonOrNull = (v: JsonValue | readonly string[] | null): string | null =>
  v === null ? null : JSON.stringify(v);
const parseOrNull = <T>(v: string | null): T | null => (v === null ? null : (JSON.parse(v) as T));
const intOrNull = (v: bigint | null): number | null => (v === null ? null : Number(v));
const iso = (nanos: bigint): string => new Date(Number(nanos / 1_000_000n)).toISOString();

/**
 * A record as the writer receives it: the values of {@link COLUMNS} in order, ids still as
 * hex strings, then the call's exact `durationMs` (what rollups sketch) and its start as
 * text (as in the record, so the writer never converts a bigint back). Only strings,
 * numbers, bigints and nulls: cheap to post to a worker (a `Buffer` would drag its whole
 * 8 KiB pool slab through the structured clone), and JSON-heavy fields are already strings.
 */
export type WireRow = unknown[];

/** Position of `durationMs` in a {@link WireRow} (after the columns). */
export const WIRE_DURATION = COLUMNS.length;
/** Position of the exact start time as text (`startTimeUnixNano`) in a {@link WireRow}. */
const WIRE_START_TEXT = COLUMNS.length + 1;
const EMPTY_WARNINGS = '[]';

/** The {@link WireRow} of a record stored under `projectId`. */
export function toWireRow(projectId: string, r: CallRecord, receivedAtMs: number): WireRow {
  const start = BigInt(r.startTimeUnixNano);
  const end = start + BigInt(Math.round(r.durationMs * 1e6));
  const input = jsonOrNull(r.input);
  const output = jsonOrNull(r.output);
  return [
    projectId,
    r.traceId,
    r.spanId,
    r.parentSpanId,
    r.name,
    r.operation,
    r.provider,
    r.model,
    r.responseModel,
    r.responseId,
    jsonOrNull(r.finishReasons),
    r.serviceName,
    start,
    end,
    r.ttftMs,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadInputTokens,
    r.cacheCreationInputTokens,
    r.reasoningOutputTokens,
    r.tokensEstimated ? 1 : 0,
    r.costUsd,
    r.costSource,
    r.confidence,
    r.status,
    r.errorType,
    input,
    output,
    r.sourceDialect,
    r.warnings.length === 0 ? EMPTY_WARNINGS : JSON.stringify(r.warnings),
    attributesJson(r.attributes, input, output),
    receivedAtMs,
    r.durationMs,
    r.startTimeUnixNano,
  ];
}

/**
 * Turns a {@link WireRow} into the insert's parameters in place (ids to bytes, the
 * trailing duration dropped) and returns the fields rollups read.
 */
export function bindWireRow(wire: WireRow): RollupCallInput {
  const durationMs = wire[WIRE_DURATION] as number;
  const startTimeUnixNano = wire[WIRE_START_TEXT] as string;
  wire.length = COLUMNS.length;
  const traceId = wire[1] as string;
  wire[1] = idBytes(traceId);
  wire[2] = idBytes(wire[2] as string);
  if (wire[3] !== null) wire[3] = idBytes(wire[3] as string);
  return {
    projectId: wire[0] as string,
    serviceName: wire[11] as string | null,
    provider: wire[6] as string | null,
    model: wire[7] as string | null,
    responseModel: wire[8] as string | null,
    operation: wire[5] as string | null,
    startTimeUnixNano,
    durationMs,
    ttftMs: wire[14] as number | null,
    inputTokens: wire[15] as number | null,
    outputTokens: wire[16] as number | null,
    cacheReadInputTokens: wire[17] as number | null,
    costUsd: wire[21] as number | null,
    confidence: wire[23] as number | null,
    status: wire[24] as 'ok' | 'error',
  };
}

/** The record a stored row holds. */
export function fromRow(row: Row): CallRecord {
  return {
    traceId: row.trace_id.toString('hex'),
    spanId: row.span_id.toString('hex'),
    parentSpanId: row.parent_span_id === null ? null : row.parent_span_id.toString('hex'),
    projectId: row.project_id,
    name: row.name,
    operation: row.operation,
    provider: row.provider,
    model: row.model,
    responseModel: row.response_model,
    responseId: row.response_id,
    finishReasons: parseOrNull<string[]>(row.finish_reasons),
    serviceName: row.service_name,
    startTime: iso(row.start_ns),
    endTime: iso(row.end_ns),
    startTimeUnixNano: row.start_ns.toString(),
    durationMs: Number(row.end_ns - row.start_ns) / 1e6,
    ttftMs: row.ttft_ms,
    inputTokens: intOrNull(row.input_tokens),
    outputTokens: intOrNull(row.output_tokens),
    cacheReadInputTokens: intOrNull(row.cache_read_input_tokens),
    cacheCreationInputTokens: intOrNull(row.cache_creation_input_tokens),
    reasoningOutputTokens: intOrNull(row.reasoning_output_tokens),
    tokensEstimated: row.tokens_estimated === 1n,
    costUsd: row.cost_usd,
    costSource: row.cost_source,
    confidence: row.confidence,
    status: row.status,
    errorType: row.error_type,
    input: parseOrNull<JsonValue>(row.input),
    output: parseOrNull<JsonValue>(row.output),
    sourceDialect: row.source_dialect,
    warnings: JSON.parse(row.warnings) as string[],
    attributes: restoreShared(JSON.parse(row.attributes) as Record<string, JsonValue>, row),
  };
}
