import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import {
  planSummary,
  type SummaryOptions,
  type SummaryPoint,
  summarize,
} from '../rollups/summary.js';
import type { ModelMetadata, ReadSideStore, StoredModel } from '../store/store.js';
import { auditRecords } from './audit-context.js';
import { readJsonBody } from './json-body.js';
import { projectOf } from './project-context.js';
import { fromStore, invalid } from './query.js';

const DAY_MS = 86_400_000;
/** The two windows of the inventory's figures. */
export const MODEL_WINDOWS_MS = { last24h: DAY_MS, last30d: 30 * DAY_MS } as const;

/** Figures of one model over one window, from rollups. */
export interface ModelWindowStats {
  calls: number;
  errors: number;
  errorRate: number;
  /** p95 latency (1% relative error), null without calls. */
  p95LatencyMs: number | null;
  costUsd: number;
}

/** One entry of `GET /api/models`. */
export interface ModelInventoryEntry extends ModelMetadata {
  /** The model name: what `PUT /api/models/:id` takes. */
  id: string;
  provider: string;
  firstSeen: string;
  lastSeen: string;
  last24h: ModelWindowStats;
  last30d: ModelWindowStats;
}

const text = (max: number) => z.string().trim().min(1).max(max).nullable().optional();

const metadataSchema = z
  .strictObject({
    owner: text(200),
    purpose: text(2000),
    reviewedAt: z.iso.datetime({ offset: true }).or(z.iso.date()).nullable().optional(),
    onFailure: text(2000),
  })
  .refine((m) => Object.keys(m).length > 0, {
    message: 'expected at least one of owner, purpose, reviewedAt, onFailure',
  });

function stats(point: SummaryPoint | undefined): ModelWindowStats {
  if (point === undefined)
    return { calls: 0, errors: 0, errorRate: 0, p95LatencyMs: null, costUsd: 0 };
  return {
    calls: point.calls,
    errors: point.errors,
    errorRate: point.errorRate,
    p95LatencyMs: point.latencyMs?.p95 ?? null,
    costUsd: point.costUsd,
  };
}

/**
 * The model inventory:
 * - `GET /api/models` → `{ data: ModelInventoryEntry[] }`: every model seen in the project,
 *   provider, first/last seen, and calls, error rate, p95 latency and cost over the last
 *   24 h and 30 d (from rollups), plus its metadata;
 * - `PUT /api/models/:id` with `{ owner?, purpose?, reviewedAt?, onFailure? }` (null clears
 *   a field) → the updated entry; 404 for a model never seen.
 */
export function modelRoutes(options: {
  store: ReadSideStore;
  projectId: string;
  now: () => number;
}): Hono {
  const { store, now } = options;
  const app = new Hono();

  async function windowFigures(
    projectId: string,
    toMs: number,
  ): Promise<Record<keyof typeof MODEL_WINDOWS_MS, Map<string, SummaryPoint>>> {
    const out = {} as Record<keyof typeof MODEL_WINDOWS_MS, Map<string, SummaryPoint>>;
    for (const [name, widthMs] of Object.entries(MODEL_WINDOWS_MS) as [
      keyof typeof MODEL_WINDOWS_MS,
      number,
    ][]) {
      const summaryOptions: SummaryOptions = { from: toMs - widthMs, to: toMs, groupBy: 'model' };
      const rows = await fromStore(
        store.readRollups(projectId, planSummary(summaryOptions).ranges),
      );
      out[name] = new Map(summarize(rows, summaryOptions).groups.map((g) => [g.key, g.total]));
    }
    return out;
  }

  async function entries(projectId: string, models: StoredModel[]): Promise<ModelInventoryEntry[]> {
    const figures = await windowFigures(projectId, now());
    return models.map((m) => ({
      id: m.model,
      provider: m.provider,
      firstSeen: new Date(m.firstSeenMs).toISOString(),
      lastSeen: new Date(m.lastSeenMs).toISOString(),
      last24h: stats(figures.last24h.get(m.model)),
      last30d: stats(figures.last30d.get(m.model)),
      owner: m.owner,
      purpose: m.purpose,
      reviewedAt: m.reviewedAt,
      onFailure: m.onFailure,
    }));
  }

  app.get('/api/models', async (c) => {
    const projectId = projectOf(c, options.projectId);
    const models = await fromStore(store.listModels(projectId));
    auditRecords(c, models.length);
    return c.json({ data: await entries(projectId, models) });
  });

  // `{.+}`: model names may contain slashes (`accounts/fireworks/models/…`), sent encoded or not.
  app.put('/api/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const body = await readJsonBody(c);
    const parsed = metadataSchema.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const patch: Partial<ModelMetadata> = {};
    for (const key of ['owner', 'purpose', 'reviewedAt', 'onFailure'] as const) {
      const v = parsed.data[key];
      if (v !== undefined) patch[key] = v;
    }
    const projectId = projectOf(c, options.projectId);
    const updated = await fromStore(store.updateModelMetadata(projectId, id, patch));
    if (updated === null)
      throw new NotFoundError(`model ${id} has never been seen in this project`);
    auditRecords(c, 1);
    const [entry] = await entries(projectId, [updated]);
    return c.json(entry);
  });

  return app;
}
