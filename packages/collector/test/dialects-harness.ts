// Shared set-up of the dialect acceptance tests: two real collectors (one fed OTLP/JSON,
// one OTLP/protobuf, by the official exporters), a span exporter that sends every span
// to both, and the canonical fields one underlying chat call must come back with.
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '@pilotlight/conventions';
import type OpenAI from 'openai';
import { expect } from 'vitest';
import { getJson, listAll, startTestCollector } from './helpers.js';

export type Collector = Awaited<ReturnType<typeof startTestCollector>>;

/** The two encodings every dialect is sent in. */
export const ENCODINGS = ['json', 'protobuf'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** A collector per encoding, so the same span (same ids) is stored once by each. */
export interface CollectorPair {
  json: Collector;
  protobuf: Collector;
  /** Sends each finished span to both collectors, over OTLP/HTTP JSON and protobuf. */
  exporter: SpanExporter;
  stop(): Promise<void>;
}

type ExportCallback = Parameters<SpanExporter['export']>[1];
type ExportResult = Parameters<ExportCallback>[0];
/** `ExportResultCode` of @opentelemetry/core (not a dependency of this package). */
const SUCCESS = 0;
const FAILED = 1;

/** One exporter in front of several: done when all are, failed when any fails. */
class FanOutExporter implements SpanExporter {
  constructor(private readonly targets: SpanExporter[]) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    let pending = this.targets.length;
    let failure: Error | undefined;
    for (const target of this.targets) {
      target.export(spans, (result) => {
        if (result.code !== SUCCESS) failure ??= result.error ?? new Error('export failed');
        pending -= 1;
        if (pending === 0)
          done(
            (failure === undefined
              ? { code: SUCCESS }
              : { code: FAILED, error: failure }) as ExportResult,
          );
      });
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.shutdown()));
  }
}

/** Two real collectors (temp SQLite files, ephemeral ports) and the exporter feeding both. */
export async function startCollectorPair(): Promise<CollectorPair> {
  const json = await startTestCollector({ driftAndAlerts: false });
  const protobuf = await startTestCollector({ driftAndAlerts: false });
  const exporter = new FanOutExporter([
    new OtlpJsonExporter({ url: `${json.url}/v1/traces` }),
    new OtlpProtoExporter({ url: `${protobuf.url}/v1/traces` }),
  ]);
  return {
    json,
    protobuf,
    exporter,
    stop: async () => {
      await exporter.shutdown();
      await Promise.all([json.stop(), protobuf.stop()]);
    },
  };
}

/** Every span of a trace, as `GET /api/traces/:id` answers it. */
export async function traceSpans(collector: Collector, traceId: string): Promise<CallRecord[]> {
  const { status, body } = await getJson<{ spans: CallRecord[] }>(
    `${collector.url}/api/traces/${traceId}`,
  );
  expect(status).toBe(200);
  return body.spans;
}

/**
 * The one stored span with this span id, read from both collectors: by
 * `GET /api/traces/:id` and by `GET /api/spans?traceId=`. The JSON and protobuf
 * copies must be the same record.
 */
export async function storedBoth(
  pair: CollectorPair,
  traceId: string,
  spanId: string,
): Promise<Record<Encoding, CallRecord>> {
  const out = {} as Record<Encoding, CallRecord>;
  for (const encoding of ENCODINGS) {
    const collector = pair[encoding];
    const fromTrace = (await traceSpans(collector, traceId)).filter((s) => s.spanId === spanId);
    expect(fromTrace, `${encoding}: span ${spanId} in trace ${traceId}`).toHaveLength(1);
    const listed = (await listAll(collector.url, { traceId })).filter((s) => s.spanId === spanId);
    expect(listed).toEqual(fromTrace);
    out[encoding] = fromTrace[0] as CallRecord;
  }
  expect(out.protobuf).toEqual(out.json);
  return out;
}

export const QUESTION = 'What is the capital of France?';
export const SYSTEM = 'You are terse.';
export const MODEL = 'gpt-4o-mini';

/** The request every dialect test makes of the mock model server (no cache hit). */
export const CHAT_REQUEST = {
  model: MODEL,
  messages: [
    { role: 'system' as const, content: SYSTEM },
    { role: 'user' as const, content: QUESTION },
  ],
};

/** The canonical prompt of `CHAT_REQUEST`. */
export const EXPECTED_INPUT = [
  { role: 'system', parts: [{ type: 'text', content: SYSTEM }] },
  { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
];

/** gpt-4o-mini per million tokens in the conventions' price table (dated 2024-10-01). */
export const GPT_4O_MINI = { input: 0.15, cachedInput: 0.075, output: 0.6 } as const;

/** The answer's text and usage, whether it came whole or streamed. */
export interface CallOutcome {
  text: string;
  responseModel: string;
  promptTokens: number;
  completionTokens: number;
}

export function outcomeOf(response: OpenAI.Chat.ChatCompletion): CallOutcome {
  const text = response.choices[0]?.message.content;
  if (!text || !response.usage) throw new Error('unexpected mock response');
  return {
    text,
    responseModel: response.model,
    promptTokens: response.usage.prompt_tokens,
    completionTokens: response.usage.completion_tokens,
  };
}

/**
 * The canonical fields the stored record of `CHAT_REQUEST` must have, whichever
 * dialect reported it: built from what the client sent and what the server
 * answered, never from a span. Priced by the collector (no dialect sends a cost).
 */
export function expectedCall(o: CallOutcome): Partial<CallRecord> {
  return {
    operation: 'chat',
    provider: 'openai',
    model: MODEL,
    responseModel: o.responseModel,
    finishReasons: ['stop'],
    inputTokens: o.promptTokens,
    outputTokens: o.completionTokens,
    status: 'ok',
    errorType: null,
    projectId: 'default',
    input: EXPECTED_INPUT,
    output: [
      { role: 'assistant', parts: [{ type: 'text', content: o.text }], finish_reason: 'stop' },
    ],
    costSource: 'collector',
  };
}

/** The collector's price of a call: uncached input, cached input and output at their rates. */
export function expectedCostUsd(usage: {
  inputTokens: number;
  cacheReadTokens?: number;
  outputTokens: number;
}): number {
  const cached = usage.cacheReadTokens ?? 0;
  return (
    ((usage.inputTokens - cached) * GPT_4O_MINI.input +
      cached * GPT_4O_MINI.cachedInput +
      usage.outputTokens * GPT_4O_MINI.output) /
    1e6
  );
}

/**
 * Asserts a stored record carries the canonical fields of the call: model, provider,
 * tokens, prompt, output, TTFT (when the dialect sent it) and the collector's price.
 */
export function expectCanonical(
  record: CallRecord,
  o: CallOutcome,
  extra: { sourceDialect: string; ttftMs?: number | null },
): void {
  expect(record).toMatchObject({ ...expectedCall(o), sourceDialect: extra.sourceDialect });
  expect(record.input).toEqual(EXPECTED_INPUT);
  expect(record.output).toEqual(expectedCall(o).output);
  expect(record.costUsd).toBeCloseTo(
    expectedCostUsd({ inputTokens: o.promptTokens, outputTokens: o.completionTokens }),
    15,
  );
  if (extra.ttftMs === undefined || extra.ttftMs === null) expect(record.ttftMs).toBeNull();
  else expect(record.ttftMs).toBeCloseTo(extra.ttftMs, 6);
}

/** Span ids the JSON collector holds now, to tell later spans apart. */
export async function storedIds(pair: CollectorPair): Promise<Set<string>> {
  return new Set((await listAll(pair.json.url)).map((s) => s.spanId));
}

/**
 * The spans stored since `before`, read from both collectors through `GET /api/spans`
 * and `GET /api/traces/:id`; the JSON and protobuf copies must be the same records.
 */
export async function storedSince(pair: CollectorPair, before: Set<string>): Promise<CallRecord[]> {
  const [json, protobuf] = await Promise.all(
    ENCODINGS.map(async (e) => {
      const fresh = (await listAll(pair[e].url)).filter((s) => !before.has(s.spanId));
      for (const record of fresh) {
        expect(await traceSpans(pair[e], record.traceId)).toContainEqual(record);
      }
      return fresh.sort((a, b) => a.spanId.localeCompare(b.spanId));
    }),
  );
  expect(protobuf).toEqual(json);
  return json ?? [];
}

/**
 * A prompt of exactly 1,000 tokens on the mock model server (it counts the words of
 * every message, system included): with `user: 'cache-hit'` (OpenAI) or
 * `metadata.user_id: 'cache-hit'` (Anthropic) it reports 800 of them as cache reads.
 */
export const CACHED_PROMPT = {
  system: SYSTEM,
  question: Array.from({ length: 1000 - SYSTEM.split(/\s+/).length }, (_, i) => `w${i}`).join(' '),
  inputTokens: 1000,
  cacheReadTokens: 800,
} as const;
