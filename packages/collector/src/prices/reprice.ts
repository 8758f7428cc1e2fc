import { createPriceBook, DEFAULT_PRICES, type PriceEntry } from '@pilotlight/conventions';
import { type CollectorCost, collectorCost, lookupNames } from './price-call.js';
import {
  type CallCostChange,
  type RollupCostDelta,
  type RollupPlacement,
  rollupCostDeltas,
} from './rollup-delta.js';
import type { PriceOverrideStore } from './types.js';

/** Calls read, re-priced and written per transaction. */
export const DEFAULT_REPRICE_BATCH_SIZE = 500;

/** A position in a project's calls, in (start, seq) order. */
export interface RepriceCursor {
  startNs: bigint;
  seq: bigint;
}

/** What re-pricing reads of a stored call. */
export interface StoredCallCost extends RollupPlacement {
  cursor: RepriceCursor;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  costUsd: number | null;
  costSource: 'sdk' | 'collector' | null;
}

/** A call's new cost. */
export interface CostUpdate {
  call: StoredCallCost;
  cost: CollectorCost;
}

/** The time range of a run: calls whose span starts in [fromNs, toNs). */
export interface RepriceRange {
  fromNs: bigint;
  toNs: bigint;
}

/** One batch's outcome. */
export interface RepriceBatchResult {
  /** Calls read. */
  read: number;
  /** Where the next batch starts; null when the range is exhausted. */
  next: RepriceCursor | null;
  /** Calls whose cost changed (written unless a dry run). */
  updated: CostUpdate[];
}

/**
 * The storage side of re-pricing, one per engine. Only calls that the collector may
 * price are read: a cost the SDK sent (`cost_source = 'sdk'`) is never touched, and
 * plain spans (no model) have nothing to price.
 */
export interface RepriceEngine {
  /** Price overrides in the same database. */
  readonly prices: PriceOverrideStore;
  /** Pause between two batches when not told otherwise (ms), so ingest is never held up. */
  readonly defaultPauseMs: number;
  /** Every project with stored calls. */
  projects(): Promise<string[]>;
  /** Calls of the project in range that re-pricing reads. */
  countCalls(projectId: string, range: RepriceRange): Promise<number>;
  /**
   * In one transaction: reads up to `limit` calls after `after` (from the range start
   * when null), asks `decide` which change, and (unless `dryRun`) writes their costs and
   * the matching rollup cost deltas.
   */
  repriceBatch(
    projectId: string,
    range: RepriceRange,
    after: RepriceCursor | null,
    limit: number,
    decide: (calls: readonly StoredCallCost[]) => CostUpdate[],
    dryRun: boolean,
  ): Promise<RepriceBatchResult>;
  close(): Promise<void>;
}

/** Options of {@link repriceCalls}. */
export interface RepriceOptions extends RepriceRange {
  /** Only this project (default: every project with stored calls). */
  projectId?: string;
  /**
   * Only calls of this model: one whose request or response model is looked up by this
   * name (`gpt-4o` covers `gpt-4o-2024-08-06` and `openai/gpt-4o`, not `gpt-4o-mini`).
   */
  model?: string;
  /** Compute and count, write nothing. */
  dryRun?: boolean;
  /** See {@link DEFAULT_REPRICE_BATCH_SIZE}. */
  batchSize?: number;
  /** Pause between batches (ms); default: the engine's. */
  pauseMs?: number;
  /** The default table (default: the conventions' `DEFAULT_PRICES`). */
  base?: readonly PriceEntry[];
  /** Called after the count and after every batch. */
  onProgress?: (progress: RepriceProgress) => void;
}

/** Where a run is. */
export interface RepriceProgress {
  /** Calls to read, counted before the first batch. */
  total: number;
  /** Calls read so far. */
  scanned: number;
  /** Calls whose cost changed so far. */
  repriced: number;
  /** Sum of the changes so far (USD; a missing cost counting as 0). */
  costDeltaUsd: number;
}

/** Outcome of {@link repriceCalls}. */
export interface RepriceResult extends RepriceProgress {
  projects: string[];
  dryRun: boolean;
}

const sleep = (ms: number): Promise<void> =>
  ms <= 0 ? new Promise((r) => setImmediate(r)) : new Promise((r) => setTimeout(r, ms));

/**
 * Recomputes the collector's cost of stored calls started in [fromNs, toNs), with the
 * prices in effect at each call's start (the default table plus the project's
 * overrides): after a price override is added, changed or removed, or the default table
 * changed. A cost the SDK sent is kept; an unknown model becomes unpriced (null), never
 * $0. Small transactions (a batch each, rollup cost deltas in the same transaction, a
 * pause between) so ingest is never held up; safe to stop and run again.
 *
 * @example
 * const engine = sqliteRepriceEngine('./.pilotlight/pilotlight.db');
 * const result = await repriceCalls(engine, { fromNs: 1_767_225_600_000_000_000n, toNs: now });
 */
export async function repriceCalls(
  engine: RepriceEngine,
  options: RepriceOptions,
): Promise<RepriceResult> {
  const range: RepriceRange = { fromNs: options.fromNs, toNs: options.toNs };
  if (range.fromNs >= range.toNs)
    throw new RangeError('the range is empty: from must be before to');
  const batchSize = options.batchSize ?? DEFAULT_REPRICE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const pauseMs = options.pauseMs ?? engine.defaultPauseMs;
  const dryRun = options.dryRun ?? false;
  const base = options.base ?? DEFAULT_PRICES;
  const wanted = options.model === undefined ? null : options.model.trim().toLowerCase();
  const matches = (model: string | null): boolean =>
    model !== null && wanted !== null && lookupNames(model).has(wanted);

  const projects = options.projectId === undefined ? await engine.projects() : [options.projectId];
  const progress: RepriceProgress = { total: 0, scanned: 0, repriced: 0, costDeltaUsd: 0 };
  for (const projectId of projects) progress.total += await engine.countCalls(projectId, range);
  options.onProgress?.({ ...progress });

  for (const projectId of projects) {
    const book = createPriceBook(base, await engine.prices.list(projectId));
    const decide = (calls: readonly StoredCallCost[]): CostUpdate[] => {
      const out: CostUpdate[] = [];
      for (const call of calls) {
        if (call.costSource === 'sdk') continue;
        if (wanted !== null && !matches(call.model) && !matches(call.responseModel)) continue;
        const startMs = Number(BigInt(call.startTimeUnixNano) / 1_000_000n);
        const cost = collectorCost(book, call, startMs);
        if (cost.costUsd === call.costUsd && cost.costSource === call.costSource) continue;
        out.push({ call, cost });
      }
      return out;
    };
    let after: RepriceCursor | null = null;
    for (;;) {
      const startedAt = performance.now();
      const batch = await engine.repriceBatch(projectId, range, after, batchSize, decide, dryRun);
      progress.scanned += batch.read;
      progress.repriced += batch.updated.length;
      for (const u of batch.updated) progress.costDeltaUsd += costDelta(u);
      options.onProgress?.({ ...progress });
      if (batch.next === null) break;
      after = batch.next;
      // At least as long as the transaction took: a waiting writer always gets its turn.
      await sleep(Math.max(pauseMs, pauseMs > 0 ? performance.now() - startedAt : 0));
    }
  }
  return { ...progress, projects, dryRun };
}

/** New cost minus old, a missing cost counting as 0 (as the rollups count it). */
export function costDelta(update: CostUpdate): number {
  return (update.cost.costUsd ?? 0) - (update.call.costUsd ?? 0);
}

/** The rollup cost deltas of a batch's updates (see `rollupCostDeltas`). */
export function updateRollupDeltas(updates: readonly CostUpdate[]): RollupCostDelta[] {
  return rollupCostDeltas(
    updates.map((u): CallCostChange => ({ ...u.call, costDeltaUsd: costDelta(u) })),
  );
}
