import { isIPv6 } from 'node:net';

/** Built-in detectors; each replaces what it finds with `[REDACTED:<name>]`. */
export type Detector = 'email' | 'phone' | 'card' | 'api_key' | 'bearer_token' | 'ipv4' | 'ipv6';

/** Every built-in detector, in the order they run (keys before numbers, cards before phones). */
export const ALL_DETECTORS: readonly Detector[] = [
  'api_key',
  'bearer_token',
  'email',
  'card',
  'ipv6',
  'ipv4',
  'phone',
];

/** A user pattern; matches become `[REDACTED:<name>]`. */
export interface RedactionPattern {
  name: string;
  pattern: RegExp;
}

/** How captured content is redacted before it leaves the process. */
export interface RedactionOptions {
  /** Built-in detectors to run (default: all of {@link ALL_DETECTORS}). `[]` runs none. */
  detectors?: readonly Detector[];
  /** Extra patterns, run after the built-in detectors. */
  patterns?: readonly RedactionPattern[];
  /** A last custom step; receives the text after every pattern ran. */
  redact?: (text: string) => string;
}

/** Replaces sensitive substrings of one string. */
export type Redactor = (text: string) => string;

const tag = (name: string): string => `[REDACTED:${name}]`;

const API_KEY_PATTERNS: readonly RegExp[] = [
  // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-api03-…) secret keys.
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // AWS access key ids and secret keys written next to their name.
  /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  /\baws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}\b/gi,
  // GitHub tokens: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained.
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g,
];
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*/gi;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
const IPV6_CANDIDATE =
  /(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![0-9A-Za-z:])/g;
// Numbers written as phone numbers: with a country code or with separators between groups,
// so plain integers, dates (2024-01-15) and amounts are left alone.
const PHONE =
  /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,5}(?![\w]|[ .-]\d)|(?<![\w+])\+\d{8,15}(?!\w)/g;

/** The Luhn checksum of a digit string (ISO/IEC 7812-1). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const replaceAll = (text: string, pattern: RegExp, name: string): string => {
  pattern.lastIndex = 0;
  return text.replace(pattern, tag(name));
};

/** Text without any of these cannot hold a key of {@link API_KEY_PATTERNS} (checked once instead of five times). */
const API_KEY_HINT = /sk-|A[KSB]IA|ACCA|aws_secret|gh[pousr]_|github_pat_/i;
const DIGIT = /\d/;

const STEPS: Record<Detector, (text: string) => string> = {
  api_key: (text) => {
    if (!API_KEY_HINT.test(text)) return text;
    let out = text;
    for (const pattern of API_KEY_PATTERNS) out = replaceAll(out, pattern, 'api_key');
    return out;
  },
  bearer_token: (text) => (/bearer/i.test(text) ? replaceAll(text, BEARER, 'bearer_token') : text),
  email: (text) => (text.includes('@') ? replaceAll(text, EMAIL, 'email') : text),
  card: (text) =>
    !DIGIT.test(text)
      ? text
      : text.replace(CARD_CANDIDATE, (match) => {
          const digits = match.replace(/[ -]/g, '');
          return digits.length >= 13 && digits.length <= 19 && luhnValid(digits)
            ? tag('card')
            : match;
        }),
  ipv6: (text) =>
    text.includes(':') ? text.replace(IPV6_CANDIDATE, (m) => (isIPv6(m) ? tag('ipv6') : m)) : text,
  ipv4: (text) => (text.includes('.') ? replaceAll(text, IPV4, 'ipv4') : text),
  phone: (text) => (DIGIT.test(text) ? replaceAll(text, PHONE, 'phone') : text),
};

/**
 * Builds a redactor from options, once. Built-in detectors run first (in {@link ALL_DETECTORS}
 * order), then custom patterns, then the custom function. A throwing custom function leaves
 * the text as the patterns left it, so redaction never breaks export.
 *
 * @example
 * const redact = createRedactor({ patterns: [{ name: 'ticket', pattern: /TCK-\d+/g }] });
 * redact('mail bob@example.com about TCK-42'); // 'mail [REDACTED:email] about [REDACTED:ticket]'
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const selected = new Set(options.detectors ?? ALL_DETECTORS);
  const steps = ALL_DETECTORS.filter((d) => selected.has(d)).map((d) => STEPS[d]);
  const patterns = (options.patterns ?? []).map(({ name, pattern }) => ({
    name,
    pattern: pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`),
  }));
  const custom = options.redact;
  return (text: string): string => {
    let out = text;
    for (const step of steps) out = step(out);
    for (const { name, pattern } of patterns) out = replaceAll(out, pattern, name);
    if (custom) {
      try {
        const result = custom(out);
        if (typeof result === 'string') out = result;
      } catch {
        // Keep what the patterns produced.
      }
    }
    return out;
  };
}
