import { Hono } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import {
  hasMarginalPoints,
  hasMarginalRollups,
  type MarginalRange,
  marginalDimension,
  splitRanges,
} from '../rollups/marginals.js';
import {
  planSummary,
  planTotals,
  type SummaryFilter,
  type SummaryInputRow,
  type SummaryOptions,
  type SummaryPlan,
  summarize,
  summarizeJson,
} from '../rollups/summary.js';
import type { ReadSideStore } from '../store/store.js';
import { auditRecords } from './audit-context.js';
import { projectOf } from './project-context.js';
import { fromStore, invalid, timeSchema } from './query.js';

/** Range of a summary when `from` is not given: the 24 hours before `to`. */
export const DEFAULT_SUMMARY_RANGE_MS = 24 * 3_600_000;

const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `interval`: seconds (`3600`) or a duration (`5m`, `1h`, `1d`), a multiple of one minute. */
const intervalSchema = z.string().transform((s, ctx): number => {
  const m = /^(\d{1,9})([smhd]?)$/.exec(s.trim());
  const sec = m === null ? Number.NaN : Number(m[1]) * (UNIT_SEC[m[2] || 's'] ?? Number.NaN);
  if (!Number.isInteger(sec) || sec <= 0 || sec % 60 !== 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a whole number of minutes, as seconds (3600) or a duration (5m, 1h, 1d)',
    });
    return z.NEVER;
  }
  return sec;
});

const dimension = z.string().max(512).optional();

const summaryQuerySchema = z
  .strictObject({
    from: timeSchema.optional(),
    to: timeSchema.optional(),
    groupBy: z.enum(['model', 'provider', 'service', 'operation']).optional(),
    interval: intervalSchema.optional(),
    model: dimension,
    provider: dimension,
    service: dimension,
    operation: dimension,
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    path: ['to'],
    message: 'must be after from',
  });

/**
 * `GET /api/summary?from=&to=&groupBy=model|provider|service|operation&interval=` (plus
 * exact filters `model`, `provider`, `service`, `operation`): per group and interval,
 * calls, errors, error rate, tokens, cost, latency/TTFT percentiles and mean confidence,
 * merged from rollup rows, so its cost grows with buckets, never with stored calls.
 */
export function summaryRoutes(options: { store: ReadSideStore; projectId: string }): Hono {
  const { store } = options;
  const app = new Hono();
  app.get('/api/summary', async (c) => {
    const parsed = summaryQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const p = parsed.data;
    const to = p.to === undefined ? Date.now() : Number(p.to / 1_000_000n);
    const from = p.from === undefined ? to - DEFAULT_SUMMARY_RANGE_MS : Number(p.from / 1_000_000n);
    const projectId = projectOf(c, options.projectId);
    const filter: SummaryFilter = { projectId };
    if (p.model !== undefined) filter.model = p.model;
    if (p.provider !== undefined) filter.provider = p.provider;
    if (p.service !== undefined) filter.service = p.service;
    if (p.operation !== undefined) filter.operation = p.operation;
    const summaryOptions: SummaryOptions = { from, to, filter };
    if (p.groupBy !== undefined) summaryOptions.groupBy = p.groupBy;
    if (p.interval !== undefined) summaryOptions.intervalSec = p.interval;
    let plan: SummaryPlan;
    let totalsPlan: SummaryPlan | null;
    try {
      plan = planSummary(summaryOptions);
      totalsPlan = planTotals(summaryOptions);
    } catch (error) {
      // The only plan failure left after validation: too many intervals for the range.
      const message = (error as Error).message;
      throw new ValidationError(`invalid parameter: interval (${message})`, [
        { path: 'interval', message },
      ]);
    }
    const { projectId: _, ...dimensions } = filter;
    // Grouped by one dimension (and filtered at most on it): the hour and day parts of the
    // range come from the one-dimension rows, one per group and bucket; the ragged edges
    // from finer tiers, and every other summary, from the full rows. Same answer.
    const marginal = hasMarginalRollups(store) ? marginalDimension(p.groupBy, dimensions) : null;
    let summary: ReturnType<typeof summarize>;
    if (marginal !== null && hasMarginalRollups(store)) {
      const read = (ranges: readonly MarginalRange[]) =>
        fromStore(store.readMarginalRollups(projectId, ranges, marginal.dimension, marginal.value));
      const split = splitRanges(plan.ranges);
      // An interval that is one stored bucket is that row's counters and stored percentiles:
      // SQLite serialises those points itself (the store permitting), and sketches are read
      // only to merge several buckets into one interval, or for the totals when those
      // cannot come from the coarser whole-range plan.
      const serializable =
        totalsPlan !== null && hasMarginalPoints(store)
          ? split.marginal.filter((r) => r.bucketSec === plan.intervalSec)
          : [];
      // Null when some of those rows have no stored percentiles yet (until the start-up
      // backfill): then their intervals are built here like the others.
      const serialized =
        serializable.length > 0 && hasMarginalPoints(store)
          ? await fromStore(
              store.readMarginalPoints(projectId, serializable, marginal.dimension, marginal.value),
            )
          : null;
      const rows: SummaryInputRow[] = await read(
        split.marginal
          .filter((r) => serialized === null || !serializable.includes(r))
          .map((r) => ({
            ...r,
            sketches: totalsPlan === null || r.bucketSec !== plan.intervalSec,
          })),
      );
      const full =
        split.full.length > 0
          ? await fromStore(store.readRollups(projectId, split.full, dimensions))
          : [];
      rows.push(...full);
      if (totalsPlan === null) summary = summarize(rows, summaryOptions);
      else {
        // Totals from the coarsest rows of the whole range (a month: 30 day rows per group);
        // its finer edges are the intervals' own (the same ranges), read once.
        const totalsSplit = splitRanges(totalsPlan.ranges);
        const totalRows: SummaryInputRow[] = await read(totalsSplit.marginal);
        const sameEdges = JSON.stringify(totalsSplit.full) === JSON.stringify(split.full);
        totalRows.push(
          ...(sameEdges
            ? full
            : totalsSplit.full.length > 0
              ? await fromStore(store.readRollups(projectId, totalsSplit.full, dimensions))
              : []),
        );
        if (serialized !== null) {
          // Ungrouped (at most one dimension value read): the one group is `all`.
          if (p.groupBy === undefined) for (const s of serialized) s.key = 'all';
          const { json, records } = summarizeJson(rows, summaryOptions, totalRows, serialized);
          auditRecords(c, records);
          return c.body(json, 200, { 'content-type': 'application/json' });
        }
        summary = summarize(rows, summaryOptions, totalRows);
      }
    } else {
      summary = summarize(
        await fromStore(store.readRollups(projectId, plan.ranges, dimensions)),
        summaryOptions,
      );
    }
    // A summary's records are its groups × intervals.
    auditRecords(
      c,
      summary.groups.reduce((n, g) => n + g.points.length, 0),
    );
    return c.json(summary);
  });
  return app;
}
