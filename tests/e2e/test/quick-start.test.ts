// The README's quick start, end to end, on the built artifacts: the collector's `pilotlight`
// bin (what `npm start` runs) on a fresh SQLite file, then `npm run example:openai` against it,
// then the query API — what a newcomer does in their first minute.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/collector/dist/main.js');

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the built collector and resolves with the URL it prints. */
function startBuiltCollector(
  dbPath: string,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve'], {
      cwd: root,
      env: { ...process.env, PILOTLIGHT_PORT: '0', PILOTLIGHT_DB: dbPath },
    });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url, out: () => out });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
}

let dir: string;
let collector: Awaited<ReturnType<typeof startBuiltCollector>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pilotlight-quick-start-'));
  collector = await startBuiltCollector(join(dir, 'quick-start.db'));
});

afterAll(async () => {
  if (collector) {
    const exited = new Promise((resolve) => collector.child.once('exit', resolve));
    collector.child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('README quick start', () => {
  it('prints where the collector listens and where its database file is', () => {
    expect(collector.out()).toContain(join(dir, 'quick-start.db'));
    expect(existsSync(join(dir, 'quick-start.db'))).toBe(true);
  });

  it('stores the example call with model, tokens, latency, prompt and output', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PILOTLIGHT_ENDPOINT: collector.url };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const example = await run('npm', ['run', '--silent', 'example:openai'], env);
    expect(example.code, example.stderr).toBe(0);
    const traceId = /([0-9a-f]{32})/.exec(example.stdout)?.[1];
    expect(traceId).toBeDefined();

    const response = await fetch(`${collector.url}/api/spans?traceId=${traceId}`);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: CallRecord[] };
    const chats = data.filter((span) => span.operation === 'chat');
    expect(chats.length).toBeGreaterThanOrEqual(2);
    for (const call of chats) {
      expect(call.model).toBe('gpt-4o');
      expect(call.responseModel).toMatch(/^gpt-4o-\d{4}-\d{2}-\d{2}$/);
      expect(call.inputTokens).toBeGreaterThan(0);
      expect(call.outputTokens).toBeGreaterThan(0);
      expect(call.durationMs).toBeGreaterThan(0);
      expect(call.costUsd).toBeGreaterThan(0);
      expect(JSON.stringify(call.input)).toContain('capital of France');
      expect(JSON.stringify(call.output)).toContain('capital of France');
    }
  });
});
