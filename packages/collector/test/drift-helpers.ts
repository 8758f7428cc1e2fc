import { randomBytes } from 'node:crypto';
import type { CallRecord } from '@pilotlight/conventions';
import { seededRandom } from '../src/drift/feature-source.js';

/** What a seeded call varies. */
export interface CallShape {
  startMs: number;
  latencyMs: number;
  confidence?: number | null;
  model?: string;
  status?: 'ok' | 'error';
  errorType?: string | null;
  output?: string | null;
  attributes?: Record<string, string | number>;
}

/** A chat call record as the store keeps it. */
export function callRecord(shape: CallShape): CallRecord {
  const start = new Date(shape.startMs);
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: null,
    projectId: 'default',
    name: 'chat',
    operation: 'chat',
    provider: 'openai',
    model: shape.model ?? 'gpt-4o-mini',
    responseModel: null,
    responseId: null,
    finishReasons: ['stop'],
    serviceName: 'support-bot',
    startTime: start.toISOString(),
    endTime: new Date(shape.startMs + shape.latencyMs).toISOString(),
    startTimeUnixNano: (BigInt(shape.startMs) * 1_000_000n).toString(),
    durationMs: shape.latencyMs,
    ttftMs: null,
    inputTokens: 100,
    outputTokens: 20,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.0001,
    costSource: 'sdk',
    confidence: shape.confidence ?? null,
    status: shape.status ?? 'ok',
    errorType: shape.errorType ?? null,
    input: null,
    output:
      shape.output == null
        ? null
        : [{ role: 'assistant', parts: [{ type: 'text', content: shape.output }] }],
    sourceDialect: 'otel-genai',
    warnings: [],
    attributes: shape.attributes ?? {},
  };
}

/** Traffic of one period: `count` calls evenly spread over `[fromMs, toMs)`. */
export interface TrafficOptions {
  fromMs: number;
  toMs: number;
  count: number;
  seed: number;
  /** Latency is lognormal-ish around this median (ms). */
  latencyMs: number;
  /** Confidence is normal around this mean (sd 0.04), clamped to [0, 1]. */
  confidence: number;
  /** Models, drawn with equal probability. */
  models: readonly string[];
}

/** Reproducible traffic (seeded). */
export function traffic(o: TrafficOptions): CallRecord[] {
  const random = seededRandom(o.seed);
  const normal = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const step = (o.toMs - o.fromMs) / o.count;
  const out: CallRecord[] = [];
  for (let i = 0; i < o.count; i++) {
    out.push(
      callRecord({
        startMs: Math.floor(o.fromMs + i * step),
        latencyMs: Math.round(o.latencyMs * Math.exp(0.2 * normal())),
        confidence: Math.min(1, Math.max(0, o.confidence + 0.04 * normal())),
        model: o.models[Math.floor(random() * o.models.length)]!,
      }),
    );
  }
  return out;
}
