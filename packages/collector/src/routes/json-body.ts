import type { Context } from 'hono';
import { ValidationError } from '../errors.js';

/**
 * The request body parsed as JSON, for a zod schema to check next. A body that is not JSON
 * is a 400 (`ValidationError`, path `''`); an empty body is `emptyAs` when given (routes
 * whose every field is optional), otherwise a 400 too.
 */
export async function readJsonBody(
  c: Context,
  options: { emptyAs?: unknown } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (options.emptyAs !== undefined && text.trim() === '') return options.emptyAs;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('invalid body: expected a JSON object', [
      { path: '', message: 'expected a JSON object' },
    ]);
  }
}
