/**
 * One benchmark variant in its own process: sets up the instrumentation, runs warm-up and
 * measured calls of the real `openai` client (canned `fetch`), flushes, and prints one JSON
 * line. The loop yields to the event loop every `yieldEvery` calls, as a server would between
 * requests; without that, no SDK's batch export could run.
 */
import OpenAI from 'openai';
import { COMPLETION, cannedFetch, MESSAGES, MODEL, streamBody } from './canned.js';

export type Variant = 'bare' | 'pilotlight' | 'openllmetry' | 'openinference';

export interface WorkerConfig {
  variant: Variant;
  mode: 'plain' | 'stream' | 'outage';
  calls: number;
  warmup: number;
  chunks: number;
  yieldEvery: number;
  sinkUrl: string;
  service: string;
  /** outage mode: calls per second and duration. */
  ratePerSec?: number;
  durationSec?: number;
  /**
   * outage mode, faster than real time: this many calls as fast as the loop runs (yielding
   * every `yieldEvery` calls) instead of a paced run; the heap is sampled after a full GC
   * every `calls / 10` calls. Needs `--expose-gc`.
   */
  simulatedCalls?: number;
}

export interface WorkerResult {
  variant: Variant;
  mode: string;
  service: string;
  totalCalls: number;
  /** Wall time per measured call. */
  perCallUs: number;
  /** CPU time (user + system, all threads) per measured call: less sensitive to other load. */
  cpuPerCallUs?: number;
  heapSamplesMb?: number[];
  dropped?: number;
  /** outage mode: spans still held (queue + the batch being retried) at the end. */
  held?: number;
  /** outage mode: heap before the first call (after a full GC), MB. */
  heapBaselineMb?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const tracesUrl = `${cfg.sinkUrl}/v1/traces`;

async function setup(): Promise<{ client: OpenAI; finish: () => Promise<{ dropped?: number }> }> {
  const stream = cfg.mode === 'stream';
  const fetchImpl = stream
    ? cannedFetch(streamBody(cfg.chunks), 'text/event-stream')
    : cannedFetch(COMPLETION, 'application/json');
  const make = () =>
    new OpenAI({
      apiKey: 'bench',
      baseURL: 'http://bench.invalid/v1',
      fetch: fetchImpl,
      maxRetries: 0,
    });
  switch (cfg.variant) {
    case 'bare':
      return { client: make(), finish: async () => ({}) };
    case 'pilotlight': {
      const sdk = await import('../src/index.js');
      sdk.init({ endpoint: cfg.sinkUrl, serviceName: cfg.service, flushOnExit: false });
      const client = sdk.wrapOpenAI(make());
      return {
        client,
        finish: async () => {
          await sdk.flush();
          const dropped = sdk.getDroppedSpanCount();
          await sdk.shutdown();
          return { dropped };
        },
      };
    }
    case 'openllmetry': {
      const traceloop = await import('@traceloop/node-server-sdk');
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      traceloop.initialize({
        appName: cfg.service,
        exporter: new OTLPTraceExporter({ url: tracesUrl }),
        instrumentModules: { openAI: OpenAI },
        silenceInitializationMessage: true,
        traceloopSyncEnabled: false,
      });
      return {
        client: make(),
        finish: async () => {
          await traceloop.forceFlush();
          return {};
        },
      };
    }
    case 'openinference': {
      const { NodeSDK } = await import('@opentelemetry/sdk-node');
      const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      const { OpenAIInstrumentation } = await import(
        '@arizeai/openinference-instrumentation-openai'
      );
      const sdk = new NodeSDK({
        serviceName: cfg.service,
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }))],
        instrumentations: [],
      });
      sdk.start();
      new OpenAIInstrumentation().manuallyInstrument(OpenAI);
      return {
        client: make(),
        finish: async () => {
          await sdk.shutdown();
          return {};
        },
      };
    }
  }
}

const { client, finish } = await setup();

async function plainCall(): Promise<void> {
  const r = await client.chat.completions.create({ model: MODEL, messages: MESSAGES });
  if (r.choices.length !== 1) throw new Error('unexpected response');
}

async function streamCall(): Promise<void> {
  const s = await client.chat.completions.create({
    model: MODEL,
    messages: MESSAGES,
    stream: true,
    stream_options: { include_usage: true },
  });
  let n = 0;
  for await (const _ of s) n++;
  if (n < cfg.chunks) throw new Error('short stream');
}

const one = cfg.mode === 'stream' ? streamCall : plainCall;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const result: WorkerResult = {
  variant: cfg.variant,
  mode: cfg.mode,
  service: cfg.service,
  totalCalls: 0,
  perCallUs: 0,
};

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

if (cfg.mode === 'outage' && cfg.simulatedCalls !== undefined) {
  // The same outage compressed in time: every call the paced run would make, back to back.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('simulated outage needs --expose-gc');
  const sdk = await import('../src/index.js');
  gc();
  result.heapBaselineMb = mb(process.memoryUsage().heapUsed);
  const every = Math.max(1, Math.floor(cfg.simulatedCalls / 10));
  const samples: number[] = [];
  for (let i = 1; i <= cfg.simulatedCalls; i++) {
    await one();
    if (i % cfg.yieldEvery === 0) await tick();
    if (i % every === 0) {
      gc();
      samples.push(mb(process.memoryUsage().heapUsed));
    }
  }
  const stats = sdk.getDeliveryStats();
  result.totalCalls = cfg.simulatedCalls;
  result.heapSamplesMb = samples;
  result.dropped = stats.dropped;
  result.held = cfg.simulatedCalls - stats.dropped - stats.exported - stats.sampledOut;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (cfg.mode === 'outage') {
  // Calls at a fixed rate against an unreachable collector; heap sampled every 10 s.
  const rate = cfg.ratePerSec ?? 1000;
  const end = performance.now() + (cfg.durationSec ?? 60) * 1000;
  const samples: number[] = [];
  let nextSample = performance.now() + 10_000;
  const start = performance.now();
  let done = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (done < due) {
      await one();
      done++;
    }
    if (performance.now() >= nextSample) {
      samples.push(Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10);
      nextSample += 10_000;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  result.totalCalls = done;
  result.heapSamplesMb = samples;
  const sdk = await import('../src/index.js');
  result.dropped = sdk.getDeliveryStats().dropped;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

for (let i = 0; i < cfg.warmup; i++) {
  await one();
  if (i % cfg.yieldEvery === 0) await tick();
}
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < cfg.calls; i++) {
  await one();
  if (i % cfg.yieldEvery === 0) await tick();
}
const elapsedMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const { dropped } = await finish();
result.totalCalls = cfg.warmup + cfg.calls;
result.perCallUs = (elapsedMs * 1000) / cfg.calls;
result.cpuPerCallUs = (cpu.user + cpu.system) / cfg.calls;
if (dropped !== undefined) result.dropped = dropped;
process.stdout.write(`${JSON.stringify(result)}\n`);
