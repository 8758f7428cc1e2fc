import { z } from 'zod';

/**
 * One model's list price in USD per million tokens.
 *
 * Cache reads are billed at `cachedInputPerMTok`, cache writes at `cacheWritePerMTok`
 * (Anthropic's 5-minute write rate). Where a provider has no separate rate the
 * field is absent and the normal input rate applies.
 *
 * `checkedAt` (YYYY-MM-DD) is the date on which the figure is known to have been the
 * provider's public list price. The default table was compiled without network
 * access, from what the providers published, so each date is when that price was
 * known to apply, not when a price page was fetched; prices change, and a project can
 * override any entry (see `createPriceBook`).
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

const _ = undefined;

/**
 * The default price table: standard (not batch, not priority) tier, text tokens,
 * the short-context rate where a provider charges more for long prompts (Gemini
 * and Claude Sonnet above 200k tokens). Open-weight models are priced at one named
 * host's list price (the entry's `provider`); other hosts charge differently, so a
 * project that uses another host overrides the entry.
 */
export const DEFAULT_PRICES: readonly PriceEntry[] = [
  // OpenAI (platform.openai.com/docs/pricing)
  e('openai', 'gpt-5', 1.25, 10, 0.125, _, '2025-08-07'),
  e('openai', 'gpt-5-mini', 0.25, 2, 0.025, _, '2025-08-07'),
  e('openai', 'gpt-5-nano', 0.05, 0.4, 0.005, _, '2025-08-07'),
  e('openai', 'gpt-5-chat', 1.25, 10, 0.125, _, '2025-08-07'),
  e('openai', 'gpt-5-codex', 1.25, 10, 0.125, _, '2025-09-23'),
  e('openai', 'gpt-5-pro', 15, 120, _, _, '2025-10-06'),
  e('openai', 'gpt-4.1', 2, 8, 0.5, _, '2025-04-14'),
  e('openai', 'gpt-4.1-mini', 0.4, 1.6, 0.1, _, '2025-04-14'),
  e('openai', 'gpt-4.1-nano', 0.1, 0.4, 0.025, _, '2025-04-14'),
  e('openai', 'gpt-4.5', 75, 150, 37.5, _, '2025-02-27'),
  e('openai', 'gpt-4o', 2.5, 10, 1.25, _, '2024-10-01'),
  // The first gpt-4o snapshot and the ChatGPT model kept their launch price.
  e('openai', 'gpt-4o-2024-05-13', 5, 15, _, _, '2024-10-01'),
  e('openai', 'chatgpt-4o-latest', 5, 15, _, _, '2024-10-01'),
  e('openai', 'gpt-4o-mini', 0.15, 0.6, 0.075, _, '2024-10-01'),
  e('openai', 'gpt-4-turbo', 10, 30, _, _, '2024-10-01'),
  e('openai', 'gpt-4', 30, 60, _, _, '2024-10-01'),
  e('openai', 'gpt-4-32k', 60, 120, _, _, '2024-10-01'),
  e('openai', 'gpt-3.5-turbo', 0.5, 1.5, _, _, '2024-10-01'),
  // Older gpt-3.5-turbo snapshots kept their own, higher prices.
  e('openai', 'gpt-3.5-turbo-1106', 1, 2, _, _, '2024-10-01'),
  e('openai', 'gpt-3.5-turbo-0613', 1.5, 2, _, _, '2024-10-01'),
  e('openai', 'gpt-3.5-turbo-0301', 1.5, 2, _, _, '2024-10-01'),
  e('openai', 'gpt-3.5-turbo-16k', 3, 4, _, _, '2024-10-01'),
  e('openai', 'gpt-3.5-turbo-instruct', 1.5, 2, _, _, '2024-10-01'),
  e('openai', 'o1', 15, 60, 7.5, _, '2024-12-17'),
  e('openai', 'o1-mini', 1.1, 4.4, 0.55, _, '2025-01-31'),
  e('openai', 'o1-pro', 150, 600, _, _, '2025-03-19'),
  e('openai', 'o3', 2, 8, 0.5, _, '2025-06-10'),
  e('openai', 'o3-pro', 20, 80, _, _, '2025-06-10'),
  e('openai', 'o3-mini', 1.1, 4.4, 0.55, _, '2025-01-31'),
  e('openai', 'o4-mini', 1.1, 4.4, 0.275, _, '2025-04-16'),
  e('openai', 'codex-mini', 1.5, 6, 0.375, _, '2025-05-16'),
  e('openai', 'text-embedding-3-small', 0.02, 0, _, _, '2024-10-01'),
  e('openai', 'text-embedding-3-large', 0.13, 0, _, _, '2024-10-01'),
  e('openai', 'text-embedding-ada-002', 0.1, 0, _, _, '2024-10-01'),

  // Anthropic (anthropic.com/pricing): cache read 0.1×, 5-minute cache write 1.25× input.
  e('anthropic', 'claude-opus-4-5', 5, 25, 0.5, 6.25, '2025-11-24'),
  e('anthropic', 'claude-opus-4-1', 15, 75, 1.5, 18.75, '2025-08-05'),
  e('anthropic', 'claude-opus-4', 15, 75, 1.5, 18.75, '2025-05-22'),
  e('anthropic', 'claude-sonnet-4-5', 3, 15, 0.3, 3.75, '2025-09-29'),
  e('anthropic', 'claude-sonnet-4', 3, 15, 0.3, 3.75, '2025-05-22'),
  e('anthropic', 'claude-3-7-sonnet', 3, 15, 0.3, 3.75, '2025-02-24'),
  e('anthropic', 'claude-3-5-sonnet', 3, 15, 0.3, 3.75, '2024-10-22'),
  e('anthropic', 'claude-haiku-4-5', 1, 5, 0.1, 1.25, '2025-10-15'),
  e('anthropic', 'claude-3-5-haiku', 0.8, 4, 0.08, 1, '2024-12-01'),
  e('anthropic', 'claude-3-opus', 15, 75, 1.5, 18.75, '2024-10-22'),
  e('anthropic', 'claude-3-haiku', 0.25, 1.25, 0.03, 0.3, '2024-10-22'),

  // Google Gemini API (ai.google.dev/pricing), prompts up to 200k tokens (1.5: 128k).
  e('gcp.gemini', 'gemini-3-pro-preview', 2, 12, 0.2, _, '2025-11-18'),
  e('gcp.gemini', 'gemini-2.5-pro', 1.25, 10, 0.31, _, '2025-06-17'),
  e('gcp.gemini', 'gemini-2.5-flash', 0.3, 2.5, 0.075, _, '2025-06-17'),
  e('gcp.gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 0.025, _, '2025-07-22'),
  e('gcp.gemini', 'gemini-2.0-flash', 0.1, 0.4, 0.025, _, '2025-02-25'),
  e('gcp.gemini', 'gemini-2.0-flash-lite', 0.075, 0.3, _, _, '2025-02-25'),
  e('gcp.gemini', 'gemini-1.5-pro', 1.25, 5, 0.3125, _, '2024-10-01'),
  e('gcp.gemini', 'gemini-1.5-flash', 0.075, 0.3, 0.01875, _, '2024-10-01'),
  e('gcp.gemini', 'gemini-1.5-flash-8b', 0.0375, 0.15, 0.01, _, '2024-10-03'),
  e('gcp.gemini', 'gemini-embedding-001', 0.15, 0, _, _, '2025-07-14'),

  // Mistral (mistral.ai/pricing)
  e('mistral_ai', 'mistral-large', 2, 6, _, _, '2025-06-01'),
  e('mistral_ai', 'mistral-medium', 0.4, 2, _, _, '2025-06-01'),
  e('mistral_ai', 'mistral-small', 0.1, 0.3, _, _, '2025-06-01'),
  e('mistral_ai', 'magistral-medium', 2, 5, _, _, '2025-06-10'),
  e('mistral_ai', 'magistral-small', 0.5, 1.5, _, _, '2025-06-10'),
  e('mistral_ai', 'codestral', 0.3, 0.9, _, _, '2025-06-01'),
  e('mistral_ai', 'devstral-medium', 0.4, 2, _, _, '2025-07-10'),
  e('mistral_ai', 'devstral-small', 0.1, 0.3, _, _, '2025-07-10'),
  e('mistral_ai', 'pixtral-large', 2, 6, _, _, '2025-06-01'),
  e('mistral_ai', 'pixtral-12b', 0.15, 0.15, _, _, '2025-06-01'),
  e('mistral_ai', 'mistral-nemo', 0.15, 0.15, _, _, '2025-06-01'),
  e('mistral_ai', 'ministral-8b', 0.1, 0.1, _, _, '2025-06-01'),
  e('mistral_ai', 'ministral-3b', 0.04, 0.04, _, _, '2025-06-01'),
  e('mistral_ai', 'mistral-embed', 0.1, 0, _, _, '2025-06-01'),

  // xAI (docs.x.ai), DeepSeek (api-docs.deepseek.com, V3.2 prices), Cohere, Amazon Nova (Bedrock).
  e('x_ai', 'grok-4', 3, 15, 0.75, _, '2025-07-10'),
  e('x_ai', 'grok-4-fast', 0.2, 0.5, 0.05, _, '2025-09-19'),
  e('x_ai', 'grok-code-fast-1', 0.2, 1.5, 0.02, _, '2025-08-28'),
  e('x_ai', 'grok-3', 3, 15, 0.75, _, '2025-06-01'),
  e('x_ai', 'grok-3-mini', 0.3, 0.5, 0.075, _, '2025-06-01'),
  e('deepseek', 'deepseek-chat', 0.28, 0.42, 0.028, _, '2025-09-29'),
  e('deepseek', 'deepseek-reasoner', 0.28, 0.42, 0.028, _, '2025-09-29'),
  e('cohere', 'command-a', 2.5, 10, _, _, '2025-03-13'),
  e('cohere', 'command-r-plus', 2.5, 10, _, _, '2024-10-01'),
  e('cohere', 'command-r', 0.15, 0.6, _, _, '2024-10-01'),
  e('cohere', 'command-r7b', 0.0375, 0.15, _, _, '2024-12-13'),
  e('aws.bedrock', 'nova-pro', 0.8, 3.2, 0.2, _, '2025-04-07'),
  e('aws.bedrock', 'nova-lite', 0.06, 0.24, 0.015, _, '2025-04-07'),
  e('aws.bedrock', 'nova-micro', 0.035, 0.14, 0.00875, _, '2025-04-07'),

  // Open-weight models at Groq's list prices (console.groq.com/docs/models).
  e('groq', 'gpt-oss-120b', 0.15, 0.75, _, _, '2025-08-15'),
  e('groq', 'gpt-oss-20b', 0.1, 0.5, _, _, '2025-08-15'),
  e('groq', 'llama-3.3-70b-versatile', 0.59, 0.79, _, _, '2025-08-15'),
  e('groq', 'llama-3.1-8b-instant', 0.05, 0.08, _, _, '2025-08-15'),
  e('groq', 'llama-4-scout-17b-16e-instruct', 0.11, 0.34, _, _, '2025-08-15'),
  e('groq', 'llama-4-maverick-17b-128e-instruct', 0.2, 0.6, _, _, '2025-08-15'),
  e('groq', 'qwen3-32b', 0.29, 0.59, _, _, '2025-08-15'),
  e('groq', 'kimi-k2-instruct', 1, 3, _, _, '2025-08-15'),
  e('groq', 'llama3-70b-8192', 0.59, 0.79, _, _, '2025-01-15'),
  e('groq', 'llama3-8b-8192', 0.05, 0.08, _, _, '2025-01-15'),
  // Open-weight models at Together AI's list prices (together.ai/pricing).
  e('together', 'llama-3.3-70b-instruct-turbo', 0.88, 0.88, _, _, '2025-06-01'),
  e('together', 'meta-llama-3.1-405b-instruct-turbo', 3.5, 3.5, _, _, '2025-06-01'),
  e('together', 'meta-llama-3.1-70b-instruct-turbo', 0.88, 0.88, _, _, '2025-06-01'),
  e('together', 'meta-llama-3.1-8b-instruct-turbo', 0.18, 0.18, _, _, '2025-06-01'),
  e('together', 'deepseek-v3', 1.25, 1.25, _, _, '2025-06-01'),
  e('together', 'deepseek-r1', 3, 7, _, _, '2025-06-01'),
  e('together', 'qwen2.5-72b-instruct-turbo', 1.2, 1.2, _, _, '2025-06-01'),
];

/**
 * Names that are neither an entry nor a dated snapshot of one but bill as an entry:
 * moving pointers whose name differs from their model, and provider spellings of
 * the same weights. Every target is an entry of `DEFAULT_PRICES`.
 */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  'claude-opus-4-0': 'claude-opus-4',
  'claude-sonnet-4-0': 'claude-sonnet-4',
  // Vertex AI's name for the October 2024 Claude 3.5 Sonnet.
  'claude-3-5-sonnet-v2': 'claude-3-5-sonnet',
  // OpenRouter and other gateways spell Claude versions with dots.
  'claude-opus-4.5': 'claude-opus-4-5',
  'claude-opus-4.1': 'claude-opus-4-1',
  'claude-sonnet-4.5': 'claude-sonnet-4-5',
  'claude-haiku-4.5': 'claude-haiku-4-5',
  'claude-3.7-sonnet': 'claude-3-7-sonnet',
  'claude-3.5-sonnet': 'claude-3-5-sonnet',
  'claude-3.5-haiku': 'claude-3-5-haiku',
  'gpt-5-chat-latest': 'gpt-5-chat',
  'o1-preview': 'o1',
  'gpt-4-turbo-preview': 'gpt-4-turbo',
  'gpt-4-0125-preview': 'gpt-4-turbo',
  'gpt-4-1106-preview': 'gpt-4-turbo',
  'gpt-4-vision-preview': 'gpt-4-turbo',
  'codex-mini-latest': 'codex-mini',
  'gpt-4.5-preview': 'gpt-4.5',
  'open-mistral-nemo': 'mistral-nemo',
  'mistral-large-pixtral': 'pixtral-large',
  'grok-4-fast-reasoning': 'grok-4-fast',
  'grok-4-fast-non-reasoning': 'grok-4-fast',
  'grok-3-beta': 'grok-3',
  'grok-3-mini-beta': 'grok-3-mini',
  'command-a-03-2025': 'command-a',
  'command-r-plus-08-2024': 'command-r-plus',
  'command-r-08-2024': 'command-r',
  'command-r7b-12-2024': 'command-r7b',
};

// Bedrock inference profiles and model ids: `us.anthropic.claude-…-v1:0`, `meta.llama…`.
const BEDROCK_PREFIX =
  /^(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|openai|qwen|writer)\./;
const BEDROCK_VERSION = /-v?\d+:\d+$/;

/**
 * One snapshot suffix at the end of a name, in the forms providers use:
 * `-2024-08-06` (OpenAI), `-20241022` and `@20241022` (Anthropic, Vertex), `-0613`
 * (OpenAI) and `-2407` (Mistral), `-001` (Gemini versions), `@001`, `-latest`, `@latest`.
 * Previews and experiments are different models with their own prices: not stripped.
 */
const SNAPSHOT_SUFFIX = /[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|latest)$/;

/**
 * The names a model is looked up by, most specific first: as sent (trimmed,
 * lower-cased), without its host path (`openai/gpt-4o`, `models/gemini-2.0-flash`),
 * without a Bedrock region/vendor prefix and version (`us.anthropic.…-v1:0`), then
 * without one snapshot suffix at a time (`-2024-08-06`, `-20241022`, `@20241022`,
 * `-0613`, `-2407`, `-001`, `-latest`). Nothing else is ever removed, so a name
 * never turns into a shorter model's name (`gpt-4o-mini` stays `gpt-4o-mini`).
 */
export function modelNameCandidates(model: string): string[] {
  let name = model.trim().toLowerCase();
  const out = [name];
  const next = (shorter: string): void => {
    name = shorter;
    out.push(name);
  };
  const slash = name.lastIndexOf('/');
  if (slash >= 0) next(name.slice(slash + 1));
  if (BEDROCK_PREFIX.test(name)) {
    next(name.replace(BEDROCK_PREFIX, ''));
    if (BEDROCK_VERSION.test(name)) next(name.replace(BEDROCK_VERSION, ''));
  }
  while (SNAPSHOT_SUFFIX.test(name)) next(name.replace(SNAPSHOT_SUFFIX, ''));
  return out;
}

/**
 * Lower-cased, host prefix, Bedrock prefix/version and every snapshot suffix removed:
 * `openai/gpt-4o-2024-08-06` → `gpt-4o`, `us.anthropic.claude-sonnet-4-20250514-v1:0`
 * → `claude-sonnet-4`.
 */
export function baseModelName(model: string): string {
  const names = modelNameCandidates(model);
  return names[names.length - 1] ?? '';
}

/**
 * A project's own price for one model from a moment on: an override of a default entry
 * (same name) or an addition (a model the default table does not price). Overrides are
 * historical: a call is priced with the override in effect at its start time, so a price
 * change never re-prices older calls by accident.
 *
 * `model` is matched like a default entry's name (case-insensitive, through
 * {@link modelNameCandidates} and {@link MODEL_ALIASES}).
 */
export const priceOverrideSchema = priceEntrySchema.omit({ checkedAt: true }).extend({
  /** The override applies to calls that start at or after this moment (Unix ms). */
  effectiveFromMs: z.number().int().nonnegative(),
});
export type PriceOverride = z.infer<typeof priceOverrideSchema>;

/** Where a price came from, and the period it applies in. */
export interface PriceMatch {
  entry: PriceEntry;
  /** `default`: the table `createPriceBook` was given; `override`: one of its overrides. */
  source: 'default' | 'override';
  /** The lower-cased entry name that matched (after snapshot and alias rules). */
  name: string;
  /** Start of the override (Unix ms); null for a default entry, which has no start. */
  effectiveFromMs: number | null;
  /** When an override replaces this price (Unix ms), or null if none is scheduled. */
  effectiveUntilMs: number | null;
}

/** A lookup over a price table (and a project's overrides), built once. */
export interface PriceBook {
  /**
   * The entry for `model` for a call started at `atMs` (default: now), or null when the
   * model is unknown (never a guess).
   */
  find(model: string, atMs?: number): PriceEntry | null;
  /** Same as {@link PriceBook.find}, telling where the price came from and its period. */
  match(model: string, atMs?: number): PriceMatch | null;
  /** The default table (every override excluded). */
  readonly entries: readonly PriceEntry[];
  /** The overrides, oldest `effectiveFromMs` first. */
  readonly overrides: readonly PriceOverride[];
}

const CACHE_LIMIT = 10_000;

/** One override in force from `fromMs`, as the entry it prices with. */
interface TimedEntry {
  fromMs: number;
  entry: PriceEntry;
}

/** One entry name a model resolves to: its overrides (oldest first) and its default entry. */
interface Slot {
  name: string;
  timeline: readonly TimedEntry[];
  entry: PriceEntry | undefined;
}

/** The `PriceEntry` an override prices with; `checkedAt` is the day it takes effect (UTC). */
function overrideEntry(o: PriceOverride): PriceEntry {
  return {
    model: o.model,
    provider: o.provider,
    inputPerMTok: o.inputPerMTok,
    outputPerMTok: o.outputPerMTok,
    ...(o.cachedInputPerMTok === undefined ? {} : { cachedInputPerMTok: o.cachedInputPerMTok }),
    ...(o.cacheWritePerMTok === undefined ? {} : { cacheWritePerMTok: o.cacheWritePerMTok }),
    checkedAt: new Date(o.effectiveFromMs).toISOString().slice(0, 10),
  };
}

/**
 * Builds a price book. Later entries override earlier ones with the same model
 * name, so `createPriceBook([...DEFAULT_PRICES, ...custom])` replaces entries for all
 * time; `overrides` replace or add entries from a moment on (see {@link PriceOverride}).
 *
 * Matching, for each name of `modelNameCandidates(model)` in order (as sent, then
 * without host, Bedrock decoration and one snapshot suffix after another): an override of
 * that exact name (case-insensitive) in effect at the call's start, else an entry of that
 * name, else the same two for the `MODEL_ALIASES` target of the name. The first hit wins,
 * so an entry for a snapshot (`gpt-4o-2024-05-13`) beats its base model, and an override
 * of `gpt-4o` applies to `gpt-4o-2024-08-06` but not to `gpt-4o-2024-05-13` (which has
 * its own entry: override that name to change it). Of several overrides of one name, the
 * one with the latest `effectiveFromMs` at or before the call's start applies; two with
 * the same start: the later in `overrides` wins. No prefix guessing: `gpt-4o-mini` never
 * matches `gpt-4o`, and an unknown model is null (unpriced), never another model's price.
 *
 * @example
 * const book = createPriceBook();
 * book.find('gpt-4o-mini-2024-07-18')?.model; // 'gpt-4o-mini'
 * book.find('my-finetune'); // null
 * const mine = createPriceBook(DEFAULT_PRICES, [
 *   { model: 'my-finetune', provider: 'openai', inputPerMTok: 3, outputPerMTok: 12, effectiveFromMs: Date.UTC(2026, 0, 1) },
 * ]);
 * mine.find('my-finetune', Date.UTC(2026, 0, 2))?.inputPerMTok; // 3
 * mine.find('my-finetune', Date.UTC(2025, 11, 31)); // null: not yet priced then
 */
export function createPriceBook(
  entries: readonly PriceEntry[] = DEFAULT_PRICES,
  overrides: readonly PriceOverride[] = [],
): PriceBook {
  const byName = new Map<string, PriceEntry>();
  for (const entry of entries) byName.set(entry.model.toLowerCase(), entry);
  // Stable sort: of two overrides with the same start, the later one stays later and wins.
  const sortedOverrides = [...overrides].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
  const timelines = new Map<string, TimedEntry[]>();
  for (const o of sortedOverrides) {
    const name = o.model.trim().toLowerCase();
    let timeline = timelines.get(name);
    if (timeline === undefined) {
      timeline = [];
      timelines.set(name, timeline);
    }
    const timed = { fromMs: o.effectiveFromMs, entry: overrideEntry(o) };
    if (timeline.at(-1)?.fromMs === o.effectiveFromMs) timeline[timeline.length - 1] = timed;
    else timeline.push(timed);
  }
  const slotOf = (name: string): Slot | undefined => {
    const entry = byName.get(name);
    const timeline = timelines.get(name);
    return entry === undefined && timeline === undefined
      ? undefined
      : { name, timeline: timeline ?? [], entry };
  };
  // Per model name as sent: the slots to try, in order (independent of the call's time).
  const cache = new Map<string, readonly Slot[]>();
  const slotsOf = (model: string): readonly Slot[] => {
    const cached = cache.get(model);
    if (cached !== undefined) return cached;
    const slots: Slot[] = [];
    for (const name of modelNameCandidates(model)) {
      const direct = slotOf(name);
      if (direct) slots.push(direct);
      const alias = MODEL_ALIASES[name];
      const viaAlias = alias === undefined ? undefined : slotOf(alias);
      if (viaAlias) slots.push(viaAlias);
      // Nothing after a default entry can ever apply.
      if (direct?.entry !== undefined || viaAlias?.entry !== undefined) break;
    }
    if (cache.size < CACHE_LIMIT) cache.set(model, slots);
    return slots;
  };
  const match = (model: string, atMs: number = Date.now()): PriceMatch | null => {
    // The earliest later override among the slots passed: it ends whatever applies now.
    let until: number | null = null;
    for (const slot of slotsOf(model)) {
      const { timeline } = slot;
      let i = timeline.length - 1;
      while (i >= 0 && timeline[i]!.fromMs > atMs) i--;
      const next = timeline[i + 1]?.fromMs;
      if (next !== undefined && (until === null || next < until)) until = next;
      if (i >= 0) {
        const hit = timeline[i]!;
        return {
          entry: hit.entry,
          source: 'override',
          name: slot.name,
          effectiveFromMs: hit.fromMs,
          effectiveUntilMs: until,
        };
      }
      if (slot.entry !== undefined) {
        return {
          entry: slot.entry,
          source: 'default',
          name: slot.name,
          effectiveFromMs: null,
          effectiveUntilMs: until,
        };
      }
    }
    return null;
  };
  return {
    entries,
    overrides: sortedOverrides,
    match,
    find: (model, atMs) => match(model, atMs)?.entry ?? null,
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
 * Cost of a call in USD, or null when it cannot be known: no price, no input count, or no
 * output count for a model that bills output (never a figure that silently counts a side as 0).
 *
 * cost = (input − cacheRead − cacheWrite)·in + cacheRead·cachedIn + cacheWrite·cacheWriteRate + output·out,
 * all per million tokens; a missing cached or cache-write rate falls back to the input rate.
 * Reasoning tokens are part of the output count and billed at the output rate.
 *
 * @example
 * // 1,000 input tokens of which 800 cache reads, 5 output, gpt-4o-mini:
 * computeCostUsd(book.find('gpt-4o-mini'), { inputTokens: 1000, outputTokens: 5, cacheReadInputTokens: 800 });
 * // (200 × 0.15 + 800 × 0.075 + 5 × 0.6) / 1e6 = 0.000093
 */
export function computeCostUsd(price: PriceEntry | null, usage: TokenUsage): number | null {
  if (price === null) return null;
  const input = usage.inputTokens ?? null;
  const output = usage.outputTokens ?? null;
  // A missing side would be priced as zero: an understated figure that looks exact. Only a
  // model whose output is free (embeddings) may lack an output count.
  if (input === null) return null;
  if (output === null && price.outputPerMTok > 0) return null;
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
