/**
 * OTLP protobuf decoding: protobufjs reflection (`decodeProtobufTraces`) against the
 * direct wire-format reader (`decodeProtobufTracesWire`, used by ingest), on
 * 100-span GenAI batches with prompts and outputs. JSON decoding for reference.
 * Methods run interleaved, round by round; the median is reported, since the
 * machine is shared.
 *
 * Run: `npx tsx --conditions=source bench/otlp-decode.ts` (env `BENCH_ROUNDS`, default 7).
 */
import { randomBytes } from 'node:crypto';
import { decodeJsonTraces } from '../src/otlp/decode-json.js';
import { decodeProtobufTraces } from '../src/otlp/decode-protobuf.js';
import { decodeProtobufTracesWire } from '../src/otlp/decode-protobuf-wire.js';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';
import type { DecodedTraces } from '../src/otlp/types.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const BATCHES = 200;
const SPANS_PER_BATCH = 100;

const kv = (key: string, v: string | number) => ({
  key,
  value: typeof v === 'string' ? { stringValue: v } : { intValue: v },
});

function batch(): { protobuf: Buffer; json: Buffer } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    parentSpanId: randomBytes(8),
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: (now + BigInt(i)).toString(),
    endTimeUnixNano: (now + 5_000_000n).toString(),
    status: { code: 1 },
    attributes: [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.provider.name', 'openai'),
      kv('gen_ai.request.model', 'gpt-4o'),
      kv('gen_ai.response.model', 'gpt-4o-2024-08-06'),
      kv('gen_ai.usage.input_tokens', 120),
      kv('gen_ai.usage.output_tokens', 40),
      kv(
        'gen_ai.input.messages',
        JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hello '.repeat(30) }] }]),
      ),
      kv(
        'gen_ai.output.messages',
        JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: 'hi '.repeat(40) }] },
        ]),
      ),
    ],
  }));
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'svc')] },
        scopeSpans: [{ scope: { name: 's' }, spans }],
      },
    ],
  });
  const asJson = ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String }) as {
    resourceSpans: { scopeSpans: { spans: Record<string, string>[] }[] }[];
  };
  for (const s of asJson.resourceSpans[0]!.scopeSpans[0]!.spans) {
    for (const f of ['traceId', 'spanId', 'parentSpanId'])
      s[f] = Buffer.from(s[f]!, 'base64').toString('hex');
  }
  return {
    protobuf: Buffer.from(ExportTraceServiceRequest.encode(message).finish()),
    json: Buffer.from(JSON.stringify(asJson)),
  };
}

const batches = Array.from({ length: BATCHES }, batch);
const methods: [string, (b: { protobuf: Buffer; json: Buffer }) => DecodedTraces][] = [
  ['protobuf, protobufjs reflection', (b) => decodeProtobufTraces(b.protobuf)],
  ['protobuf, wire reader (ingest)', (b) => decodeProtobufTracesWire(b.protobuf)],
  ['JSON', (b) => decodeJsonTraces(b.json)],
];
const rates = new Map<string, number[]>(methods.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, decode] of methods) {
    const start = performance.now();
    for (const b of batches) decode(b);
    rates.get(name)!.push((BATCHES * SPANS_PER_BATCH) / ((performance.now() - start) / 1000));
  }
}
console.log(
  `OTLP decode, ${SPANS_PER_BATCH}-span batches, median of ${ROUNDS} interleaved rounds:`,
);
for (const [name, r] of rates) {
  r.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(34)} ${Math.round(r[Math.floor(r.length / 2)]!)} spans/s`);
}
