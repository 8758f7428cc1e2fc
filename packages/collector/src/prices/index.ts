export { REPRICE_USAGE, type RepriceIo, runRepriceCommand } from './cli.js';
export { openPriceStoreFor } from './open.js';
export { openPostgresPriceStore } from './postgres-override-store.js';
export { type CollectorCost, collectorCost, lookupNames } from './price-call.js';
export {
  createPricer,
  DEFAULT_PRICE_REFRESH_INTERVAL_MS,
  type Pricer,
  type PricerOptions,
} from './pricer.js';
export { progressLine, progressReporter } from './progress.js';
export {
  DEFAULT_REPRICE_BATCH_SIZE,
  type RepriceEngine,
  type RepriceOptions,
  type RepriceProgress,
  type RepriceResult,
  repriceCalls,
} from './reprice.js';
export { postgresRepriceEngine } from './reprice-postgres.js';
export { sqliteRepriceEngine } from './reprice-sqlite.js';
export { type CallCostChange, type RollupCostDelta, rollupCostDeltas } from './rollup-delta.js';
export {
  createPriceRoutes,
  type EffectivePrice,
  type PriceOverrideJson,
  type PriceRoutesOptions,
} from './routes.js';
export { openSqlitePriceStore } from './sqlite-override-store.js';
export type { PriceOverride, PriceOverrideStore, StoredPriceOverride } from './types.js';
