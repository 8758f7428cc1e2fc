import { computeCostUsd, type PriceBook, type TokenUsage } from '@pilotlight/conventions';

/** Cost of a call in USD from the price book, or null for an unknown model or missing usage. */
export function costUsd(
  prices: PriceBook,
  model: string | undefined,
  usage: TokenUsage,
): number | null {
  if (model === undefined || model === '') return null;
  return computeCostUsd(prices.find(model), usage);
}
