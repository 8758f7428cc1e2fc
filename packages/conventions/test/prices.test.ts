import { describe, expect, it } from 'vitest';
import {
  baseModelName,
  computeCostUsd,
  createPriceBook,
  DEFAULT_PRICES,
  MODEL_ALIASES,
  priceEntrySchema,
} from '../src/index.js';
import { modelNameCandidates, type PriceOverride } from '../src/prices.js';

describe('price table', () => {
  it('has valid, unique entries', () => {
    const names = new Set<string>();
    for (const entry of DEFAULT_PRICES) {
      expect(priceEntrySchema.safeParse(entry).success).toBe(true);
      expect(names.has(entry.model)).toBe(false);
      names.add(entry.model);
    }
  });

  it('dates every entry with a real calendar day, none in the future', () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const entry of DEFAULT_PRICES) {
      expect(new Date(`${entry.checkedAt}T00:00:00Z`).toISOString().slice(0, 10)).toBe(
        entry.checkedAt,
      );
      expect(entry.checkedAt <= today).toBe(true);
    }
  });

  it('prices cache reads below and cache writes above the input rate', () => {
    for (const entry of DEFAULT_PRICES) {
      if (entry.cachedInputPerMTok !== undefined) {
        expect(entry.cachedInputPerMTok).toBeLessThan(entry.inputPerMTok);
      }
      if (entry.cacheWritePerMTok !== undefined) {
        expect(entry.cacheWritePerMTok).toBeGreaterThan(entry.inputPerMTok);
      }
    }
  });

  it('covers the current models of each provider', () => {
    const book = createPriceBook();
    for (const model of [
      'gpt-5',
      'gpt-5-mini',
      'gpt-4.1',
      'gpt-4o-mini',
      'o3',
      'o4-mini',
      'claude-opus-4-5',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'mistral-large-latest',
      'mistral-medium-latest',
      'mistral-small-latest',
      'codestral-latest',
      'openai/gpt-oss-120b',
      'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      'llama-3.3-70b-versatile',
      'deepseek-chat',
      'grok-4',
    ]) {
      expect(book.find(model), model).not.toBeNull();
    }
  });
});

describe('MODEL_ALIASES', () => {
  const book = createPriceBook();
  const entries = new Set(DEFAULT_PRICES.map((p) => p.model));

  it.each(Object.entries(MODEL_ALIASES))('%s → %s, an entry of the table', (alias, target) => {
    expect(entries.has(target)).toBe(true);
    expect(entries.has(alias)).toBe(false);
    expect(book.find(alias)?.model).toBe(target);
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
    ['mistral-small-latest', 'mistral-small'],
    ['gemini-1.5-pro-002@latest', 'gemini-1.5-pro'],
    ['amazon.nova-pro-v1:0', 'nova-pro'],
    ['openai.gpt-oss-120b-1:0', 'gpt-oss-120b'],
    // Not snapshots: kept.
    ['gemini-2.5-flash-preview-05-20', 'gemini-2.5-flash-preview-05-20'],
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['deepseek-v3', 'deepseek-v3'],
    ['llama-3.1-8b-instant', 'llama-3.1-8b-instant'],
  ])('%s → %s', (input, expected) => {
    expect(baseModelName(input)).toBe(expected);
  });

  it('lists the lookup names from most to least specific', () => {
    expect(modelNameCandidates('us.anthropic.claude-3-5-sonnet-20241022-v2:0')).toEqual([
      'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'claude-3-5-sonnet-20241022-v2:0',
      'claude-3-5-sonnet-20241022',
      'claude-3-5-sonnet',
    ]);
  });
});

describe('createPriceBook', () => {
  const book = createPriceBook();

  // Every snapshot and host spelling the matching rules are documented to handle.
  it.each([
    ['gpt-4o-2024-08-06', 'gpt-4o'], // OpenAI dated snapshot
    ['gpt-4o-2024-11-20', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['gpt-4-0613', 'gpt-4'], // OpenAI MMDD snapshot
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['o1-preview-2024-09-12', 'o1'], // snapshot of an alias
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'], // Anthropic YYYYMMDD
    ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'], // -latest pointer
    ['claude-haiku-4-5@20251001', 'claude-haiku-4-5'], // Vertex AI @YYYYMMDD
    ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'], // Vertex AI alias + snapshot
    ['anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku'], // Bedrock id
    ['us.anthropic.claude-opus-4-1-20250805-v1:0', 'claude-opus-4-1'], // Bedrock profile
    ['eu.amazon.nova-lite-v1:0', 'nova-lite'],
    ['anthropic/claude-sonnet-4.5', 'claude-sonnet-4-5'], // OpenRouter spelling
    ['models/gemini-2.0-flash-001', 'gemini-2.0-flash'], // Gemini version suffix
    ['publishers/google/models/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['mistral-large-2411', 'mistral-large'], // Mistral YYMM
    ['open-mistral-nemo-2407', 'mistral-nemo'],
    ['mistral-small-latest', 'mistral-small'],
    ['command-r-plus-08-2024', 'command-r-plus'],
    ['moonshotai/kimi-k2-instruct-0905', 'kimi-k2-instruct'],
    ['deepseek-ai/DeepSeek-V3', 'deepseek-v3'],
    ['Qwen/Qwen2.5-72B-Instruct-Turbo', 'qwen2.5-72b-instruct-turbo'],
    ['azure/GPT-4.1', 'gpt-4.1'],
  ])('%s → %s', (model, entry) => {
    expect(book.find(model)?.model).toBe(entry);
  });

  it('prefers an entry for a snapshot over its base model', () => {
    // The first gpt-4o snapshot and chatgpt-4o-latest kept gpt-4o's launch price.
    expect(book.find('gpt-4o-2024-05-13')?.inputPerMTok).toBe(5);
    expect(book.find('chatgpt-4o-latest')?.inputPerMTok).toBe(5);
    expect(book.find('gpt-4o-2024-08-06')?.inputPerMTok).toBe(2.5);
    expect(book.find('gpt-3.5-turbo-1106')?.inputPerMTok).toBe(1);
    expect(book.find('gpt-3.5-turbo-16k-0613')?.model).toBe('gpt-3.5-turbo-16k');
    expect(book.find('gpt-3.5-turbo-0125')?.inputPerMTok).toBe(0.5);
  });

  it('never guesses by prefix', () => {
    expect(book.find('gpt-4o-mini')?.model).toBe('gpt-4o-mini');
    expect(book.find('gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(book.find('gpt-4o-ultra')).toBeNull();
    expect(book.find('gpt-4o-audio-preview')).toBeNull();
    expect(book.find('gpt-5-mini-x')).toBeNull();
    expect(book.find('claude-sonnet-4-5-extended')).toBeNull();
    expect(book.find('gemini-2.5-flash-preview-05-20')).toBeNull();
    expect(book.find('my-finetune')).toBeNull();
    expect(book.find('')).toBeNull();
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
    expect(createPriceBook().find('gpt-4o-2024-08-06')?.inputPerMTok).toBe(2.5);
  });
});

describe('createPriceBook with overrides', () => {
  const MARCH = Date.UTC(2026, 2, 1);
  const JUNE = Date.UTC(2026, 5, 1);
  const override = (model: string, inputPerMTok: number, fromMs: number): PriceOverride => ({
    model,
    provider: 'openai',
    inputPerMTok,
    outputPerMTok: inputPerMTok * 4,
    effectiveFromMs: fromMs,
  });

  it('prices a call with the override in effect at its start, else the default', () => {
    const book = createPriceBook(DEFAULT_PRICES, [
      override('gpt-4o', 2, MARCH),
      override('gpt-4o', 1.5, JUNE),
    ]);
    expect(book.find('gpt-4o', MARCH - 1)?.inputPerMTok).toBe(2.5);
    expect(book.find('gpt-4o', MARCH)?.inputPerMTok).toBe(2);
    expect(book.find('gpt-4o', JUNE - 1)?.inputPerMTok).toBe(2);
    expect(book.find('gpt-4o', JUNE + 1)?.inputPerMTok).toBe(1.5);
    expect(book.match('gpt-4o', MARCH - 1)).toMatchObject({
      source: 'default',
      effectiveFromMs: null,
      effectiveUntilMs: MARCH,
    });
    expect(book.match('gpt-4o', MARCH + 1)).toMatchObject({
      source: 'override',
      name: 'gpt-4o',
      effectiveFromMs: MARCH,
      effectiveUntilMs: JUNE,
      entry: { inputPerMTok: 2, outputPerMTok: 8, checkedAt: '2026-03-01' },
    });
    expect(book.match('gpt-4o', JUNE)?.effectiveUntilMs).toBeNull();
  });

  it('prices an added model only from its start, and never another model', () => {
    const book = createPriceBook(DEFAULT_PRICES, [override('My-Finetune', 3, MARCH)]);
    expect(book.find('my-finetune', MARCH - 1)).toBeNull();
    expect(book.find('my-finetune', MARCH)?.inputPerMTok).toBe(3);
    expect(book.find('openai/my-finetune-2026-03-04', MARCH)?.inputPerMTok).toBe(3);
    expect(book.find('my-finetune-v2', MARCH)).toBeNull();
  });

  it('resolves snapshots and aliases as the default table does', () => {
    const book = createPriceBook(DEFAULT_PRICES, [
      override('gpt-4o', 2, MARCH),
      override('claude-3-5-sonnet', 1, MARCH),
    ]);
    expect(book.find('gpt-4o-2024-08-06', MARCH)?.inputPerMTok).toBe(2);
    expect(book.find('azure/GPT-4o', MARCH)?.inputPerMTok).toBe(2);
    // The first gpt-4o snapshot has its own default entry: more specific, so it still applies.
    expect(book.find('gpt-4o-2024-05-13', MARCH)?.inputPerMTok).toBe(5);
    expect(book.find('gpt-4o-mini', MARCH)?.inputPerMTok).toBe(0.15);
    // An alias of the overridden entry follows it.
    expect(book.find('claude-3-5-sonnet-v2@20241022', MARCH)?.inputPerMTok).toBe(1);
    expect(book.find('claude-3.5-sonnet', MARCH)?.inputPerMTok).toBe(1);
  });

  it('lets an override of a snapshot fall back to its base model before it starts', () => {
    const book = createPriceBook(DEFAULT_PRICES, [override('gpt-4o-2024-08-06', 9, JUNE)]);
    expect(book.match('gpt-4o-2024-08-06', MARCH)).toMatchObject({
      source: 'default',
      name: 'gpt-4o',
      entry: { inputPerMTok: 2.5 },
      // The more specific override takes over in June.
      effectiveUntilMs: JUNE,
    });
    expect(book.find('gpt-4o-2024-08-06', JUNE)?.inputPerMTok).toBe(9);
    expect(book.find('gpt-4o-2024-11-20', JUNE)?.inputPerMTok).toBe(2.5);
  });

  it('uses the price in effect now when no time is given', () => {
    const now = Date.now();
    const book = createPriceBook(DEFAULT_PRICES, [
      override('gpt-4o', 2, now - 1000),
      override('gpt-4o', 7, now + 86_400_000),
    ]);
    expect(book.find('gpt-4o')?.inputPerMTok).toBe(2);
  });

  it('of two overrides with the same start, keeps the later one', () => {
    const book = createPriceBook(DEFAULT_PRICES, [
      override('gpt-4o', 2, MARCH),
      override('gpt-4o', 3, MARCH),
    ]);
    expect(book.find('gpt-4o', MARCH)?.inputPerMTok).toBe(3);
    expect(book.overrides).toHaveLength(2);
  });

  it('bills 800 cached of 1,000 input tokens at the override cached rate', () => {
    const book = createPriceBook(DEFAULT_PRICES, [
      { ...override('gpt-4o', 2, MARCH), cachedInputPerMTok: 0.2 },
    ]);
    const usage = { inputTokens: 1000, outputTokens: 0, cacheReadInputTokens: 800 };
    expect(computeCostUsd(book.find('gpt-4o', MARCH), usage)).toBeCloseTo(
      (200 * 2 + 800 * 0.2) / 1e6,
      15,
    );
    expect(computeCostUsd(book.find('gpt-4o', MARCH - 1), usage)).toBeCloseTo(
      (200 * 2.5 + 800 * 1.25) / 1e6,
      15,
    );
  });
});

describe('computeCostUsd', () => {
  it('never prices a missing token count as zero', () => {
    const book = createPriceBook();
    const chat = book.find('gpt-4o-mini');
    expect(computeCostUsd(chat, { inputTokens: null, outputTokens: 7 })).toBeNull();
    expect(computeCostUsd(chat, { inputTokens: 9, outputTokens: null })).toBeNull();
    expect(computeCostUsd(chat, { inputTokens: 9, outputTokens: 7 })).toBeCloseTo(
      (9 * 0.15 + 7 * 0.6) / 1e6,
      15,
    );
    // Embeddings bill no output: an input count alone prices them.
    const embeddings = book.find('text-embedding-3-small');
    expect(embeddings?.outputPerMTok).toBe(0);
    expect(computeCostUsd(embeddings, { inputTokens: 1000, outputTokens: null })).toBeCloseTo(
      (1000 * embeddings!.inputPerMTok) / 1e6,
      15,
    );
  });

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

  it.each([
    ['gpt-4o-mini', 0.15, 0.075],
    ['claude-sonnet-4-5-20250929', 3, 0.3],
    ['gemini-2.5-flash', 0.3, 0.075],
    ['deepseek-chat', 0.28, 0.028],
  ])('%s: 800 of 1,000 input tokens at the cached rate', (model, inRate, cachedRate) => {
    const cost = computeCostUsd(book.find(model), {
      inputTokens: 1000,
      outputTokens: 0,
      cacheReadInputTokens: 800,
    });
    expect(cost).toBeCloseTo((200 * inRate + 800 * cachedRate) / 1e6, 15);
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

  it('falls back to the input rate where a provider has no cache rate', () => {
    // mistral-large: $2 in, $6 out, no cached rate
    const cost = computeCostUsd(book.find('mistral-large-latest'), {
      inputTokens: 1000,
      outputTokens: 0,
      cacheReadInputTokens: 800,
    });
    expect(cost).toBeCloseTo((1000 * 2) / 1e6, 15);
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
