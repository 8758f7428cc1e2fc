import { createPriceBook, type PriceBook, type PriceEntry } from '@pilotlight/conventions';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { auditRecords } from '../routes/audit-context.js';
import { readJsonBody } from '../routes/json-body.js';
import { projectOf } from '../routes/project-context.js';
import { fromStore, invalid, timeSchema } from '../routes/query.js';
import { lookupNames } from './price-call.js';
import type { Pricer } from './pricer.js';
import {
  normalizeModelName,
  type PriceMatch,
  type PriceOverride,
  type StoredPriceOverride,
} from './types.js';

/** Most entries one `PUT /api/prices` takes. */
export const MAX_PRICE_ENTRIES_PER_PUT = 1_000;
/** `PUT /api/prices` bodies above this are refused with 413 (bytes). */
export const MAX_PRICE_BODY_BYTES = 512 * 1024;
/** Highest rate accepted per million tokens (USD): far above any list price, catches unit slips. */
export const MAX_RATE_PER_MTOK = 100_000;

/** A price in the effective table of `GET /api/prices`. */
export interface EffectivePrice {
  model: string;
  provider: string;
  inputPerMTok: number;
  outputPerMTok: number;
  /** Null: cache reads bill at the input rate. */
  cachedInputPerMTok: number | null;
  /** Null: cache writes bill at the input rate. */
  cacheWritePerMTok: number | null;
  source: 'default' | 'override';
  /** Default entries: the day the list price was known to apply; null for overrides. */
  checkedAt: string | null;
  /** Overrides: when it took effect; null for default entries. */
  effectiveFrom: string | null;
  /** When a later override replaces this price, or null. */
  effectiveUntil: string | null;
}

/** An override as `GET`/`PUT /api/prices` answer it. */
export interface PriceOverrideJson {
  model: string;
  provider: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok: number | null;
  cacheWritePerMTok: number | null;
  effectiveFrom: string;
  createdAt: string;
  updatedAt: string;
}

const rate = z.number().finite().min(0).max(MAX_RATE_PER_MTOK);

/** `2026-03-01` (UTC midnight) or an ISO 8601 date-time with an offset; becomes Unix ms. */
const effectiveFromSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'expected an ISO 8601 date (2026-03-01) or date-time with offset',
  })
  .transform((s) => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s))
  .pipe(z.number().int().min(0, 'must not be before 1970'));

const entrySchema = z.strictObject({
  model: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .transform((m) => normalizeModelName(m)),
  provider: z.string().trim().min(1).max(256).optional(),
  inputPerMTok: rate,
  outputPerMTok: rate,
  cachedInputPerMTok: rate.optional(),
  cacheWritePerMTok: rate.optional(),
  effectiveFrom: effectiveFromSchema,
});

const putSchema = z
  .strictObject({
    entries: z.array(entrySchema).min(1).max(MAX_PRICE_ENTRIES_PER_PUT),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.entries.forEach((e, i) => {
      const key = `${e.model}\u0000${e.effectiveFrom}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['entries', i],
          message: `duplicate of an earlier entry for ${e.model} from the same moment`,
        });
      }
      seen.add(key);
    });
  });

const atSchema = timeSchema.transform((ns) => Number(ns / 1_000_000n));

const getSchema = z.strictObject({
  model: z.string().trim().min(1).max(512).optional(),
  at: atSchema.optional(),
});

const deleteSchema = z.strictObject({
  effectiveFrom: effectiveFromSchema.optional(),
});

/**
 * A 400 naming each bad field by its full path (`entries.0.inputPerMTok`), an unknown
 * field included (`entries.0.inputPerToken: unknown field`).
 */
function invalidFields(error: z.ZodError): ValidationError {
  const issues = error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: [...i.path, key].join('.'), message: 'unknown field' }))
      : [{ path: i.path.join('.'), message: i.message }],
  );
  return new ValidationError(
    `invalid field${issues.length > 1 ? 's' : ''}: ${issues.map((i) => `${i.path} (${i.message})`).join(', ')}`,
    issues,
  );
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function effectivePrice(match: PriceMatch): EffectivePrice {
  const e: PriceEntry = match.entry;
  return {
    model: match.source === 'override' ? match.name : e.model,
    provider: e.provider,
    inputPerMTok: e.inputPerMTok,
    outputPerMTok: e.outputPerMTok,
    cachedInputPerMTok: e.cachedInputPerMTok ?? null,
    cacheWritePerMTok: e.cacheWritePerMTok ?? null,
    source: match.source,
    checkedAt: match.source === 'default' ? e.checkedAt : null,
    effectiveFrom: iso(match.effectiveFromMs),
    effectiveUntil: iso(match.effectiveUntilMs),
  };
}

/** A stored override as the API shows it. */
export function overrideJson(o: StoredPriceOverride): PriceOverrideJson {
  return {
    model: o.model,
    provider: o.provider,
    inputPerMTok: o.inputPerMTok,
    outputPerMTok: o.outputPerMTok,
    cachedInputPerMTok: o.cachedInputPerMTok ?? null,
    cacheWritePerMTok: o.cacheWritePerMTok ?? null,
    effectiveFrom: new Date(o.effectiveFromMs).toISOString(),
    createdAt: new Date(o.createdAtMs).toISOString(),
    updatedAt: new Date(o.updatedAtMs).toISOString(),
  };
}

/** The effective table at `atMs`: every name the book prices then, by name. */
function effectiveTable(book: PriceBook, atMs: number): EffectivePrice[] {
  const names = new Set<string>();
  for (const e of book.entries) names.add(e.model.toLowerCase());
  for (const o of book.overrides) names.add(o.model);
  const out: EffectivePrice[] = [];
  for (const name of [...names].sort()) {
    const match = book.match(name, atMs);
    // A name that resolves elsewhere then (an override not yet in effect) is not listed:
    // what it resolves to is.
    if (match !== null && match.name === name) out.push(effectivePrice(match));
  }
  return out;
}

/** Options of {@link createPriceRoutes}. */
export interface PriceRoutesOptions {
  /** The collector's pricer: its store holds the overrides, its cache is refreshed on writes. */
  prices: Pricer;
  /** Project of requests that carry none (see `projectOf`). */
  projectId: string;
  /** Clock of `at` defaults and of `createdAt` (default `Date.now`). */
  now?: () => number;
}

/**
 * Per-project prices:
 * - `GET /api/prices[?model=&at=]` → `{ at, data: EffectivePrice[], overrides }`: the price
 *   table in effect at `at` (default now) — defaults merged with the project's overrides,
 *   each marked `source` — and every override of the project (history included). With
 *   `model`, `data` holds the one price that model resolves to (empty when unpriced) and
 *   `overrides` those that could apply to it.
 * - `PUT /api/prices` with `{ entries: [{ model, provider?, inputPerMTok, outputPerMTok,
 *   cachedInputPerMTok?, cacheWritePerMTok?, effectiveFrom }] }` → `{ data, repriceFrom }`:
 *   inserts or replaces by (model, effectiveFrom); calls ingested from then on are priced
 *   with it. `repriceFrom` is the earliest past `effectiveFrom`: stored calls since then
 *   keep their old cost until `pilotlight reprice --from` it.
 * - `DELETE /api/prices/:model[?effectiveFrom=]` → `{ deleted }`: one override, or every
 *   override of the model; 404 when there is none.
 *
 * @example
 * app.route('/', createPriceRoutes({ prices: pricer, projectId: 'default' }));
 */
export function createPriceRoutes(options: PriceRoutesOptions): Hono {
  const { prices, projectId: fallback } = options;
  const now = options.now ?? Date.now;
  const base = prices.defaults.entries;
  const app = new Hono();

  app.get('/api/prices', async (c) => {
    const parsed = getSchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const projectId = projectOf(c, fallback);
    const atMs = parsed.data.at ?? now();
    const stored = await fromStore(prices.store.list(projectId));
    const book = createPriceBook(base, stored);
    const model = parsed.data.model;
    let data: EffectivePrice[];
    let overrides = stored;
    if (model === undefined) data = effectiveTable(book, atMs);
    else {
      const match = book.match(model, atMs);
      data = match === null ? [] : [effectivePrice(match)];
      const names = lookupNames(model);
      overrides = stored.filter((o) => names.has(o.model));
    }
    auditRecords(c, data.length);
    return c.json({
      at: new Date(atMs).toISOString(),
      data,
      overrides: overrides.map(overrideJson),
    });
  });

  app.put(
    '/api/prices',
    bodyLimit({
      maxSize: MAX_PRICE_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_PRICE_BODY_BYTES);
      },
    }),
    async (c) => {
      const body = await readJsonBody(c);
      const parsed = putSchema.safeParse(body);
      if (!parsed.success) throw invalidFields(parsed.error);
      const issues: { path: string; message: string }[] = [];
      const overrides: PriceOverride[] = parsed.data.entries.map((e, i) => {
        // The provider of the default entry the name resolves to, unless given.
        const provider = e.provider ?? prices.defaults.find(e.model, e.effectiveFrom)?.provider;
        if (provider === undefined) {
          issues.push({
            path: `entries.${i}.provider`,
            message: `required: the default table does not price ${e.model}`,
          });
        }
        return {
          model: e.model,
          provider: provider ?? '',
          inputPerMTok: e.inputPerMTok,
          outputPerMTok: e.outputPerMTok,
          ...(e.cachedInputPerMTok === undefined
            ? {}
            : { cachedInputPerMTok: e.cachedInputPerMTok }),
          ...(e.cacheWritePerMTok === undefined ? {} : { cacheWritePerMTok: e.cacheWritePerMTok }),
          effectiveFromMs: e.effectiveFrom,
        };
      });
      if (issues.length > 0) {
        throw new ValidationError(
          `invalid field${issues.length > 1 ? 's' : ''}: ${issues.map((i) => `${i.path} (${i.message})`).join(', ')}`,
          issues,
        );
      }
      const projectId = projectOf(c, fallback);
      const nowMs = now();
      const stored = await fromStore(prices.store.upsert(projectId, overrides, nowMs));
      // Ingest in this process prices with the new table from the next request on.
      await fromStore(prices.reload(projectId));
      const past = overrides.map((o) => o.effectiveFromMs).filter((ms) => ms <= nowMs);
      auditRecords(c, stored.length);
      return c.json({
        data: stored.map(overrideJson),
        repriceFrom: past.length === 0 ? null : new Date(Math.min(...past)).toISOString(),
      });
    },
  );

  // `{.+}`: model names may contain slashes (`openai/gpt-4o`), sent encoded or not.
  app.delete('/api/prices/:model{.+}', async (c) => {
    const parsed = deleteSchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const model = normalizeModelName(c.req.param('model'));
    const projectId = projectOf(c, fallback);
    const deleted = await fromStore(
      prices.store.remove(projectId, model, parsed.data.effectiveFrom ?? null),
    );
    if (deleted === 0) throw new NotFoundError(`no price override for ${model} in this project`);
    await fromStore(prices.reload(projectId));
    auditRecords(c, deleted);
    return c.json({ deleted });
  });

  return app;
}
