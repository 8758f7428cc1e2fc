import {
  type CallRecord,
  computeCostUsd,
  MODEL_ALIASES,
  modelNameCandidates,
  type PriceBook,
} from '@pilotlight/conventions';

/** The fields of a call that its collector-side price depends on. */
export type PricedCallInput = Pick<
  CallRecord,
  | 'model'
  | 'responseModel'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadInputTokens'
  | 'cacheCreationInputTokens'
>;

/** A collector-computed cost: a number with source `collector`, or unpriced (both null). */
export interface CollectorCost {
  costUsd: number | null;
  costSource: 'collector' | null;
}

const UNPRICED: CollectorCost = Object.freeze({ costUsd: null, costSource: null });

/**
 * The collector's price for a call that arrived without a cost, with the prices in effect
 * at its start (`atMs`): the request model's price, else the response model's; unknown
 * model or no token counts → unpriced (`costUsd: null, costSource: null`), never $0.
 * Ingest and `pilotlight reprice` both price through this, so they always agree.
 *
 * @example
 * collectorCost(createPriceBook(), { model: 'gpt-4o', responseModel: null, inputTokens: 1000,
 *   outputTokens: 0, cacheReadInputTokens: 800, cacheCreationInputTokens: null }, Date.now());
 * // { costUsd: 0.0015, costSource: 'collector' }: 200 × $2.50 + 800 × $1.25 per 1M
 */
export function collectorCost(
  prices: PriceBook,
  call: PricedCallInput,
  atMs: number,
): CollectorCost {
  const price =
    (call.model === null ? null : prices.find(call.model, atMs)) ??
    (call.responseModel === null ? null : prices.find(call.responseModel, atMs));
  const costUsd = computeCostUsd(price, call);
  return costUsd === null ? UNPRICED : { costUsd, costSource: 'collector' };
}

/**
 * Every entry name (lower-cased) a price for `model` is looked up by: the name as sent,
 * without host, Bedrock decoration and snapshot suffixes, and the alias targets of each.
 * `gpt-4o` is among the names of `openai/gpt-4o-2024-08-06`; `gpt-4o` is not among
 * those of `gpt-4o-mini`.
 */
export function lookupNames(model: string): Set<string> {
  const names = new Set<string>();
  for (const name of modelNameCandidates(model)) {
    names.add(name);
    const alias = MODEL_ALIASES[name];
    if (alias !== undefined) names.add(alias);
  }
  return names;
}
