import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CollectorHandle, startCollector } from '@pilotlight/collector';
import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the example exactly as `npm start` does, against `endpoint`. */
function runExample(endpoint: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PILOTLIGHT_ENDPOINT: endpoint };
    // The example must use its mock server, whatever the developer's shell has set.
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const child = spawn('npm', ['start', '--silent'], { cwd: exampleDir, env });
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

let dir: string;
let collector: CollectorHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pilotlight-example-openai-'));
  collector = await startCollector({ dbPath: join(dir, 'spans.db'), port: 0 });
});
afterAll(async () => {
  await collector?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/openai-chat', () => {
  it('leaves one trace with a parent span and its plain and streaming chat calls', async () => {
    const run = await runExample(collector.url);
    expect(run.stderr).not.toMatch(/✖/);
    expect(run.code).toBe(0);

    const traceId = /trace id:\s+([0-9a-f]{32})/.exec(run.stdout)?.[1];
    expect(traceId).toBeDefined();
    expect(run.stdout).toContain(`${collector.url}/api/traces/${traceId}`);
    expect(run.stdout).toContain(`${collector.url}/api/spans?traceId=${traceId}`);
    expect(run.stdout).toContain('plain:     Echo: What is the capital of France?');

    const res = await fetch(`${collector.url}/api/traces/${traceId}`);
    expect(res.status).toBe(200);
    const { spans } = (await res.json()) as { spans: CallRecord[] };
    expect(spans).toHaveLength(3);
    const root = spans.find((s) => s.name === 'answer-question');
    expect(root?.parentSpanId).toBeNull();
    expect(root?.serviceName).toBe('example-openai-chat');

    const calls = spans.filter((s) => s.operation === 'chat');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toMatchObject({
        parentSpanId: root?.spanId,
        provider: 'openai',
        model: 'gpt-4o',
        responseModel: 'gpt-4o-2024-08-06',
        status: 'ok',
        // The mock counts words: 5 + 6 prompt words, 7 reply words.
        inputTokens: 11,
        outputTokens: 7,
      });
      expect(call.durationMs).toBeGreaterThan(0);
      expect(call.costUsd).toBeGreaterThan(0);
      expect(JSON.stringify(call.input)).toContain('What is the capital of France?');
      expect(JSON.stringify(call.output)).toContain('Echo: What is the capital of France?');
    }
  });

  it('says clearly that the collector is unreachable and exits non-zero', async () => {
    // A port that was just free: nothing listens there.
    const closed = await startCollector({ dbPath: join(dir, 'closed.db'), port: 0 });
    const url = closed.url;
    await closed.close();

    const run = await runExample(url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach the pilotlight collector at ${url}`);
    expect(run.stderr).toContain('npm start');
  });
});
