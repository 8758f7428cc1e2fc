// Synthetic chat-completion spans in OTLP/JSON, with GenAI semantic-convention attributes and a
// pilotlight confidence score, for one period of traffic. Seeded, so every run sends the same.
import { GenAI, Pilotlight } from '@pilotlight/conventions';

/** What a period of traffic looks like. */
export interface TrafficShape {
  /** Median latency (ms); latencies spread lognormally around it. */
  latencyMs: number;
  /** Mean confidence; spread ±0.04 (normal), clamped to [0, 1]. */
  confidence: number;
  /** Models, drawn with equal probability. */
  models: readonly string[];
}

export const NORMAL: TrafficShape = {
  latencyMs: 450,
  confidence: 0.86,
  models: ['gpt-4o-mini', 'gpt-4o'],
};
/** Latency doubled, confidence down 0.2, a new model in the mix. */
export const SHIFTED: TrafficShape = {
  latencyMs: 900,
  confidence: 0.66,
  models: ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'],
};

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number };

function random32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hex = (random: () => number, bytes: number): string =>
  Array.from({ length: bytes }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');

/**
 * OTLP/JSON export requests holding `count` chat spans spread evenly over `[fromMs, toMs)`,
 * in batches of `batchSize`.
 */
export function trafficBatches(
  shape: TrafficShape,
  fromMs: number,
  toMs: number,
  count: number,
  seed: number,
  batchSize = 500,
): unknown[] {
  const random = random32(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const step = (toMs - fromMs) / count;
  const spans: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = Math.floor(fromMs + i * step);
    const latencyMs = Math.round(shape.latencyMs * Math.exp(0.25 * normal()));
    const confidence = Math.min(1, Math.max(0, shape.confidence + 0.04 * normal()));
    const model = shape.models[Math.floor(random() * shape.models.length)]!;
    const attributes: { key: string; value: OtlpValue }[] = [
      { key: GenAI.OPERATION_NAME, value: { stringValue: 'chat' } },
      { key: GenAI.PROVIDER_NAME, value: { stringValue: 'openai' } },
      { key: GenAI.REQUEST_MODEL, value: { stringValue: model } },
      {
        key: GenAI.USAGE_INPUT_TOKENS,
        value: { intValue: String(80 + Math.floor(random() * 40)) },
      },
      {
        key: GenAI.USAGE_OUTPUT_TOKENS,
        value: { intValue: String(20 + Math.floor(random() * 30)) },
      },
      { key: Pilotlight.CONFIDENCE, value: { doubleValue: confidence } },
    ];
    spans.push({
      traceId: hex(random, 16),
      spanId: hex(random, 8),
      name: `chat ${model}`,
      kind: 3,
      startTimeUnixNano: (BigInt(startMs) * 1_000_000n).toString(),
      endTimeUnixNano: (BigInt(startMs + latencyMs) * 1_000_000n).toString(),
      attributes,
      status: { code: 1 },
    });
  }
  const batches: unknown[] = [];
  for (let i = 0; i < spans.length; i += batchSize) {
    batches.push({
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'support-bot' } }],
          },
          scopeSpans: [{ scope: { name: 'drift-demo' }, spans: spans.slice(i, i + batchSize) }],
        },
      ],
    });
  }
  return batches;
}
