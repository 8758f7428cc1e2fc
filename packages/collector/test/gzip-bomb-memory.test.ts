import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from './helpers.js';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;

const MAX_BODY_BYTES = 1024 * 1024;
const INFLATED_BYTES = 512 * 1024 * 1024;
const MiB = 1024 * 1024;

/** gzip of `INFLATED_BYTES` of JSON whitespace, built chunk by chunk (never held inflated). */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const chunk = Buffer.alloc(8 * MiB, 0x20);
  gzip.write('{"resourceSpans":[');
  for (let written = 0; written < INFLATED_BYTES; written += chunk.length) {
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end(']}');
  await done;
  return Buffer.concat(out);
}

describe('gzip bomb', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startTestCollector({ maxBodyBytes: MAX_BODY_BYTES });
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('is refused with 413 without being inflated into memory', { timeout: 60_000 }, async () => {
    const bomb = await gzipBomb();
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    // Peak resident memory of this process (collector included) over its lifetime, KiB.
    const peakBefore = process.resourceUsage().maxRSS;
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(bomb),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('payload_too_large');
    const peakGrowthMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
    // Inflating it would need 512 MiB; the cap keeps the growth near MAX_BODY_BYTES.
    expect(peakGrowthMiB).toBeLessThan(64);
  });
});
