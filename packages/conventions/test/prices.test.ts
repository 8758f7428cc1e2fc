import { describe, expect, it } from 'vitest';
import {
  baseModelName,
  computeCostUsd,
  createPriceBook,
  DEFAULT_PRICES,
  priceEntrySchema,
} from '../src/index.js';

describe('price table', () => {
  it('has valid, unique entries', () => {
    const names = new Set<string>();
    for (const entry of DEFAULT_PRICES) {
      expect(priceEntrySchema.safeParse(entry).success).toBe(true);
      expect(names.has(entry.model)).toBe(false);
      names.add(entry.model);
    }
  });
});

describe('baseModelName', () => {
  it.each([
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['claude-3-5-haiku@20241022', 'claude-3-5-haiku'],
    ['anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku'],
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4'],
    ['models/gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['mistral-large-2407', 'mistral-large'],
    ['GPT-4.1-Mini', 'gpt-4.1-mini'],
  ])('%s → %s', (input, expected) => {
    expect(baseModelName(input)).toBe(expected);
  });
});

describe('createPriceBook', () => {
  const book = createPriceBook();

  it('resolves snapshots and aliases to their base model', () => {
    expect(book.find('gpt-4o-2024-08-06')?.model).toBe('gpt-4o');
    expect(book.find('chatgpt-4o-latest')?.model).toBe('gpt-4o');
    expect(book.find('claude-3-5-sonnet-latest')?.model).toBe('claude-3-5-sonnet');
    expect(book.find('mistral-large-latest')?.model).toBe('mistral-large');
  });

  it('never guesses by prefix', () => {
    expect(book.find('gpt-4o-mini')?.model).toBe('gpt-4o-mini');
    expect(book.find('gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(book.find('gpt-4o-ultra')).toBeNull();
    expect(book.find('my-finetune')).toBeNull();
  });

  it('lets later entries override earlier ones', () => {
    const custom = createPriceBook([
      ...DEFAULT_PRICES,
      {
        model: 'gpt-4o',
        provider: 'openai',
        inputPerMTok: 1,
        outputPerMTok: 2,
        checkedAt: '2026-01-01',
      },
    ]);
    expect(custom.find('gpt-4o-2024-08-06')?.inputPerMTok).toBe(1);
  });
});

describe('computeCostUsd', () => {
  const book = createPriceBook();

  it('prices input and output per million tokens', () => {
    // gpt-4o: $2.50 in, $10 out per 1M
    expect(
      computeCostUsd(book.find('gpt-4o'), { inputTokens: 1000, outputTokens: 500 }),
    ).toBeCloseTo(0.0025 + 0.005, 12);
  });

  it('bills cache reads at the cached rate, counted inside input tokens', () => {
    // 1000 input of which 800 cache reads: 200 × 2.5 + 800 × 1.25 per 1M
    const cost = computeCostUsd(book.find('gpt-4o'), {
      inputTokens: 1000,
      outputTokens: 0,
      cacheReadInputTokens: 800,
    });
    expect(cost).toBeCloseTo((200 * 2.5 + 800 * 1.25) / 1e6, 12);
  });

  it('bills cache writes at the cache-write rate', () => {
    // claude-sonnet-4: 3 in, 3.75 write, 0.3 read
    const cost = computeCostUsd(book.find('claude-sonnet-4-20250514'), {
      inputTokens: 1000,
      outputTokens: 10,
      cacheReadInputTokens: 500,
      cacheCreationInputTokens: 300,
    });
    expect(cost).toBeCloseTo((200 * 3 + 500 * 0.3 + 300 * 3.75 + 10 * 15) / 1e6, 12);
  });

  it('is null for an unknown model or missing usage, never zero', () => {
    expect(
      computeCostUsd(book.find('unknown-model'), { inputTokens: 10, outputTokens: 10 }),
    ).toBeNull();
    expect(
      computeCostUsd(book.find('gpt-4o'), { inputTokens: null, outputTokens: null }),
    ).toBeNull();
  });
});
