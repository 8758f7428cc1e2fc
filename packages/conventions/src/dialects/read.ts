// Value readers shared by the dialect tables. They never throw: a malformed
// value becomes null plus a warning, so the span is still stored with what is valid.
import type { JsonValue } from '../json.js';

/** Where readers report a problem with an attribute. */
export interface Warnings {
  add(message: string): void;
}

/** Collects the problems found while normalising one span, each once. */
export class WarningList implements Warnings {
  readonly list: string[] = [];
  add(message: string): void {
    if (!this.list.includes(message)) this.list.push(message);
  }
}

/** Reports under the full attribute name when reading a group of `groupByIndex`. */
export const prefixed = (w: Warnings, prefix: string): Warnings => ({
  add: (message) => w.add(`${prefix}.${message}`),
});

const show = (v: JsonValue): string => {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** A non-empty string, or null. Numbers and booleans are not silently stringified. */
export function readString(
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): string | null {
  const v = attrs[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  w.add(`${key}: expected a string, got ${show(v)}`);
  return null;
}

/** A non-negative integer (a token count). Decimal strings are accepted (OTLP JSON int64). */
export function readCount(
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): number | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  w.add(`${key}: expected a non-negative integer, got ${show(v)}`);
  return null;
}

/** A finite number. */
export function readNumber(
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): number | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  w.add(`${key}: expected a number, got ${show(v)}`);
  return null;
}

/** A non-negative duration; `scale` converts the attribute's unit to milliseconds. */
export function readDurationMs(
  attrs: Record<string, JsonValue>,
  key: string,
  scale: number,
  w: Warnings,
): number | null {
  const n = readNumber(attrs, key, w);
  if (n === null) return null;
  if (n < 0) {
    w.add(`${key}: negative duration ${n}`);
    return null;
  }
  return n * scale;
}

/** A list of strings; a single string is read as a one-element list. */
export function readStringList(
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): string[] | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    const parsed = v.startsWith('[') ? parseJson(v) : undefined;
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string'))
      return parsed as string[];
    return [v];
  }
  if (Array.isArray(v)) {
    const strings = v.filter((x): x is string => typeof x === 'string');
    if (strings.length !== v.length) w.add(`${key}: non-string entries ignored`);
    return strings;
  }
  w.add(`${key}: expected a list of strings, got ${show(v)}`);
  return null;
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

/**
 * A structured value sent either as a JSON string or as an OTLP array/kvlist.
 * A string that is not valid JSON yields a warning and null.
 */
export function readJson(
  attrs: Record<string, JsonValue>,
  key: string,
  w: Warnings,
): JsonValue | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return v;
  const parsed = parseJson(v);
  if (parsed === undefined) {
    w.add(`${key}: not valid JSON`);
    return null;
  }
  return parsed;
}

export const isRecord = (v: JsonValue | undefined): v is { [key: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The indices N present under `prefix.N.` (e.g. `gen_ai.prompt.0.role`), sorted.
 * Flattened lists are how OpenLLMetry and OpenInference spell message arrays.
 */
export function indicesUnder(attrs: Record<string, JsonValue>, prefix: string): number[] {
  const found = new Set<number>();
  const p = `${prefix}.`;
  for (const key of Object.keys(attrs)) {
    if (!key.startsWith(p)) continue;
    const rest = key.slice(p.length);
    const dot = rest.indexOf('.');
    const head = dot < 0 ? rest : rest.slice(0, dot);
    if (/^\d+$/.test(head)) found.add(Number(head));
  }
  return [...found].sort((x, y) => x - y);
}

/**
 * Splits flattened list attributes in one pass: `prefix.N.rest` → group N, key `rest`.
 * Reading each message from its own small group keeps long conversations linear.
 */
export function groupByIndex(
  attrs: Record<string, JsonValue>,
  prefix: string,
): Map<number, Record<string, JsonValue>> {
  const groups = new Map<number, Record<string, JsonValue>>();
  const p = `${prefix}.`;
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith(p)) continue;
    const dot = key.indexOf('.', p.length);
    if (dot < 0) continue;
    const head = key.slice(p.length, dot);
    if (!/^\d+$/.test(head)) continue;
    const index = Number(head);
    let group = groups.get(index);
    if (group === undefined) {
      group = {};
      groups.set(index, group);
    }
    group[key.slice(dot + 1)] = value;
  }
  return new Map([...groups.entries()].sort((x, y) => x[0] - y[0]));
}

/** True when any attribute key starts with one of the prefixes. */
export function hasPrefix(attrs: Record<string, JsonValue>, prefixes: readonly string[]): boolean {
  for (const key of Object.keys(attrs)) {
    for (const p of prefixes) if (key.startsWith(p)) return true;
  }
  return false;
}
