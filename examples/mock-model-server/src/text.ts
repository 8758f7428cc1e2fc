// Deterministic text, token and number helpers shared by the OpenAI and Anthropic handlers.
// Nothing here is random: the same request always gives the same reply, counts and vectors.

/** Share of the prompt reported as cached when a request asks for a cache hit. */
export const CACHED_SHARE = 0.8;

/** Logprob of the token at index `i` is `-LOGPROB_STEPS[i % 4]` (all below zero). */
export const LOGPROB_STEPS = [0.05, 0.1, 0.15, 0.2] as const;

/** Characters per streamed tool-call argument fragment. */
export const ARGUMENT_CHUNK_CHARS = 8;

/** A JSON object as it arrives in a request body. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Number of whitespace-separated words: the mock's notion of a prompt token. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/**
 * Splits a reply into tokens: each word with its leading whitespace, so that joining the
 * tokens gives the reply back and the token count equals the word count.
 */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** Approximate tokens for generated tool-call arguments: one per four characters. */
export function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Text of a message `content` in either provider's shape (a string or an array of parts). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts: string[] = [];
  for (const part of asArray(content)) {
    if (typeof part === 'string') parts.push(part);
    else if (isObject(part)) {
      if (typeof part.text === 'string') parts.push(part.text);
      else if (part.content !== undefined) parts.push(contentText(part.content));
      else if (typeof part.output === 'string') parts.push(part.output);
    }
  }
  return parts.join(' ');
}

/** The reply text for a user message: `Echo: <text>` (choice `i > 0` says `Echo <i+1>:`). */
export function echoReply(userText: string, choiceIndex = 0): string {
  const label = choiceIndex === 0 ? 'Echo:' : `Echo ${choiceIndex + 1}:`;
  const text = userText.trim();
  return text === '' ? label : `${label} ${text}`;
}

/** The reply text after a tool result: `Tool result: <output>`. */
export function toolResultReply(output: string): string {
  const text = output.trim();
  return text === '' ? 'Tool result:' : `Tool result: ${text}`;
}

export function mentionsWeather(text: string): boolean {
  return /weather/i.test(text);
}

/** Cached prompt tokens for a request that asked for a cache hit. */
export function cachedTokens(promptTokens: number): number {
  return Math.floor(promptTokens * CACHED_SHARE);
}

/** A reply cut to at most `maxTokens` tokens; `truncated` says whether it was cut. */
export function truncateTokens(
  tokens: string[],
  maxTokens: number | undefined,
): { tokens: string[]; truncated: boolean } {
  if (maxTokens === undefined || maxTokens < 0 || tokens.length <= maxTokens) {
    return { tokens, truncated: false };
  }
  return { tokens: tokens.slice(0, maxTokens), truncated: true };
}

export function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Deterministic logprob of the token at `index`. */
export function tokenLogprob(index: number): number {
  return -LOGPROB_STEPS[index % LOGPROB_STEPS.length]!;
}

/** One OpenAI-shaped logprob entry: the chosen token, then `topCount` ranked alternatives. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export function tokenLogprobs(tokens: string[], topCount: number, offset = 0): TokenLogprob[] {
  return tokens.map((token, i) => {
    const logprob = tokenLogprob(offset + i);
    const top: TokenLogprob['top_logprobs'] = [];
    for (let j = 0; j < topCount; j++) {
      const alt = j === 0 ? token : `${token}~${j}`;
      top.push({ token: alt, logprob: logprob - j, bytes: utf8Bytes(alt) });
    }
    return { token, logprob, bytes: utf8Bytes(token), top_logprobs: top };
  });
}

function utf8Bytes(text: string): number[] {
  return Array.from(Buffer.from(text, 'utf8'));
}

/**
 * Arguments for a forced or triggered tool call, filled from its JSON schema: strings named
 * like a place get `"Paris"`, other strings `"mock"`, enums their first value, numbers `1`,
 * booleans `true`. A tool without a schema gets `{"location":"Paris"}`.
 */
export function toolArguments(schema: unknown): string {
  if (!isObject(schema) || !isObject(schema.properties)) {
    return JSON.stringify({ location: 'Paris' });
  }
  const args: JsonObject = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    args[name] = sampleValue(name, property);
  }
  return JSON.stringify(args);
}

function sampleValue(name: string, property: unknown): unknown {
  if (!isObject(property)) return 'mock';
  if (Array.isArray(property.enum) && property.enum.length > 0) return property.enum[0];
  switch (property.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return /location|city|place|town|country/i.test(name) ? 'Paris' : 'mock';
  }
}

/** Splits `text` into pieces of `size` characters (at least one piece, maybe empty). */
export function chunkString(text: string, size: number): string[] {
  if (text === '') return [''];
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** 32-bit FNV-1a hash, the seed for embedding vectors. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: a tiny seeded PRNG, so vectors depend only on the input. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A unit-length vector of `dimensions` float32 values derived from `key` alone. Values are
 * rounded to float32, so the float and base64 encodings decode to the same numbers.
 */
export function embeddingVector(key: string, dimensions: number): number[] {
  const next = mulberry32(fnv1a(key));
  const raw = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, v) => sum + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** Little-endian float32 bytes in base64, as the OpenAI API encodes `encoding_format: base64`. */
export function encodeFloat32Base64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
