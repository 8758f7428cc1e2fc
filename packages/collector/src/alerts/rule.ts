import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { allowEntryProblem } from './ssrf.js';

/** Shortest rule window: rollups' finest bucket. */
export const MIN_WINDOW_SEC = 60;
/** Longest rule window: 7 days. */
export const MAX_WINDOW_SEC = 7 * 86_400;
/** Longest cooldown and `for` duration accepted: 7 days. */
export const MAX_DURATION_SEC = 7 * 86_400;

/** What a rule watches. Quantiles are in milliseconds, `cost` in USD, `error_rate` in [0, 1]. */
export const ALERT_METRICS = [
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'ttft_p95',
  'error_rate',
  'calls',
  'cost',
  'tokens',
  'mean_confidence',
  'drift',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const COMPARATORS = ['>', '>=', '<', '<='] as const;
/** How the metric's value is compared with the threshold (`value <comparator> threshold` breaches). */
export type Comparator = (typeof COMPARATORS)[number];

/**
 * What a window without data does: `ok` counts as not breaching, `alerting` as breaching
 * (at the critical level), `keep` leaves the state as it is.
 */
export const NO_DATA_BEHAVIOURS = ['ok', 'alerting', 'keep'] as const;
export type NoDataBehaviour = (typeof NO_DATA_BEHAVIOURS)[number];

/** Dimensions a rule can filter on and group by (the rollups' dimensions). */
export const GROUP_DIMENSIONS = ['model', 'provider', 'service', 'operation'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

const name = z.string().trim().min(1).max(200);
const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : -');

/** Exact-match filters on rollup dimensions; `''` selects calls where the dimension is unknown. */
export const ruleFiltersSchema = z.strictObject({
  model: z.string().max(256).optional(),
  provider: z.string().max(256).optional(),
  service: z.string().max(256).optional(),
  operation: z.string().max(256).optional(),
});
export type RuleFilters = z.infer<typeof ruleFiltersSchema>;

const ruleShape = {
  id,
  name: name.optional(),
  enabled: z.boolean().default(true),
  projectId: z.string().min(1).max(256),
  metric: z.enum(ALERT_METRICS),
  filters: ruleFiltersSchema.default({}),
  /** One state machine per value of this dimension (per model, ...); without it, one per rule. */
  groupBy: z.enum(GROUP_DIMENSIONS).optional(),
  /** For `metric: drift`: the drift monitor whose latest run is read. */
  monitorId: id.optional(),
  windowSec: z
    .number()
    .int()
    .min(MIN_WINDOW_SEC, `window must be at least ${MIN_WINDOW_SEC} seconds (1 minute)`)
    .max(MAX_WINDOW_SEC, `window must be at most ${MAX_WINDOW_SEC} seconds (7 days)`)
    .refine((v) => v < MIN_WINDOW_SEC || v % 60 === 0, 'window must be a whole number of minutes'),
  comparator: z.enum(COMPARATORS),
  threshold: z.number().finite(),
  /** A less severe threshold: crossing it (but not `threshold`) fires at `warning` severity. */
  warningThreshold: z.number().finite().optional(),
  /** Calls needed in the window before the rule may fire (0: no gating). */
  minCalls: z.number().int().min(0).default(0),
  noData: z.enum(NO_DATA_BEHAVIOURS).default('ok'),
  /** How long a breach must last, from the first breaching evaluation, before it fires. */
  forSec: z.number().int().min(0).max(MAX_DURATION_SEC).default(0),
  /** Least time between two notifications of the same rule and group. */
  cooldownSec: z.number().int().min(0).max(MAX_DURATION_SEC).default(0),
  /** Also notify when a breach starts (`ok → pending`), not only on firing and resolving. */
  notifyPending: z.boolean().default(false),
  /** Names of the sinks (see {@link alertsConfigSchema}) that receive this rule's notifications. */
  sinks: z.array(z.string().min(1).max(128)).max(20).default([]),
};

function checkRule(
  rule: {
    metric: AlertMetric;
    monitorId?: string | undefined;
    comparator: Comparator;
    threshold: number;
    warningThreshold?: number | undefined;
    groupBy?: GroupDimension | undefined;
    sinks: string[];
  },
  ctx: z.RefinementCtx,
): void {
  if (rule.metric === 'drift' && rule.monitorId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['monitorId'],
      message: 'a drift rule needs the monitorId of the drift monitor it watches',
    });
  }
  if (rule.metric !== 'drift' && rule.monitorId !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['monitorId'],
      message: 'monitorId only applies to metric "drift"',
    });
  }
  if (rule.metric === 'drift' && rule.groupBy !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['groupBy'],
      message: 'a drift rule cannot be grouped',
    });
  }
  const w = rule.warningThreshold;
  if (w !== undefined) {
    const above = rule.comparator === '>' || rule.comparator === '>=';
    if (above ? w >= rule.threshold : w <= rule.threshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['warningThreshold'],
        message: `warningThreshold must be ${above ? 'below' : 'above'} threshold (${rule.threshold}) for comparator ${rule.comparator}`,
      });
    }
  }
  if (new Set(rule.sinks).size !== rule.sinks.length) {
    ctx.addIssue({ code: 'custom', path: ['sinks'], message: 'sinks are listed more than once' });
  }
}

/**
 * A complete alert rule. Unknown keys are refused; every message names its field.
 *
 * @example
 * ```ts
 * const rule = alertRuleSchema.parse({
 *   id: 'p95-slow', projectId: 'default', metric: 'latency_p95', windowSec: 300,
 *   comparator: '>', threshold: 2000, minCalls: 20, sinks: ['oncall'],
 * });
 * ```
 */
export const alertRuleSchema = z.strictObject(ruleShape).superRefine(checkRule);

/** A rule as created through the API: the collector assigns the id. */
export const alertRuleInputSchema = z
  .strictObject({ ...ruleShape, id: id.optional() })
  .superRefine(checkRule);

/** A validated rule (defaults applied). */
export type AlertRule = z.output<typeof alertRuleSchema>;
/** What a user writes (defaults optional). */
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** Generic JSON webhook, signed with HMAC-SHA256 when a secret is set. */
export const webhookSinkSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.url(),
  /** Signing secret, inline. Prefer `secretEnv`. */
  secret: z.string().min(16, 'secret must be at least 16 characters').optional(),
  /** Name of the environment variable holding the signing secret. */
  secretEnv: z.string().min(1).optional(),
  /** Per-attempt timeout. */
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
});
/** Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat...). */
export const slackSinkSchema = z.strictObject({
  type: z.literal('slack'),
  url: z.url(),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
});
/** The collector's own log. */
export const logSinkSchema = z.strictObject({ type: z.literal('log') });
export const sinkConfigSchema = z.discriminatedUnion('type', [
  webhookSinkSchema,
  slackSinkSchema,
  logSinkSchema,
]);
export type SinkConfig = z.output<typeof sinkConfigSchema>;

/** Where webhooks may go (see `ssrf.ts`). */
export const networkPolicySchema = z.strictObject({
  /** Accept `http:` targets (default: https only). */
  allowHttp: z.boolean().default(false),
  /**
   * Hosts (exact names, case-insensitive) and addresses/CIDRs (`10.0.0.0/8`, `::1/128`,
   * `127.0.0.1`) that may be reached although they are loopback, private or link-local.
   */
  allow: z
    .array(
      z
        .string()
        .min(1)
        .max(256)
        .superRefine((entry, ctx) => {
          const problem = allowEntryProblem(entry);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .max(100)
    .default([]),
});
export type NetworkPolicyConfig = z.output<typeof networkPolicySchema>;

/** The `alerts` file: sinks by name, the network policy, and rules. */
export const alertsConfigSchema = z
  .strictObject({
    /** Base URL of the dashboard, used for links in notifications. */
    dashboardUrl: z.url().optional(),
    network: networkPolicySchema.default({ allowHttp: false, allow: [] }),
    sinks: z.record(z.string().min(1).max(128), sinkConfigSchema).default({}),
    rules: z.array(alertRuleSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.rules.forEach((rule, i) => {
      if (seen.has(rule.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'id'],
          message: `rule id "${rule.id}" is used twice`,
        });
      }
      seen.add(rule.id);
      rule.sinks.forEach((sink, j) => {
        if (config.sinks[sink] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'sinks', j],
            message: `unknown sink "${sink}" (defined: ${Object.keys(config.sinks).join(', ') || 'none'})`,
          });
        }
      });
    });
  });
export type AlertsConfig = z.output<typeof alertsConfigSchema>;

/** One problem with a field: dotted path (`rules.0.windowSec`) and message. */
export interface RuleIssue {
  path: string;
  message: string;
}

/** Result of {@link parseAlertRule}: the rule, or every problem found. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: RuleIssue[] };

/** Converts zod issues to dotted-path issues; an unknown key's path includes the key. */
export function toRuleIssues(error: z.ZodError): RuleIssue[] {
  return error.issues.map((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      const where = base.length > 0 ? base.join('.') : '';
      return {
        path: keys.length === 1 ? [...base, keys[0]].join('.') : where,
        message: `unknown key${keys.length === 1 ? '' : 's'} ${keys.map((k) => `"${k}"`).join(', ')}${where ? ` in ${where}` : ''}`,
      };
    }
    return { path: base.join('.'), message: issue.message };
  });
}

/**
 * Validates a rule (e.g. a `POST /api/alerts/rules` body) without throwing.
 *
 * @example
 * ```ts
 * const r = parseAlertRule(body);
 * if (!r.ok) return c.json({ error: 'invalid_request', message: r.issues[0].message, issues: r.issues }, 400);
 * ```
 */
export function parseAlertRule(input: unknown): ParseResult<AlertRule> {
  const r = alertRuleSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toRuleIssues(r.error) };
}

/** Validates a rule without an id (the API's create form). */
export function parseAlertRuleInput(
  input: unknown,
): ParseResult<z.output<typeof alertRuleInputSchema>> {
  const r = alertRuleInputSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toRuleIssues(r.error) };
}

/** The config file could not be read, parsed or validated. `issues` name each bad field. */
export class AlertConfigError extends Error {
  override readonly name = 'AlertConfigError';
  readonly code = 'invalid_alert_config';
  constructor(
    readonly file: string,
    readonly issues: RuleIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      options,
    );
  }
}

/**
 * Validates an already-parsed config document (`{ dashboardUrl?, network?, sinks?, rules? }`).
 *
 * @throws {AlertConfigError} naming every bad or unknown field.
 */
export function parseAlertsConfig(document: unknown, file = 'config'): AlertsConfig {
  const r = alertsConfigSchema.safeParse(document ?? {});
  if (!r.success) throw new AlertConfigError(file, toRuleIssues(r.error));
  return r.data;
}

/**
 * Reads `pilotlight.config.json` / `.yaml` / `.yml` (chosen by extension) and validates
 * its alert configuration: `{ dashboardUrl?, network?, sinks?, rules? }`.
 *
 * @throws {AlertConfigError} when the file cannot be read or parsed, or is invalid.
 *
 * @example
 * ```ts
 * const config = await loadAlertsConfig('pilotlight.config.yaml');
 * ```
 */
export async function loadAlertsConfig(file: string): Promise<AlertsConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AlertConfigError(
      file,
      [{ path: '', message: `cannot read file: ${String(cause)}` }],
      {
        cause,
      },
    );
  }
  const ext = extname(file).toLowerCase();
  let document: unknown;
  try {
    if (ext === '.json') document = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') document = parseYaml(text, { uniqueKeys: true });
    else {
      throw new Error(`unsupported extension "${ext}": use .json, .yaml or .yml`);
    }
  } catch (cause) {
    throw new AlertConfigError(
      file,
      [{ path: '', message: cause instanceof Error ? cause.message : String(cause) }],
      { cause },
    );
  }
  return parseAlertsConfig(document, file);
}
