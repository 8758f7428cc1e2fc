import { z } from 'zod';

/**
 * List prices in USD per million tokens. One table for the SDK and the collector.
 *
 * `checkedAt` is the date the entry was last compared with the provider's public
 * price page. Cache reads are billed at `cachedInputPerMTok`; cache writes at
 * `cacheWritePerMTok` (Anthropic's 5-minute write rate). Where a provider has no
 * separate rate the field is absent and the normal input rate applies.
 */
export const priceEntrySchema = z.object({
  model: z.string().min(1),
  provider: z.string().min(1),
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cachedInputPerMTok: z.number().nonnegative().optional(),
  cacheWritePerMTok: z.number().nonnegative().optional(),
  /** YYYY-MM-DD */
  checkedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type PriceEntry = z.infer<typeof priceEntrySchema>;

const e = (
  provider: string,
  model: string,
  inputPerMTok: number,
  outputPerMTok: number,
  cachedInputPerMTok: number | undefined,
  cacheWritePerMTok: number | undefined,
  checkedAt: string,
): PriceEntry => ({
  provider,
  model,
  inputPerMTok,
  outputPerMTok,
  ...(cachedInputPerMTok === undefined ? {} : { cachedInputPerMTok }),
  ...(cacheWritePerMTok === undefined ? {} : { cacheWritePerMTok }),
  checkedAt,
});

const CHECKED = '2025-10-15';

/** The default price table. */
export const DEFAULT_PRICES: readonly PriceEntry[] = [
  // OpenAI
  e('openai', 'gpt-5', 1.25, 10, 0.125, undefined, CHECKED),
  e('openai', 'gpt-5-mini', 0.25, 2, 0.025, undefined, CHECKED),
  e('openai', 'gpt-5-nano', 0.05, 0.4, 0.005, undefined, CHECKED),
  e('openai', 'gpt-4.1', 2, 8, 0.5, undefined, CHECKED),
  e('openai', 'gpt-4.1-mini', 0.4, 1.6, 0.1, undefined, CHECKED),
  e('openai', 'gpt-4.1-nano', 0.1, 0.4, 0.025, undefined, CHECKED),
  e('openai', 'gpt-4o', 2.5, 10, 1.25, undefined, CHECKED),
  e('openai', 'gpt-4o-mini', 0.15, 0.6, 0.075, undefined, CHECKED),
  e('openai', 'gpt-4-turbo', 10, 30, undefined, undefined, CHECKED),
  e('openai', 'gpt-4', 30, 60, undefined, undefined, CHECKED),
  e('openai', 'gpt-3.5-turbo', 0.5, 1.5, undefined, undefined, CHECKED),
  e('openai', 'o1', 15, 60, 7.5, undefined, CHECKED),
  e('openai', 'o1-mini', 1.1, 4.4, 0.55, undefined, CHECKED),
  e('openai', 'o3', 2, 8, 0.5, undefined, CHECKED),
  e('openai', 'o3-mini', 1.1, 4.4, 0.55, undefined, CHECKED),
  e('openai', 'o4-mini', 1.1, 4.4, 0.275, undefined, CHECKED),
  e('openai', 'text-embedding-3-small', 0.02, 0, undefined, undefined, CHECKED),
  e('openai', 'text-embedding-3-large', 0.13, 0, undefined, undefined, CHECKED),
  e('openai', 'text-embedding-ada-002', 0.1, 0, undefined, undefined, CHECKED),
  // Anthropic (cache write = 5-minute TTL rate)
  e('anthropic', 'claude-opus-4-5', 5, 25, 0.5, 6.25, CHECKED),
  e('anthropic', 'claude-opus-4-1', 15, 75, 1.5, 18.75, CHECKED),
  e('anthropic', 'claude-opus-4', 15, 75, 1.5, 18.75, CHECKED),
  e('anthropic', 'claude-sonnet-4-5', 3, 15, 0.3, 3.75, CHECKED),
  e('anthropic', 'claude-sonnet-4', 3, 15, 0.3, 3.75, CHECKED),
  e('anthropic', 'claude-3-7-sonnet', 3, 15, 0.3, 3.75, CHECKED),
  e('anthropic', 'claude-3-5-sonnet', 3, 15, 0.3, 3.75, CHECKED),
  e('anthropic', 'claude-haiku-4-5', 1, 5, 0.1, 1.25, CHECKED),
  e('anthropic', 'claude-3-5-haiku', 0.8, 4, 0.08, 1, CHECKED),
  e('anthropic', 'claude-3-haiku', 0.25, 1.25, 0.03, 0.3, CHECKED),
  e('anthropic', 'claude-3-opus', 15, 75, 1.5, 18.75, CHECKED),
  // Google (prompts up to 200k tokens)
  e('gcp.gemini', 'gemini-2.5-pro', 1.25, 10, 0.31, undefined, CHECKED),
  e('gcp.gemini', 'gemini-2.5-flash', 0.3, 2.5, 0.075, undefined, CHECKED),
  e('gcp.gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 0.025, undefined, CHECKED),
  e('gcp.gemini', 'gemini-2.0-flash', 0.1, 0.4, 0.025, undefined, CHECKED),
  e('gcp.gemini', 'gemini-2.0-flash-lite', 0.075, 0.3, undefined, undefined, CHECKED),
  // Mistral
  e('mistral_ai', 'mistral-large', 2, 6, undefined, undefined, CHECKED),
  e('mistral_ai', 'mistral-medium', 0.4, 2, undefined, undefined, CHECKED),
  e('mistral_ai', 'mistral-small', 0.1, 0.3, undefined, undefined, CHECKED),
  e('mistral_ai', 'codestral', 0.3, 0.9, undefined, undefined, CHECKED),
  e('mistral_ai', 'mistral-embed', 0.1, 0, undefined, undefined, CHECKED),
  // Open-weight models at common hosted list prices
  e('groq', 'llama-3.3-70b-versatile', 0.59, 0.79, undefined, undefined, CHECKED),
  e('groq', 'llama-3.1-8b-instant', 0.05, 0.08, undefined, undefined, CHECKED),
  e('meta', 'llama-3-70b', 0.59, 0.79, undefined, undefined, CHECKED),
  e('meta', 'llama-3-8b', 0.05, 0.08, undefined, undefined, CHECKED),
  e('deepseek', 'deepseek-chat', 0.27, 1.1, 0.07, undefined, CHECKED),
  e('deepseek', 'deepseek-reasoner', 0.55, 2.19, 0.14, undefined, CHECKED),
  e('x_ai', 'grok-4', 3, 15, 0.75, undefined, CHECKED),
  e('x_ai', 'grok-3-mini', 0.3, 0.5, 0.075, undefined, CHECKED),
];

/** Names that are not a dated snapshot of their base but mean the same model. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  'chatgpt-4o-latest': 'gpt-4o',
  'gpt-4o-2024-05-13': 'gpt-4o',
  'claude-3-5-sonnet-latest': 'claude-3-5-sonnet',
  'claude-3-7-sonnet-latest': 'claude-3-7-sonnet',
  'claude-3-5-haiku-latest': 'claude-3-5-haiku',
  'claude-opus-4-0': 'claude-opus-4',
  'claude-sonnet-4-0': 'claude-sonnet-4',
  'mistral-large-latest': 'mistral-large',
  'mistral-medium-latest': 'mistral-medium',
  'mistral-small-latest': 'mistral-small',
  'codestral-latest': 'codestral',
  'meta-llama-3-70b-instruct': 'llama-3-70b',
  'meta-llama-3-8b-instruct': 'llama-3-8b',
  'llama3-70b-8192': 'llama-3-70b',
  'llama3-8b-8192': 'llama-3-8b',
};

// Suffixes that name a dated snapshot or a moving pointer of the same model:
// -2024-08-06, -20241022, @20241022 (Vertex), -0613, -2407, -latest, -001 (Gemini), -v1:0 (Bedrock).
const SNAPSHOT_SUFFIX =
  /(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|latest|preview(?:-\d{2}-\d{4}|-\d{2}-\d{2})?|exp))+(?:-v\d+(?::\d+)?)?$|-v\d+(?::\d+)?$/;
/** Lower-cased, host prefix and snapshot suffix removed: `openai/gpt-4o-2024-08-06` → `gpt-4o`. */
export function baseModelName(model: string): string {
  let name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  name = name.replace(
    /^(?:(?:us|eu|apac|global)\.)?(?:anthropic|meta|mistral|amazon|cohere)\./,
    '',
  );
  return name.replace(SNAPSHOT_SUFFIX, '');
}

/** A lookup over a price table, built once. */
export interface PriceBook {
  /** The entry for `model`, or null when the model is unknown (never a guess). */
  find(model: string): PriceEntry | null;
  readonly entries: readonly PriceEntry[];
}

/**
 * Builds a price book. Later entries override earlier ones with the same model
 * name, so `createPriceBook([...DEFAULT_PRICES, ...overrides])` applies overrides.
 *
 * Matching, in order: exact name (case-insensitive); an alias; the name with its
 * host prefix and dated-snapshot suffix removed (`gpt-4o-2024-08-06` → `gpt-4o`),
 * then that name's alias. No prefix guessing: `gpt-4o-mini` never matches `gpt-4o`.
 */
export function createPriceBook(entries: readonly PriceEntry[] = DEFAULT_PRICES): PriceBook {
  const byName = new Map<string, PriceEntry>();
  for (const entry of entries) byName.set(entry.model.toLowerCase(), entry);
  const cache = new Map<string, PriceEntry | null>();
  const lookup = (name: string): PriceEntry | undefined => {
    const direct = byName.get(name);
    if (direct) return direct;
    const alias = MODEL_ALIASES[name];
    return alias === undefined ? undefined : byName.get(alias);
  };
  return {
    entries,
    find(model: string): PriceEntry | null {
      const cached = cache.get(model);
      if (cached !== undefined) return cached;
      const lower = model.trim().toLowerCase();
      const found = lookup(lower) ?? lookup(baseModelName(lower)) ?? null;
      if (cache.size < 10_000) cache.set(model, found);
      return found;
    },
  };
}

/** Token counts of one call, as the conventions define them. */
export interface TokenUsage {
  /** Total input tokens, cache reads and cache writes included. */
  inputTokens: number | null | undefined;
  outputTokens: number | null | undefined;
  cacheReadInputTokens?: number | null | undefined;
  cacheCreationInputTokens?: number | null | undefined;
}

/**
 * Cost of a call in USD, or null when it cannot be known (no price, no tokens).
 *
 * cost = (input − cacheRead − cacheWrite)·in + cacheRead·cachedIn + cacheWrite·cacheWriteRate + output·out,
 * all per million tokens; a missing cached or cache-write rate falls back to the input rate.
 */
export function computeCostUsd(price: PriceEntry | null, usage: TokenUsage): number | null {
  if (price === null) return null;
  const input = usage.inputTokens ?? null;
  const output = usage.outputTokens ?? null;
  if (input === null && output === null) return null;
  const cacheRead = Math.max(0, usage.cacheReadInputTokens ?? 0);
  const cacheWrite = Math.max(0, usage.cacheCreationInputTokens ?? 0);
  const uncached = Math.max(0, (input ?? 0) - cacheRead - cacheWrite);
  const micro =
    uncached * price.inputPerMTok +
    cacheRead * (price.cachedInputPerMTok ?? price.inputPerMTok) +
    cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    (output ?? 0) * price.outputPerMTok;
  return micro / 1_000_000;
}
