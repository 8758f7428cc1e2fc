import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand, runProjectsCommand } from '../src/auth/cli.js';
import { runExportCommand } from '../src/export-cli.js';
import { startCollector } from '../src/start.js';
import { otlpJson, postJson, startTestCollector, tempDir } from './helpers.js';
import { genAiSpans } from './read-side-helpers.js';

const T0 = Date.UTC(2026, 9, 5, 6, 0);

function captureIo(isTTY = false) {
  const out: Buffer[] = [];
  let err = '';
  return {
    io: {
      stdout: { write: (c: Uint8Array | string) => out.push(Buffer.from(c)) },
      stderr: { write: (t: string) => (err += t), isTTY },
      env: {},
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => err,
  };
}

describe('pilotlight export', () => {
  let collector: Awaited<ReturnType<typeof startTestCollector>>;
  const tmp = tempDir();
  const spans = genAiSpans(5, 1200, T0, 3_600_000);
  spans[0]!.name = 'a "quoted", multi\nline name';

  beforeAll(async () => {
    collector = await startTestCollector({ driftAndAlerts: false });
    expect((await postJson(collector.url, otlpJson(spans))).status).toBe(200);
  });
  afterAll(async () => {
    await collector.stop();
    tmp.remove();
  });

  it('writes the same CSV as GET /api/export to a file and reports the records', async () => {
    const out = path.join(tmp.dir, 'calls.csv');
    const c = captureIo();
    expect(await runExportCommand(['--url', collector.url, '--out', out], c.io)).toBe(0);
    const direct = await (await fetch(`${collector.url}/api/export?format=csv`)).text();
    expect(readFileSync(out, 'utf8')).toBe(direct);
    expect(c.stderr()).toBe(
      `exported 1,200 records (${(Buffer.byteLength(direct) / 1_048_576).toFixed(1)} MiB) to ${out}\n`,
    );
  });

  it('streams NDJSON to stdout with filters, redrawing progress on a terminal', async () => {
    const c = captureIo(true);
    const code = await runExportCommand(
      ['--url', collector.url, '--model', 'gpt-4o', '--status', 'error', '--from', String(T0)],
      c.io,
    );
    expect(code).toBe(0);
    const lines = c.stdout().trim().split('\n');
    const want = await (
      await fetch(`${collector.url}/api/export?model=gpt-4o&status=error&from=${T0}`)
    ).text();
    expect(c.stdout()).toBe(want);
    expect(c.stderr()).toMatch(
      new RegExp(`\\rexported ${lines.length} records \\(0\\.\\d MiB\\)\\n$`),
    );
  });

  it('explains a refusal and a bad flag', async () => {
    let c = captureIo();
    expect(await runExportCommand(['--url', collector.url, '--status', 'maybe'], c.io)).toBe(1);
    expect(c.stderr()).toContain('answered 400');
    expect(c.stderr()).toContain('status');
    c = captureIo();
    expect(await runExportCommand(['--colour', 'blue'], c.io)).toBe(64);
    expect(c.stderr()).toContain('Usage: pilotlight export');
  });
});

describe('pilotlight export on a collector with API keys', () => {
  it('sends PILOTLIGHT_API_KEY and exports that project only; without it, says 401', async () => {
    const tmp = tempDir();
    const db = path.join(tmp.dir, 'pilotlight.db');
    const quiet = { out: () => undefined, err: () => undefined };
    await runProjectsCommand(['create', 'acme'], { PILOTLIGHT_DB: db }, quiet);
    let key = '';
    await runKeysCommand(
      ['create', '--project', 'acme'],
      { PILOTLIGHT_DB: db },
      {
        ...quiet,
        out: (t) => {
          key += t.trim();
        },
      },
    );
    const collector = await startCollector({ dbPath: db, port: 0, driftAndAlerts: false });
    try {
      const auth = { authorization: `Bearer ${key}` };
      expect(
        (await postJson(collector.url, otlpJson(genAiSpans(3, 3, T0, 60_000)), auth)).status,
      ).toBe(200);
      const denied = captureIo();
      expect(await runExportCommand(['--url', collector.url], denied.io)).toBe(1);
      expect(denied.stderr()).toMatch(/answered 401: missing or invalid API key/);
      const ok = captureIo();
      ok.io.env = { PILOTLIGHT_API_KEY: key };
      expect(await runExportCommand(['--url', collector.url], ok.io)).toBe(0);
      const rows = ok
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { projectId: string });
      expect(rows.map((r) => r.projectId)).toEqual(['acme', 'acme', 'acme']);
    } finally {
      await collector.close();
      tmp.remove();
    }
  });
});
