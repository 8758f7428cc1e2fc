/**
 * What a drift monitor can watch. A feature is named by one string everywhere (monitor
 * JSON, query parameters, the CLI):
 *
 * - numeric built-ins: `latency` (ms), `ttft` (ms), `input_tokens`, `output_tokens`,
 *   `cost` (USD), `confidence`, `output_length` (characters of the output text);
 * - categorical built-ins: `model`, `finish_reason` (the first one), `status`, `error_type`;
 * - `number:<attribute>`: any numeric span attribute, e.g. `number:gen_ai.request.temperature`;
 * - `string:<attribute>`: any string span attribute, e.g. `string:user.tier`.
 *
 * A call without a value for the feature (no TTFT, no confidence, attribute missing or of
 * another type) is left out of the window.
 */
import type { DataKind } from '@pilotlight/drift';

export const NUMERIC_FEATURES = [
  'latency',
  'ttft',
  'input_tokens',
  'output_tokens',
  'cost',
  'confidence',
  'output_length',
] as const;
export const CATEGORICAL_FEATURES = ['model', 'finish_reason', 'status', 'error_type'] as const;

export type NumericFeature = (typeof NUMERIC_FEATURES)[number];
export type CategoricalFeature = (typeof CATEGORICAL_FEATURES)[number];

/** A feature, parsed. */
export type FeatureSpec =
  | { kind: 'numeric'; builtin: NumericFeature; name: string }
  | { kind: 'categorical'; builtin: CategoricalFeature; name: string }
  | { kind: DataKind; attribute: string; name: string };

const ATTRIBUTE_PREFIX: Readonly<Record<string, DataKind>> = {
  'number:': 'numeric',
  'string:': 'categorical',
};

/** Longest attribute name accepted. */
const MAX_ATTRIBUTE_LENGTH = 256;

/**
 * Parses a feature name.
 *
 * @returns the feature, or a message saying what is wrong.
 * @example
 * ```ts
 * parseFeature('number:gen_ai.request.temperature'); // { kind: 'numeric', attribute: 'gen_ai.request.temperature', ... }
 * ```
 */
export function parseFeature(name: string): FeatureSpec | { error: string } {
  if ((NUMERIC_FEATURES as readonly string[]).includes(name)) {
    return { kind: 'numeric', builtin: name as NumericFeature, name };
  }
  if ((CATEGORICAL_FEATURES as readonly string[]).includes(name)) {
    return { kind: 'categorical', builtin: name as CategoricalFeature, name };
  }
  for (const [prefix, kind] of Object.entries(ATTRIBUTE_PREFIX)) {
    if (name.startsWith(prefix)) {
      const attribute = name.slice(prefix.length);
      if (attribute.length === 0 || attribute.length > MAX_ATTRIBUTE_LENGTH) {
        return { error: `attribute name after "${prefix}" must be 1 to 256 characters` };
      }
      if (attribute.includes('"')) return { error: 'attribute name may not contain "' };
      return { kind, attribute, name };
    }
  }
  return {
    error: `unknown feature "${name}": use one of ${[...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES].join(', ')}, number:<attribute> or string:<attribute>`,
  };
}

/** Whether {@link parseFeature} failed. */
export function isFeatureError(f: FeatureSpec | { error: string }): f is { error: string } {
  return 'error' in f;
}

/**
 * Characters (code points) of an output's text: a plain string, or the text parts of
 * semconv output messages (`[{ role, parts: [{ type: 'text', content }] }]`). Null when
 * the output holds no text.
 */
export function outputTextLength(output: unknown): number | null {
  if (typeof output === 'string') return codePoints(output);
  if (!Array.isArray(output)) return null;
  let total = 0;
  let found = false;
  for (const message of output) {
    if (typeof message === 'string') {
      total += codePoints(message);
      found = true;
      continue;
    }
    if (typeof message !== 'object' || message === null) continue;
    const parts = (message as { parts?: unknown }).parts;
    if (!Array.isArray(parts)) continue;
    for (const part of parts) {
      if (typeof part !== 'object' || part === null) continue;
      const p = part as { type?: unknown; content?: unknown };
      if (p.type === 'text' && typeof p.content === 'string') {
        total += codePoints(p.content);
        found = true;
      }
    }
  }
  return found ? total : null;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
