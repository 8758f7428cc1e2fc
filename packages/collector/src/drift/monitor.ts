/**
 * A drift monitor: which feature of which calls, compared between a reference window and
 * a rolling current window, how, and how often. Validated with zod; every issue names its
 * field (`referenceWindow.to: must be after from`).
 */
import { z } from 'zod';
import type { RuleIssue } from '../alerts/rule.js';
import { toRuleIssues } from '../alerts/rule.js';
import { isFeatureError, parseFeature } from './features.js';

/** Shortest current window and schedule interval: one minute. */
export const MIN_DRIFT_WINDOW_SEC = 60;
/** Longest current window: 30 days. */
export const MAX_DRIFT_WINDOW_SEC = 30 * 86_400;
/** Default interval between scheduled runs: one hour. */
export const DEFAULT_EVERY_SEC = 3600;
/** Default smallest sample per window for a verdict. */
export const DEFAULT_MIN_SAMPLES = 30;
/** Default cap on values per window; larger windows are sampled uniformly at random. */
export const DEFAULT_SAMPLE_CAP = 10_000;
/** Largest sample cap accepted. */
export const MAX_SAMPLE_CAP = 1_000_000;

/** Tests a monitor can use (`auto` chooses as Evidently does, see `@pilotlight/drift`). */
export const DRIFT_METHODS = ['auto', 'psi', 'ks', 'chi2', 'js', 'wasserstein'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : -');

/** An ISO 8601 time with a zone (`2026-11-01T00:00:00Z`). */
const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time with a zone' });

/** Exact-match filters on the calls (`''` selects calls where the field is unknown). */
export const featureFiltersSchema = z.strictObject({
  model: z.string().max(256).optional(),
  provider: z.string().max(256).optional(),
  service: z.string().max(256).optional(),
  operation: z.string().max(256).optional(),
});

/**
 * The reference window: a fixed date range, the period of the same length just before the
 * current window, or a saved baseline (see `DriftMonitors.saveBaseline`).
 */
export const referenceWindowSchema = z.discriminatedUnion('type', [
  z
    .strictObject({ type: z.literal('fixed'), from: isoTime, to: isoTime })
    .refine((w) => Date.parse(w.from) < Date.parse(w.to), {
      path: ['to'],
      message: 'must be after from',
    }),
  z.strictObject({ type: z.literal('previous') }),
  z.strictObject({ type: z.literal('baseline'), baselineId: id }),
]);
export type ReferenceWindow = z.output<typeof referenceWindowSchema>;

const monitorShape = {
  id,
  name: z.string().trim().min(1).max(200).optional(),
  enabled: z.boolean().default(true),
  projectId: z.string().min(1).max(256),
  /** `latency`, `confidence`, `model`, `number:<attribute>`, ... (see `features.ts`). */
  feature: z
    .string()
    .min(1)
    .max(300)
    .superRefine((name, ctx) => {
      const f = parseFeature(name);
      if (isFeatureError(f)) ctx.addIssue({ code: 'custom', message: f.error });
    }),
  filters: featureFiltersSchema.default({}),
  referenceWindow: referenceWindowSchema,
  /** The rolling current window: the last `windowSec` before the run (whole minutes). */
  currentWindow: z.strictObject({
    windowSec: z
      .number()
      .int()
      .min(MIN_DRIFT_WINDOW_SEC, 'must be at least 60 seconds')
      .max(MAX_DRIFT_WINDOW_SEC, 'must be at most 30 days'),
  }),
  schedule: z
    .strictObject({
      everySec: z
        .number()
        .int()
        .min(MIN_DRIFT_WINDOW_SEC, 'must be at least 60 seconds')
        .max(MAX_DRIFT_WINDOW_SEC, 'must be at most 30 days'),
    })
    .default({ everySec: DEFAULT_EVERY_SEC }),
  method: z.enum(DRIFT_METHODS).default('auto'),
  /** p-value tests (ks, chi2) drift below it; distances (psi, js, wasserstein) at or above. Default: the test's usual one. */
  threshold: z.number().positive().finite().optional(),
  /** Fewer values than this in either window: no verdict (the run says why). */
  minSamples: z.number().int().min(1).max(MAX_SAMPLE_CAP).default(DEFAULT_MIN_SAMPLES),
  /** Windows with more values are sampled uniformly at random (seeded per run). */
  sampleCap: z.number().int().min(100).max(MAX_SAMPLE_CAP).default(DEFAULT_SAMPLE_CAP),
};

function checkMonitor(
  m: {
    feature: string;
    method: DriftMethod;
    threshold?: number | undefined;
    minSamples: number;
    sampleCap: number;
  },
  ctx: z.RefinementCtx,
): void {
  const feature = parseFeature(m.feature);
  if (isFeatureError(feature)) return; // reported on the field
  if (feature.kind === 'categorical' && (m.method === 'ks' || m.method === 'wasserstein')) {
    ctx.addIssue({
      code: 'custom',
      path: ['method'],
      message: `method ${m.method} needs a numeric feature; ${m.feature} is categorical`,
    });
  }
  if ((m.method === 'ks' || m.method === 'chi2') && m.threshold !== undefined && m.threshold >= 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['threshold'],
      message: `method ${m.method} compares a p-value: threshold must be below 1`,
    });
  }
  if (m.minSamples > m.sampleCap) {
    ctx.addIssue({
      code: 'custom',
      path: ['minSamples'],
      message: `must not exceed sampleCap (${m.sampleCap})`,
    });
  }
}

/**
 * A complete monitor. Unknown keys are refused.
 *
 * @example
 * ```ts
 * const m = driftMonitorSchema.parse({
 *   id: 'latency-chat', projectId: 'default', feature: 'latency', filters: { operation: 'chat' },
 *   referenceWindow: { type: 'previous' }, currentWindow: { windowSec: 3600 }, method: 'psi',
 * });
 * ```
 */
export const driftMonitorSchema = z.strictObject(monitorShape).superRefine(checkMonitor);
/** A monitor as created through the API: the id is optional (assigned). */
export const driftMonitorInputSchema = z
  .strictObject({ ...monitorShape, id: id.optional() })
  .superRefine(checkMonitor);

/** A validated monitor (defaults applied). */
export type DriftMonitor = z.output<typeof driftMonitorSchema>;
/** What a user writes. */
export type DriftMonitorInput = z.input<typeof driftMonitorInputSchema>;

/** Validates a monitor without throwing; issues name their fields. */
export function parseDriftMonitor(
  input: unknown,
): { ok: true; value: DriftMonitor } | { ok: false; issues: RuleIssue[] } {
  const r = driftMonitorSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toRuleIssues(r.error) };
}

/** Validates a monitor whose id may be missing. */
export function parseDriftMonitorInput(
  input: unknown,
):
  | { ok: true; value: z.output<typeof driftMonitorInputSchema> }
  | { ok: false; issues: RuleIssue[] } {
  const r = driftMonitorInputSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toRuleIssues(r.error) };
}
