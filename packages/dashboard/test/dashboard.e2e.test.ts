import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtPct } from '../src/app/format.ts';
import {
  type Stack,
  screenshot,
  startStack,
  type Watch,
  watchedPage,
  XSS_CORPUS,
  XSS_MODEL,
} from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

function expectClean(watch: Watch): void {
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.dialogs).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
}

async function rowCount(page: Page): Promise<number> {
  return page.locator('table.calls tbody tr').count();
}

async function columnTexts(page: Page, header: string): Promise<string[]> {
  const headers = await page.locator('table.calls thead th').allTextContents();
  const index = headers.indexOf(header);
  expect(index).toBeGreaterThanOrEqual(0);
  return page.locator(`table.calls tbody tr td:nth-child(${index + 1})`).allTextContents();
}

describe('dashboard in headless Chromium', () => {
  it('calls page lists the seeded calls, newest first, with every column', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    const headers = await page.locator('table.calls thead th').allTextContents();
    for (const h of [
      'Time',
      'Service',
      'Model',
      'Operation',
      'Latency',
      'TTFT',
      'Cost',
      'Confidence',
      'Status',
    ]) {
      expect(headers).toContain(h);
    }
    // 50 per page; the seed sent more spans than that.
    expect(await rowCount(page)).toBe(50);
    expect(await columnTexts(page, 'Service')).toContain('dashboard-e2e');
    const times = await columnTexts(page, 'Time');
    expect([...times].sort().reverse()).toEqual(times);
    await screenshot(page, 'calls');
    expectClean(watch);
    await page.close();
  });

  it('filters narrow the calls table (status, model) and clear again', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();

    await page.getByLabel('Status').selectOption('error');
    await page.waitForURL(/status=error/);
    await expect.poll(() => rowCount(page)).toBe(stack.seeded.errorCalls);
    for (const s of await columnTexts(page, 'Status')) expect(s).toMatch(/error/);

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Model').fill('gpt-4o-mini');
    await page.getByLabel('Model').press('Enter');
    await page.waitForURL(/model=gpt-4o-mini/);
    await expect.poll(() => rowCount(page)).toBe(stack.seeded.miniCalls);
    expect(new Set(await columnTexts(page, 'Model'))).toEqual(new Set(['gpt-4o-mini']));

    // The filter lives in the URL: a reload keeps it.
    await page.reload();
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await rowCount(page)).toBe(stack.seeded.miniCalls);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rowCount(page)).toBe(50);
    expectClean(watch);
    await page.close();
  });

  it('filters narrow the calls table by service, provider and operation, combined', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    // Unfiltered, the first page mixes model calls with the traced functions around them.
    expect(new Set(await columnTexts(page, 'Operation')).size).toBeGreaterThan(1);

    await page.getByLabel('Operation').fill('chat');
    await page.getByLabel('Operation').press('Enter');
    await page.waitForURL(/operation=chat/);
    await expect
      .poll(async () => [...new Set(await columnTexts(page, 'Operation'))])
      .toEqual(['chat']);
    expect(await rowCount(page)).toBe(50);

    // All three at once, with status: only the failed OpenAI chat calls of the service.
    await page.getByLabel('Service').fill('dashboard-e2e');
    await page.getByLabel('Provider').fill('openai');
    await page.getByLabel('Provider').press('Enter');
    await page.getByLabel('Status').selectOption('error');
    await page.waitForURL(
      /service=dashboard-e2e.*status=error|status=error.*service=dashboard-e2e/,
    );
    await expect.poll(() => rowCount(page)).toBe(stack.seeded.errorCalls);
    for (const s of await columnTexts(page, 'Status')) expect(s).toMatch(/error/);
    expect(new Set(await columnTexts(page, 'Service'))).toEqual(new Set(['dashboard-e2e']));

    // Exact match: a provider that sent nothing, or part of a service name, matches nothing.
    await page.getByLabel('Provider').fill('anthropic');
    await page.getByLabel('Provider').press('Enter');
    await page.waitForURL(/provider=anthropic/);
    await page.getByText('No calls match these filters').waitFor();
    await page.getByLabel('Provider').fill('openai');
    await page.getByLabel('Service').fill('dashboard');
    await page.getByLabel('Service').press('Enter');
    await page.waitForURL(/service=dashboard(&|$)/);
    await page.getByText('No calls match these filters').waitFor();

    // Filters live in the URL: a reload keeps them all.
    await page.goto(
      `${stack.url}/calls?service=dashboard-e2e&provider=openai&operation=chat&status=error`,
    );
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await rowCount(page)).toBe(stack.seeded.errorCalls);
    expect(await page.getByLabel('Service').inputValue()).toBe('dashboard-e2e');
    expect(await page.getByLabel('Provider').inputValue()).toBe('openai');
    expect(await page.getByLabel('Operation').inputValue()).toBe('chat');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.search === '');
    await expect.poll(() => rowCount(page)).toBe(50);
    expect(new Set(await columnTexts(page, 'Operation')).size).toBeGreaterThan(1);
    expectClean(watch);
    await page.close();
  });

  it('latency and cost ranges narrow the calls table, kept in the URL and cleared', async () => {
    const { page, watch } = await watchedPage(stack);
    const all = (await (await fetch(`${stack.url}/api/spans?limit=1000`)).json()) as {
      data: { spanId: string; durationMs: number; costUsd: number | null }[];
    };
    // At least the 10th longest latency: the slow tail, fewer than a page of calls.
    const minLatencyMs = [...all.data.map((c) => c.durationMs)].sort((a, b) => b - a)[9] ?? 0;
    const slow = all.data.filter((c) => c.durationMs >= minLatencyMs);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.length).toBeLessThan(50);

    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await rowCount(page)).toBe(50);
    await page.getByLabel('Min latency').fill(String(minLatencyMs));
    await page.getByLabel('Min latency').press('Enter');
    await page.waitForURL(/minLatencyMs=/);
    await expect.poll(() => rowCount(page)).toBe(slow.length);
    expect(
      await page
        .locator('table.calls tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-id'))),
    ).toEqual(slow.map((c) => c.spanId));

    // With a cost bound as well (AND): only the slow calls that have a cost at most it.
    const costs = slow
      .flatMap((c) => (c.costUsd === null ? [] : [c.costUsd]))
      .sort((a, b) => a - b);
    // The bound as the URL carries it; the API compares that decimal.
    const maxCostUsd = (costs[0] ?? 0).toFixed(12);
    const slowCheap = slow.filter((c) => c.costUsd !== null && c.costUsd <= Number(maxCostUsd));
    await page.goto(`${stack.url}/calls?minLatencyMs=${minLatencyMs}&maxCostUsd=${maxCostUsd}`);
    await page
      .locator('table.calls tbody tr')
      .first()
      .or(page.getByText('No calls match these filters'))
      .first()
      .waitFor();
    expect(await rowCount(page)).toBe(slowCheap.length);
    expect(await page.getByLabel('Max cost').inputValue()).toBe(maxCostUsd);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.search === '');
    await expect.poll(() => rowCount(page)).toBe(50);
    expect(await page.getByLabel('Min latency').inputValue()).toBe('');
    expectClean(watch);
    await page.close();
  });

  it('a custom time range narrows the calls table', async () => {
    const { page, watch } = await watchedPage(stack);
    const all = (await (await fetch(`${stack.url}/api/spans?limit=1000`)).json()) as {
      data: { startTime: string }[];
    };
    // From the 10th newest span's start: only the spans at or after it remain.
    const fromMs = Date.parse(all.data[9]?.startTime ?? '');
    const expected = all.data.filter((c) => Date.parse(c.startTime) >= fromMs).length;
    expect(expected).toBeLessThan(50);
    await page.goto(`${stack.url}/calls?range=custom&from=${fromMs}&to=${Date.now() + 60_000}`);
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await rowCount(page)).toBe(expected);
    expect(await page.getByLabel('Time range').inputValue()).toBe('custom');
    expectClean(watch);
    await page.close();
  });

  it('pages through the calls with the cursor', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    const first = await page.locator('table.calls tbody tr').first().getAttribute('data-span-id');
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2 ·').waitFor();
    // The page label changes at the click, the rows once the next page has arrived.
    await expect
      .poll(() => page.locator('table.calls tbody tr').first().getAttribute('data-span-id'))
      .not.toBe(first);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Page 1 ·').waitFor();
    await expect
      .poll(() => page.locator('table.calls tbody tr').first().getAttribute('data-span-id'))
      .toBe(first);
    expectClean(watch);
    await page.close();
  });

  it('opens a trace from the table with the keyboard and shows its waterfall and call', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/calls?model=gpt-4o`);
    await page.locator('table.calls tbody tr').first().waitFor();
    const rows = page.locator('table.calls tbody tr');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    const focusedSpan = await page.evaluate(() =>
      document.activeElement?.getAttribute('data-span-id'),
    );
    expect(focusedSpan).toBe(await rows.nth(1).getAttribute('data-span-id'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?span=/);
    await page.locator('.waterfall .wf-row').first().waitFor();
    // Parent chain span and its two model calls.
    expect(await page.locator('.waterfall .wf-row').count()).toBe(3);
    const details = page.locator('.span-details');
    await expect.poll(() => details.locator('h2').textContent()).toContain('chat gpt-4o');
    expect(await details.textContent()).toContain(focusedSpan ?? 'missing');
    await page.getByRole('option', { name: /answer-question/ }).click();
    await expect.poll(() => details.locator('h2').textContent()).toContain('answer-question');
    expectClean(watch);
    await page.close();
  });

  it('trace page shows messages, tokens, cost source and attributes', async () => {
    const { page, watch } = await watchedPage(stack);
    // Open it with a click on the span's link in the table, narrowed to the trace.
    await page.goto(`${stack.url}/calls?traceId=${stack.seeded.chatTraceId}`);
    await expect.poll(() => rowCount(page)).toBe(3);
    await page
      .locator('table.calls tbody tr', { hasText: 'answer-question' })
      .getByRole('link')
      .click();
    await page.waitForURL(new RegExp(`/traces/${stack.seeded.chatTraceId}\\?span=`));
    await page.locator('.span-details').waitFor();
    await expect
      .poll(() => page.locator('.span-details h2').textContent())
      .toContain('answer-question');
    await page
      .getByRole('option', { name: /chat gpt-4o-mini/ })
      .first()
      .click();
    await expect
      .poll(() => page.locator('.span-details h2').textContent())
      .toContain('chat gpt-4o-mini');
    const text = (await page.locator('.span-details').textContent()) ?? '';
    expect(text).toContain('Question number 0: what is the capital of France?');
    expect(text).toMatch(/Echo: Question number 0/);
    expect(text).toMatch(/priced by the (sdk|collector)/);
    expect(text).toContain('gen_ai.usage.input_tokens');
    expect(await page.locator('.message .role-name').allTextContents()).toEqual(
      expect.arrayContaining(['system', 'user', 'assistant']),
    );
    expect(await page.locator('table.feedback tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^1\s+helpful\s+Paris, correct\s+answer-question\s/),
    ]);
    await screenshot(page, 'trace');
    expectClean(watch);
    await page.close();
  });

  it('overview shows headline numbers and charts from the seeded calls', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/`);
    await page.locator('.headline').first().waitFor();
    const calls = page.locator('.headline', { hasText: 'Calls' }).locator('.headline-value');
    expect(await calls.textContent()).toBe(String(stack.seeded.genAiCalls));
    const errorRate = page
      .locator('.headline', { hasText: 'Error rate' })
      .locator('.headline-value');
    expect(await errorRate.textContent()).toBe(
      fmtPct(stack.seeded.errorCalls / stack.seeded.genAiCalls),
    );
    expect(await page.locator('.chart .uplot canvas').count()).toBe(6);
    const legend = await page.locator('.chart').first().locator('.u-legend').textContent();
    expect(legend).toContain('gpt-4o-mini');
    await screenshot(page, 'overview');
    expectClean(watch);
    await page.close();
  });

  it('models, alerts and drift pages load with their tables', async () => {
    for (const [path, title] of [
      ['/models', 'Models'],
      ['/alerts', 'Alerts'],
      ['/drift', 'Drift'],
    ] as const) {
      const { page, watch } = await watchedPage(stack);
      await page.goto(`${stack.url}${path}`);
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await page.locator('table, .empty, p.muted').first().waitFor();
      expect(await page.locator('.not-available').count()).toBe(0);
      await screenshot(page, title.toLowerCase());
      expectClean(watch);
      await page.close();
    }
  });

  it("a model's owner is edited in place and persists", async () => {
    const models = (await (await fetch(`${stack.url}/api/models`)).json()) as {
      data?: { id: string }[];
    };
    // The inventory is the collector's (issue 6); it lists every model the seed used.
    expect(models.data?.map((m) => m.id)).toEqual(
      expect.arrayContaining(['gpt-4o', 'gpt-4o-mini']),
    );
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/models`);
    const row = page.locator('tr[data-model-id="gpt-4o-mini"]');
    await row.waitFor();
    expect(await row.locator('.owner').textContent()).toBe('unowned');
    await row.getByRole('button', { name: 'Edit gpt-4o-mini' }).click();
    const form = page.getByRole('form', { name: 'Edit gpt-4o-mini' });
    await form.getByLabel('Owner').fill('search-team');
    await form.getByLabel('Purpose').fill('answers support questions');
    await form.getByLabel('Last review').fill('2026-11-01');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.locator('.owner').textContent()).toBe('search-team');

    await page.reload();
    await page.locator('tr[data-model-id="gpt-4o-mini"] .owner').waitFor();
    expect(await page.locator('tr[data-model-id="gpt-4o-mini"] .owner').textContent()).toBe(
      'search-team',
    );
    const after = (await (await fetch(`${stack.url}/api/models`)).json()) as {
      data: {
        id: string;
        owner: string | null;
        purpose: string | null;
        reviewedAt: string | null;
      }[];
    };
    const mini = after.data.find((m) => m.id === 'gpt-4o-mini');
    expect(mini?.owner).toBe('search-team');
    expect(mini?.purpose).toBe('answers support questions');
    expect(mini?.reviewedAt?.slice(0, 10)).toBe('2026-11-01');
    expect(after.data.find((m) => m.id === 'gpt-4o')?.owner).toBeNull();
    await screenshot(page, 'models');

    // Each model's trend: the overview narrowed to that model.
    await page.getByRole('link', { name: 'Trend of gpt-4o-mini' }).click();
    await page.waitForURL(/model=gpt-4o-mini/);
    const calls = page.locator('.headline', { hasText: 'Calls' }).locator('.headline-value');
    await calls.waitFor();
    expect(await calls.textContent()).toBe(String(stack.seeded.miniCalls));
    expectClean(watch);
    await page.close();
  });

  it('an alert rule created in the UI appears in the API, can be muted and deleted', async () => {
    const { page, watch } = await watchedPage(stack);
    await page.goto(`${stack.url}/alerts`);
    {
      const form = page.getByRole('form', { name: 'New alert rule' });
      await form.getByLabel('Name').fill('p95 too slow');
      await form.getByLabel('Metric').selectOption('latency_p95');
      await form.getByLabel('Comparator').selectOption('>');
      await form.getByLabel('Threshold').fill('2000');
      await form.getByLabel('Window (minutes)').fill('10');
      await form.getByRole('button', { name: 'Create rule' }).click();
      const row = page.locator('table.alert-rules tr', { hasText: 'p95 too slow' });
      await row.waitFor();
      type Rules = {
        data: {
          id: string;
          name?: string;
          threshold: number;
          windowSec: number;
          enabled: boolean;
        }[];
      };
      const rules = async () =>
        ((await (await fetch(`${stack.url}/api/alerts/rules`)).json()) as Rules).data;
      const created = (await rules()).find((r) => r.name === 'p95 too slow');
      expect(created).toMatchObject({
        metric: 'latency_p95',
        threshold: 2000,
        windowSec: 600,
        enabled: true,
      });
      await row.getByRole('button', { name: 'Mute' }).click();
      await expect
        .poll(async () => (await rules()).find((r) => r.id === created?.id)?.enabled)
        .toBe(false);
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.getByRole('button', { name: 'Really delete' }).click();
      await expect.poll(async () => (await rules()).some((r) => r.id === created?.id)).toBe(false);
    }
    await screenshot(page, 'alerts');
    expectClean(watch);
    await page.close();
  });

  it('a drift monitor run shows its verdict and both distributions', async () => {
    const { page, watch } = await watchedPage(stack);
    {
      const created = await fetch(`${stack.url}/api/drift/monitors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'model-e2e',
          feature: 'model',
          referenceWindow: { type: 'previous' },
          currentWindow: { windowSec: 3600 },
          minSamples: 1,
        }),
      });
      expect(created.status).toBe(201);
      await page.goto(`${stack.url}/drift`);
      const row = page.locator('tr[data-monitor-id="model-e2e"]');
      await row.getByRole('button', { name: 'Run now' }).click();
      await page.locator('table.drift-runs tbody tr').first().waitFor();
      expect(await page.locator('.drift-run h3').textContent()).toMatch(/drift|insufficient data/);
      await screenshot(page, 'drift');
    }
    expectClean(watch);
    await page.close();
  });

  it('XSS corpus in prompts, outputs, names and attributes stays text in every view', async () => {
    const { page, watch } = await watchedPage(stack);
    // Calls table: the hostile model name and span name.
    await page.goto(`${stack.url}/calls`);
    await page.locator('table.calls tbody tr').first().waitFor();
    expect(await columnTexts(page, 'Model')).toContain(XSS_MODEL);
    // Trace: prompt, output, span name, attributes, for each span of the trace.
    await page.goto(`${stack.url}/traces/${stack.seeded.xssTraceId}`);
    await page.locator('.span-details').waitFor();
    for (const row of await page.locator('.waterfall .wf-row').all()) {
      await row.click();
      await page.locator('.span-details pre.text').first().waitFor();
      const text = (await page.locator('.span-details').textContent()) ?? '';
      expect(text).toContain('<script>window.__pwned = 1; alert("script")</script>');
      expect(text).toContain('![tracker](https://evil.example/pixel.png)');
    }
    await screenshot(page, 'trace-xss');
    // Overview: the hostile model name in the chart legends.
    await page.goto(`${stack.url}/`);
    await page.locator('.chart .u-legend').first().waitFor();
    expect(await page.locator('.chart').first().locator('.u-legend').textContent()).toContain(
      XSS_MODEL,
    );
    for (const path of ['/models', '/alerts', '/drift']) {
      await page.goto(`${stack.url}${path}`);
      await page.locator('table, .empty, p.muted').first().waitFor();
      expect(await page.locator('.not-available').count()).toBe(0);
    }
    // Nothing from the corpus became markup, ran, or fetched anything.
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(XSS_CORPUS).toContain('evil.example');
    expectClean(watch);
    await page.close();
  });
});
