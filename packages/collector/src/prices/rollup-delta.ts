import type { CallRecord } from '@pilotlight/conventions';
import { RollupBatch, type RollupKey } from '../rollups/rollup.js';

/** The fields of a call that place it in its rollup rows. */
export type RollupPlacement = Pick<
  CallRecord,
  | 'projectId'
  | 'serviceName'
  | 'provider'
  | 'model'
  | 'responseModel'
  | 'operation'
  | 'startTimeUnixNano'
>;

/** A change of one call's cost (a re-priced call). */
export interface CallCostChange extends RollupPlacement {
  /** New cost minus old cost, a missing cost counting as 0 (as the rollups count it). */
  costDeltaUsd: number;
}

/** What to add to one rollup row's `cost_usd`. */
export interface RollupCostDelta {
  key: RollupKey;
  costUsd: number;
}

/**
 * The cost to add to each rollup row (every tier) so that the rollups agree with re-priced
 * calls: the calls' deltas summed per row. Rows are placed exactly as ingest places calls
 * (`RollupBatch`: same dimensions, same buckets, plain spans skipped), so a delta always
 * lands on the row that counted the call.
 *
 * @example
 * for (const d of rollupCostDeltas(changes)) addToRollupCost(d.key, d.costUsd);
 */
export function rollupCostDeltas(changes: readonly CallCostChange[]): RollupCostDelta[] {
  const batch = new RollupBatch();
  for (const c of changes) {
    if (c.costDeltaUsd === 0) continue;
    // A call that carries only its cost delta: every other measure of the row stays as is.
    batch.add({
      projectId: c.projectId,
      serviceName: c.serviceName,
      provider: c.provider,
      model: c.model,
      responseModel: c.responseModel,
      operation: c.operation,
      startTimeUnixNano: c.startTimeUnixNano,
      durationMs: 0,
      ttftMs: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadInputTokens: null,
      costUsd: c.costDeltaUsd,
      confidence: null,
      status: 'ok',
    });
  }
  const out: RollupCostDelta[] = [];
  for (const row of batch.rows()) {
    if (row.costUsd === 0) continue;
    out.push({
      key: {
        projectId: row.projectId,
        service: row.service,
        provider: row.provider,
        model: row.model,
        operation: row.operation,
        bucketSec: row.bucketSec,
        bucketStartMs: row.bucketStartMs,
      },
      costUsd: row.costUsd,
    });
  }
  return out;
}
