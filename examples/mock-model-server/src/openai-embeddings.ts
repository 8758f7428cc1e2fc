import { type Exchange, sendJson } from './exchange.js';
import { asString, countWords, embeddingVector, encodeFloat32Base64, positiveInt } from './text.js';

/** Vector length when the request does not ask for `dimensions`. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;
/** Largest `dimensions` the mock accepts. */
export const MAX_EMBEDDING_DIMENSIONS = 4096;

interface EmbeddingInput {
  /** What the vector is derived from. */
  key: string;
  tokens: number;
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

/** Normalises the four accepted `input` shapes: string, string[], number[], number[][]. */
function readInputs(input: unknown): EmbeddingInput[] | undefined {
  if (typeof input === 'string') return [{ key: input, tokens: countWords(input) }];
  if (Array.isArray(input) && input.length === 0) return undefined;
  if (isTokenArray(input)) return [{ key: input.join(','), tokens: input.length }];
  if (!Array.isArray(input)) return undefined;
  const inputs: EmbeddingInput[] = [];
  for (const entry of input) {
    if (typeof entry === 'string') inputs.push({ key: entry, tokens: countWords(entry) });
    else if (isTokenArray(entry)) inputs.push({ key: entry.join(','), tokens: entry.length });
    else return undefined;
  }
  return inputs;
}

function badRequest(ex: Exchange, message: string, param: string): void {
  sendJson(ex.res, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
}

/** `POST /v1/embeddings`: deterministic unit vectors, float or base64 encoded. */
export async function handleEmbeddings(ex: Exchange): Promise<void> {
  const { body } = ex;
  const model = asString(body.model);
  if (model === undefined) return badRequest(ex, 'you must provide a model parameter', 'model');
  const inputs = readInputs(body.input);
  if (inputs === undefined) {
    return badRequest(ex, "'input' must be a string or an array of strings or tokens", 'input');
  }
  const dimensions = positiveInt(body.dimensions) ?? DEFAULT_EMBEDDING_DIMENSIONS;
  if (dimensions < 1 || dimensions > MAX_EMBEDDING_DIMENSIONS) {
    return badRequest(
      ex,
      `'dimensions' must be from 1 to ${MAX_EMBEDDING_DIMENSIONS}`,
      'dimensions',
    );
  }
  const base64 = body.encoding_format === 'base64';
  const promptTokens = inputs.reduce((sum, input) => sum + input.tokens, 0);
  sendJson(ex.res, 200, {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = embeddingVector(input.key, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? encodeFloat32Base64(vector) : vector,
      };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
