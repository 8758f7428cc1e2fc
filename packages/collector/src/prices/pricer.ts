import {
  createPriceBook,
  DEFAULT_PRICES,
  type PriceBook,
  type PriceEntry,
} from '@pilotlight/conventions';
import type { PriceOverrideStore } from './types.js';

/**
 * How often a pricer looks for overrides changed by another process (another replica, a
 * CLI) (ms). A change made through this process's routes applies at once.
 */
export const DEFAULT_PRICE_REFRESH_INTERVAL_MS = 5_000;

/** Options of {@link createPricer}. */
export interface PricerOptions {
  store: PriceOverrideStore;
  /** The default table overrides apply to (default: the conventions' `DEFAULT_PRICES`). */
  base?: readonly PriceEntry[];
  /** See {@link DEFAULT_PRICE_REFRESH_INTERVAL_MS}; 0 turns the background refresh off. */
  refreshIntervalMs?: number;
  /** Where a failed background refresh is reported (the last loaded prices stay in use). */
  onError?: (error: unknown) => void;
}

/**
 * Per-project price books for ingest, with the override store behind them. `pricesFor`
 * is synchronous and costs one Map lookup: every project's overrides are loaded at
 * creation and kept current (a write through {@link Pricer.reload} at once, other
 * processes' writes within the refresh interval).
 */
export interface Pricer {
  /** The project's price book: the default table plus the project's overrides. */
  pricesFor(projectId: string): PriceBook;
  /** The default table with no overrides. */
  readonly defaults: PriceBook;
  readonly store: PriceOverrideStore;
  /** Reads one project's overrides again (after a write in this process). */
  reload(projectId: string): Promise<void>;
  /** Reloads every project whose overrides changed since the last look. */
  refresh(): Promise<void>;
  /** Stops the background refresh (the store stays open: its owner closes it). */
  close(): void;
}

/**
 * Loads every project's overrides and returns a {@link Pricer} that keeps them current.
 *
 * @example
 * const pricer = await createPricer({ store: openSqlitePriceStore(spanStore.path) });
 * ingestRoutes({ store, projectId: 'default', pricesFor: pricer.pricesFor });
 */
export async function createPricer(options: PricerOptions): Promise<Pricer> {
  const { store } = options;
  const base = options.base ?? DEFAULT_PRICES;
  const defaults = createPriceBook(base);
  const refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_PRICE_REFRESH_INTERVAL_MS;
  const onError =
    options.onError ??
    ((error: unknown) => console.error('pilotlight: price override refresh failed:', error));
  const books = new Map<string, PriceBook>();
  let versions = new Map<string, number>();

  const reload = async (projectId: string): Promise<void> => {
    const overrides = await store.list(projectId);
    if (overrides.length === 0) books.delete(projectId);
    else books.set(projectId, createPriceBook(base, overrides));
  };
  // One refresh at a time; a call while one runs waits for it rather than starting another.
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    running ??= (async () => {
      try {
        const latest = await store.versions();
        for (const [projectId, version] of latest) {
          if (versions.get(projectId) !== version) await reload(projectId);
        }
        versions = latest;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  await refresh();
  const timer =
    refreshIntervalMs > 0
      ? setInterval(() => {
          refresh().catch(onError);
        }, refreshIntervalMs)
      : undefined;
  timer?.unref();

  return {
    pricesFor: (projectId) => books.get(projectId) ?? defaults,
    defaults,
    store,
    reload,
    refresh,
    close: () => clearInterval(timer),
  };
}
