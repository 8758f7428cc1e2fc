/**
 * Memory of `GET /api/export` as the export grows: the collector's RSS while a client
 * downloads every stored call as CSV over real HTTP, for stores of increasing size. Constant
 * memory means the peak does not grow with the number of rows.
 *
 * Seeding: canonical records with 1 KiB prompts, inserted through the store's own
 * `insertCalls` (so rollups are written too), 5,000 per transaction.
 *
 * Run: `npx tsx --conditions=@pilotlight/source bench/export-memory.ts [maxRows]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import { openSqliteStore, startCollector } from '../src/index.js';

const SIZES = [50_000, 200_000, 800_000];
const PROMPT = 'Summarise, in "plain" words:\n'.padEnd(1024, 'lorem ipsum, ');

function record(i: number): CallRecord {
  const startNs = BigInt(Date.UTC(2026, 8, 1) + i * 10) * 1_000_000n;
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
  return {
    traceId: hex(i, 32),
    spanId: hex(i + 1, 16),
    parentSpanId: null,
    projectId: 'default',
    name: 'chat gpt-4o-mini',
    operation: 'chat',
    provider: 'openai',
    model: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: `chatcmpl-${i}`,
    finishReasons: ['stop'],
    serviceName: 'bench',
    startTime: new Date(Number(startNs / 1_000_000n)).toISOString(),
    endTime: new Date(Number(startNs / 1_000_000n) + 420).toISOString(),
    startTimeUnixNano: startNs.toString(),
    durationMs: 420,
    ttftMs: null,
    inputTokens: 300,
    outputTokens: 80,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.0001,
    costSource: 'collector',
    confidence: null,
    status: 'ok',
    errorType: null,
    input: [{ role: 'user', content: PROMPT }],
    output: [{ role: 'assistant', content: 'ok, "done"' }],
    sourceDialect: 'genai',
    warnings: [],
    attributes: {},
  } as CallRecord;
}

async function main(): Promise<void> {
  const max = Number(process.argv[2] ?? SIZES.at(-1));
  console.log('rows      CSV MiB  seconds  RSS before MiB  RSS peak MiB  peak - before');
  for (const rows of SIZES.filter((n) => n <= max)) {
    const dir = mkdtempSync(path.join(tmpdir(), 'pilotlight-export-bench-'));
    try {
      const dbPath = path.join(dir, 'pilotlight.db');
      const seedStore = openSqliteStore({ path: dbPath, synchronous: 'normal' });
      for (let i = 0; i < rows; i += 5000) {
        const batch = Array.from({ length: Math.min(5000, rows - i) }, (_, k) => record(i + k));
        await seedStore.insertCalls('default', batch);
      }
      await seedStore.close();
      const collector = await startCollector({ dbPath, port: 0, driftAndAlerts: false });
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const t0 = performance.now();
      const res = await fetch(`${collector.url}/api/export?format=csv`);
      let bytes = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
      }
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      await collector.close();
      const mib = (n: number) => (n / 1_048_576).toFixed(0);
      console.log(
        `${String(rows).padEnd(9)} ${(bytes / 1_048_576).toFixed(0).padStart(7)}  ${seconds.toFixed(1).padStart(7)}  ${mib(before).padStart(14)}  ${mib(peak).padStart(12)}  ${mib(peak - before).padStart(13)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
