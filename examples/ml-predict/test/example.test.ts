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
    const child = spawn('npm', ['start', '--silent'], {
      cwd: exampleDir,
      env: { ...process.env, PILOTLIGHT_ENDPOINT: endpoint },
    });
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
  dir = await mkdtemp(join(tmpdir(), 'pilotlight-example-ml-'));
  collector = await startCollector({ dbPath: join(dir, 'spans.db'), port: 0 });
});
afterAll(async () => {
  await collector?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/ml-predict', () => {
  it('stores one traced prediction per flower with its input, output and confidence', async () => {
    const run = await runExample(collector.url);
    expect(run.stderr).not.toMatch(/✖/);
    expect(run.code).toBe(0);

    const traceIds = [...run.stdout.matchAll(/^trace ([0-9a-f]{32})/gm)].map((m) => m[1]);
    expect(traceIds).toHaveLength(4);
    expect(new Set(traceIds).size).toBe(4);
    expect(run.stdout).toContain(`${collector.url}/api/traces/${traceIds[0]}`);

    const res = await fetch(`${collector.url}/api/spans?model=iris-softmax-v1`);
    const { data } = (await res.json()) as { data: CallRecord[] };
    expect(data.map((s) => s.traceId).sort()).toEqual([...traceIds].sort());

    const labels: string[] = [];
    for (const span of data) {
      expect(span).toMatchObject({
        name: 'iris-classifier.predict',
        operation: 'predict',
        serviceName: 'example-ml-predict',
        status: 'ok',
        parentSpanId: null,
      });
      const output = span.output as { label: string; probabilities: Record<string, number> };
      // The recorded confidence is the top softmax probability of the recorded output.
      expect(span.confidence).toBe(Math.max(...Object.values(output.probabilities)));
      expect(span.input).toHaveProperty('petalLengthCm');
      labels.push(output.label);
    }
    expect(labels.sort()).toEqual(['setosa', 'versicolor', 'virginica', 'virginica']);
    // The borderline flower is the one prediction the model is unsure about.
    expect(data.filter((s) => (s.confidence ?? 1) < 0.6)).toHaveLength(1);
  });

  it('says clearly that the collector is unreachable and exits non-zero', async () => {
    const closed = await startCollector({ dbPath: join(dir, 'closed.db'), port: 0 });
    const url = closed.url;
    await closed.close();

    const run = await runExample(url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach the pilotlight collector at ${url}`);
  });
});
