import { AlertConfigError, type AlertsConfig } from '../rule.js';
import { createTargetPolicy, type ResolveAll, type TargetPolicy } from '../ssrf.js';
import { type AlertLogRecord, createLogSink } from './log.js';
import { createSlackSink } from './slack.js';
import type { AlertSink } from './types.js';
import { createWebhookSink } from './webhook.js';

export * from './http.js';
export * from './log.js';
export * from './slack.js';
export * from './types.js';
export * from './webhook.js';

/** Options of {@link createSinks}. */
export interface CreateSinksOptions {
  /** Where `secretEnv` names are looked up; `process.env` by default. */
  env?: Record<string, string | undefined>;
  resolveAll?: ResolveAll;
  log?: (record: AlertLogRecord) => void;
  now?: () => number;
  /** Overrides the policy built from `config.network` (tests). */
  policy?: TargetPolicy;
}

/**
 * Builds the sinks a config names, keyed by name, with the config's network policy.
 *
 * @throws {AlertConfigError} when a `secretEnv` variable is unset or too short.
 *
 * @example
 * ```ts
 * const sinks = createSinks(await loadAlertsConfig('pilotlight.config.yaml'));
 * ```
 */
export function createSinks(
  config: Pick<AlertsConfig, 'sinks' | 'network'>,
  options: CreateSinksOptions = {},
): Map<string, AlertSink> {
  const env = options.env ?? process.env;
  const policy = options.policy ?? createTargetPolicy(config.network);
  const extra = {
    policy,
    ...(options.resolveAll === undefined ? {} : { resolveAll: options.resolveAll }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  const sinks = new Map<string, AlertSink>();
  for (const [name, sink] of Object.entries(config.sinks)) {
    if (sink.type === 'log') {
      sinks.set(name, createLogSink(name, options.log));
    } else if (sink.type === 'slack') {
      sinks.set(
        name,
        createSlackSink({ name, url: sink.url, timeoutMs: sink.timeoutMs, ...extra }),
      );
    } else {
      let secret = sink.secret;
      if (sink.secretEnv !== undefined) {
        secret = env[sink.secretEnv];
        if (secret === undefined || secret.length < 16) {
          throw new AlertConfigError('config', [
            {
              path: `sinks.${name}.secretEnv`,
              message: `environment variable ${sink.secretEnv} is ${secret === undefined ? 'not set' : 'shorter than 16 characters'}`,
            },
          ]);
        }
      }
      sinks.set(
        name,
        createWebhookSink({ name, url: sink.url, secret, timeoutMs: sink.timeoutMs, ...extra }),
      );
    }
  }
  return sinks;
}
