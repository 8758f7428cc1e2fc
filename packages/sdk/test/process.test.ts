import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSink } from './helpers/otlp-sink.js';

const SDK_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let sink: OtlpSink;
beforeAll(async () => {
  sink = await new OtlpSink().start();
});
afterAll(async () => {
  await sink.stop();
});

/** Runs a fixture in a fresh Node process (TypeScript sources through tsx, as an app would use the build). */
function run(
  file: string,
  mode: string,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', fixture(file)],
    {
      env: { ...process.env, SDK_ENTRY, SINK_URL: sink.url, MODE: mode },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

describe.each([
  ['ESM', 'short-lived.mjs', 'esm step', 'child-esm'],
  ['CommonJS', 'short-lived.cjs', 'cjs step', 'child-cjs'],
])('a short-lived %s process', (_kind, file, spanName, service) => {
  const delivered = () =>
    sink.spans.filter((s) => s.name === spanName && s.resource['service.name'] === service);

  it('delivers its span with an explicit flush() and exits 0', async () => {
    const before = delivered().length;
    const { code, stderr } = await run(file, 'flush').done;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(delivered().length - before).toBe(1);
  });

  it('delivers its span on normal exit without flush() (beforeExit hook)', async () => {
    const before = delivered().length;
    const { code } = await run(file, 'exit').done;
    expect(code).toBe(0);
    expect(delivered().length - before).toBe(1);
  });

  it('delivers its span on SIGTERM and then terminates by the signal', async () => {
    const before = delivered().length;
    const { child, done } = run(file, 'signal');
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    child.kill('SIGTERM');
    const { signal } = await done;
    expect(signal).toBe('SIGTERM');
    expect(delivered().length - before).toBe(1);
  });
});
