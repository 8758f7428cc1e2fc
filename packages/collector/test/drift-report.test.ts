import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDriftReportCommand } from '../src/drift/cli.js';
import type { DriftReport } from '../src/drift/report.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { callRecord, traffic } from './drift-helpers.js';
import { tempDir } from './helpers.js';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 3, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const REFERENCE = `${iso(T0)}..${iso(T0 + 60 * MIN)}`;
const CURRENT = `${T0 + 60 * MIN}..${T0 + 120 * MIN}`;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      env: {},
      now: () => T0 + 200 * MIN,
    },
  };
}

describe('pilotlight drift report', () => {
  const tmp = tempDir('pilotlight-drift-report-');
  const dbPath = path.join(tmp.dir, 'pl.db');
  let browser: Browser;

  beforeAll(async () => {
    const store = openSqliteStore({ path: dbPath });
    const tiers = (from: number, n: number, tier: (i: number) => string, long: boolean) =>
      Array.from({ length: n }, (_, i) =>
        callRecord({
          startMs: from + i * 10_000,
          latencyMs: 100,
          attributes: { 'user.tier': tier(i), 'gen_ai.request.temperature': long ? 0.9 : 0.2 },
          output: long ? 'a much longer answer than before, with details' : 'short answer',
        }),
      );
    await store.insertCalls('default', [
      ...traffic({
        fromMs: T0,
        toMs: T0 + 60 * MIN,
        count: 400,
        seed: 7,
        latencyMs: 300,
        confidence: 0.9,
        models: ['gpt-4o-mini', 'gpt-4o'],
      }),
      ...traffic({
        fromMs: T0 + 60 * MIN,
        toMs: T0 + 120 * MIN,
        count: 400,
        seed: 8,
        latencyMs: 700,
        confidence: 0.9,
        models: ['gpt-4o-mini', 'gpt-4o', 'new <b>model</b>'],
      }),
      ...tiers(T0 + 5, 300, (i) => (i % 3 === 0 ? 'pro' : 'free'), false),
      ...tiers(T0 + 60 * MIN + 5, 300, (i) => (i % 3 === 0 ? 'free' : 'pro'), true),
    ]);
    await store.close();
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    tmp.remove();
  });

  it('writes HTML and JSON, shows progress on stderr, and says where the report is', async () => {
    const out = path.join(tmp.dir, 'reports', 'drift.html');
    const t = io();
    const code = await runDriftReportCommand(
      [
        '--db',
        dbPath,
        '--feature',
        'latency,model,confidence',
        '--feature',
        'string:user.tier',
        '--feature',
        'number:gen_ai.request.temperature',
        '--feature',
        'output_length',
        '--reference',
        REFERENCE,
        '--current',
        CURRENT,
        '--out',
        out,
      ],
      t.io,
    );
    expect(t.err.join('')).not.toContain('Usage');
    expect(code).toBe(0);
    const stdout = t.out.join('');
    expect(stdout).toContain(`report: ${out}`);
    expect(stdout).toContain(
      'drift in: latency, model, string:user.tier, number:gen_ai.request.temperature, output_length',
    );
    const progress = t.err.join('');
    expect(progress).toMatch(/^\[-{24}\] 0\/12 latency reference$/m);
    expect(progress).toMatch(/^\[#{24}\] 12\/12 done$/m);

    const report = JSON.parse(readFileSync(out.replace(/\.html$/, '.json'), 'utf8')) as DriftReport;
    expect(report.generatedAt).toBe(iso(T0 + 200 * MIN));
    expect(
      report.features.map((f) => [f.feature, f.kind, f.drifted, f.reference.size, f.current.size]),
    ).toEqual([
      ['latency', 'numeric', true, 700, 700],
      ['model', 'categorical', true, 700, 700],
      ['confidence', 'numeric', false, 400, 400],
      ['string:user.tier', 'categorical', true, 300, 300],
      ['number:gen_ai.request.temperature', 'numeric', true, 300, 300],
      ['output_length', 'numeric', true, 300, 300],
    ]);
    const tier = report.features[3]!;
    expect(tier.bins).toEqual({
      binning: 'per_value',
      keys: ['free', 'pro'],
      referenceCounts: [200, 100],
      currentCounts: [100, 200],
    });
    // 'short answer' is 12 characters, the longer one 46
    expect(report.features[5]!.bins).toMatchObject({
      keys: [12, 46],
      referenceCounts: [300, 0],
      currentCounts: [0, 300],
    });
  });

  it('renders its charts in headless Chromium without any network request or blocked style', async () => {
    const out = path.join(tmp.dir, 'render.html');
    const t = io();
    expect(
      await runDriftReportCommand(
        [
          '--db',
          dbPath,
          '--feature',
          'latency',
          '--feature',
          'model',
          '--reference',
          REFERENCE,
          '--current',
          CURRENT,
          '--out',
          out,
          '--sample-cap',
          '200',
        ],
        t.io,
      ),
    ).toBe(0);
    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const url = pathToFileURL(out).href;
    await page.goto(url);
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);

    // latency: histogram overlay + ECDF; model: paired bars
    const charts = await page.$$eval('svg', (svgs) =>
      svgs.map((s) => {
        const box = s.getBoundingClientRect();
        const drawn = [...s.querySelectorAll('rect, polyline')].filter((e) => {
          const b = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return b.width > 0 && b.height > 0;
        });
        return {
          label: s.getAttribute('aria-label'),
          width: box.width,
          height: box.height,
          drawn: drawn.length,
        };
      }),
    );
    expect(charts.map((c) => c.label)).toEqual([
      'latency: histogram (share of window)',
      'latency: empirical CDF',
      'model: share of window per value',
    ]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(100);
      expect(c.drawn).toBeGreaterThan(1);
    }
    // both ECDF lines, and a bar per window for each of the 3 models
    expect(await page.locator('polyline.ecdf-ref, polyline.ecdf-cur').count()).toBe(2);
    expect(await page.locator('svg[aria-label^="model"] rect.bar-cur').count()).toBe(3);
    // the model name is text, not markup
    expect(await page.locator('svg b').count()).toBe(0);
    expect(
      await page.locator('svg[aria-label^="model"] text', { hasText: 'new <b>model' }).count(),
    ).toBe(1);
    // the hashed inline style applies under the report's own CSP
    expect(
      await page
        .locator('.drift')
        .first()
        .evaluate(
          (e) =>
            (
              globalThis as unknown as { getComputedStyle(el: unknown): { color: string } }
            ).getComputedStyle(e).color,
        ),
    ).toBe('rgb(180, 35, 24)');
    // the sampling note is there
    expect(await page.locator('.note').first().textContent()).toContain(
      'sampled uniformly at random',
    );
    await page.close();
  });

  it('refuses bad usage with exit code 64 and a missing database with 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--reference', REFERENCE, '--current', CURRENT], /--feature is required/],
      [
        ['--feature', 'speed', '--reference', REFERENCE, '--current', CURRENT],
        /unknown feature "speed"/,
      ],
      [
        ['--feature', 'latency', '--reference', 'yesterday..today', '--current', CURRENT],
        /--reference FROM/,
      ],
      [['--feature', 'latency', '--reference', REFERENCE], /--current FROM\.\.TO is required/],
      [
        [
          '--feature',
          'latency',
          '--reference',
          REFERENCE,
          '--current',
          CURRENT,
          '--method',
          'magic',
        ],
        /--method/,
      ],
      [['--feature', 'latency', '--colour', 'red'], /colour/],
    ];
    for (const [args, message] of cases) {
      const t = io();
      expect(await runDriftReportCommand(['--db', dbPath, ...args], t.io), args.join(' ')).toBe(64);
      expect(t.err.join(''), args.join(' ')).toMatch(message);
    }
    const t = io();
    const missing = path.join(tmp.dir, 'nope.db');
    expect(
      await runDriftReportCommand(
        ['--db', missing, '--feature', 'latency', '--reference', REFERENCE, '--current', CURRENT],
        t.io,
      ),
    ).toBe(1);
    expect(t.err.join('')).toContain(`cannot open database ${missing}`);
  });
});
