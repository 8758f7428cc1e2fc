/**
 * OTLP request bodies for the ingest benchmarks: one 100-span GenAI batch (semconv chat
 * spans with input and output messages, as in `otlp-decode.ts`), encoded once as
 * protobuf and as JSON, then copied per request with fresh ids written in place, so every
 * request stores 100 new spans without re-encoding anything in the load generator.
 */
import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';

export const SPANS_PER_BATCH = 100;

const kv = (key: string, v: string | number) => ({
  key,
  value: typeof v === 'string' ? { stringValue: v } : { intValue: v },
});

/** A template body and where its ids are, so {@link BodyTemplate.body} can rewrite them. */
export interface BodyTemplate {
  contentType: string;
  bytes: Buffer;
  /** Byte offsets of every trace and span id (raw bytes in protobuf, hex text in JSON). */
  idOffsets: number[];
  hex: boolean;
}

/**
 * Request `n`'s body: the template with the first 4 bytes of every id replaced by a
 * bijective hash of `n`, so ids stay unique per request and spread like random ids.
 */
export function bodyFor(t: BodyTemplate, n: number): Buffer {
  const out = Buffer.from(t.bytes);
  const h = Math.imul(n + 1, 0x9e3779b1) >>> 0;
  if (t.hex) {
    const text = h.toString(16).padStart(8, '0');
    for (const at of t.idOffsets) out.write(text, at, 'latin1');
  } else {
    for (const at of t.idOffsets) out.writeUInt32BE(h, at);
  }
  return out;
}

/** The two templates (protobuf and JSON) of one batch, spans starting at `startMs`. */
export function makeTemplates(startMs = Date.now()): {
  protobuf: BodyTemplate;
  json: BodyTemplate;
} {
  const now = BigInt(startMs) * 1_000_000n;
  const ids: Buffer[] = [];
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) => {
    const traceId = randomBytes(16);
    const spanId = randomBytes(8);
    ids.push(traceId, spanId);
    return {
      traceId,
      spanId,
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: (now + BigInt(i) * 1000n).toString(),
      endTimeUnixNano: (now + BigInt(i) * 1000n + BigInt(200 + i * 17) * 1_000_000n).toString(),
      status: { code: i % 20 === 0 ? 2 : 1 },
      attributes: [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.provider.name', 'openai'),
        kv('gen_ai.request.model', i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini'),
        kv('gen_ai.response.model', i % 3 === 0 ? 'gpt-4o-2024-08-06' : 'gpt-4o-mini-2024-07-18'),
        kv('gen_ai.usage.input_tokens', 120 + i),
        kv('gen_ai.usage.output_tokens', 40 + i),
        kv(
          'gen_ai.input.messages',
          JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: 'hello '.repeat(30) }] },
          ]),
        ),
        kv(
          'gen_ai.output.messages',
          JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: 'hi '.repeat(40) }] },
          ]),
        ),
      ],
    };
  });
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'bench')] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  });
  const protobuf = Buffer.from(ExportTraceServiceRequest.encode(message).finish());
  const asJson = ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String }) as {
    resourceSpans: { scopeSpans: { spans: Record<string, string>[] }[] }[];
  };
  for (const s of asJson.resourceSpans[0]!.scopeSpans[0]!.spans) {
    for (const f of ['traceId', 'spanId']) s[f] = Buffer.from(s[f]!, 'base64').toString('hex');
  }
  const json = Buffer.from(JSON.stringify(asJson));
  const offsets = (buf: Buffer, hex: boolean): number[] =>
    ids.map((id) => {
      const at = hex ? buf.indexOf(id.toString('hex'), 0, 'latin1') : buf.indexOf(id);
      if (at < 0) throw new Error('id not found in template');
      return at;
    });
  return {
    protobuf: {
      contentType: 'application/x-protobuf',
      bytes: protobuf,
      idOffsets: offsets(protobuf, false),
      hex: false,
    },
    json: {
      contentType: 'application/json',
      bytes: json,
      idOffsets: offsets(json, true),
      hex: true,
    },
  };
}
