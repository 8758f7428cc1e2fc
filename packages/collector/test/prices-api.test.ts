import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '../src/auth/auth.js';
import { openSqliteKeyStore } from '../src/auth/sqlite-key-store.js';
import { createApp, openSqliteStore, type SqliteSpanStore } from '../src/index.js';
import { createPricer, type Pricer } from '../src/prices/pricer.js';
import {
  createPriceRoutes,
  type EffectivePrice,
  type PriceOverrideJson,
} from '../src/prices/routes.js';
import { openSqlitePriceStore } from '../src/prices/sqlite-override-store.js';
import { otlpJson, tempDir } from './helpers.js';
import { call, callsBySpan, chatSpan, ingestInto, pricedApp } from './prices-helpers.js';

const MARCH = Date.UTC(2026, 2, 1);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 3, 1);

interface PricesBody {
  at: string;
  data: EffectivePrice[];
  overrides: PriceOverrideJson[];
}
interface ErrorBody {
  error: string;
  message: string;
  issues: { path: string; message: string }[];
}

describe('price overrides: GET/PUT/DELETE /api/prices and ingest (SQLite)', () => {
  const tmp = tempDir();
  const dbPath = path.join(tmp.dir, 'pilotlight.db');
  let store: SqliteSpanStore;
  let pricer: Pricer;
  let app: Hono;

  beforeAll(async () => {
    store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
    pricer = await createPricer({ store: openSqlitePriceStore(store.path), refreshIntervalMs: 0 });
    app = pricedApp(store, pricer, () => NOW);
    const put = await call(app, 'a', 'PUT', '/api/prices', {
      entries: [
        {
          model: 'gpt-4o',
          inputPerMTok: 2,
          outputPerMTok: 8,
          cachedInputPerMTok: 0.2,
          effectiveFrom: '2026-03-01',
        },
      ],
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    pricer.close();
    await pricer.store.close();
    await store.close();
    tmp.remove();
  });

  it('prices calls before and after the override date with the price in effect then', async () => {
    const before = chatSpan('gpt-4o', MARCH - 1, { input: 1000, output: 100 });
    const after = chatSpan('gpt-4o-2024-08-06', MARCH, { input: 1000, output: 100 });
    expect(await ingestInto(app, 'a', [before, after])).toBe(200);
    const calls = await callsBySpan(store, 'a');
    expect(calls.get(before.spanId)).toMatchObject({ costSource: 'collector' });
    expect(calls.get(before.spanId)?.costUsd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 15);
    expect(calls.get(after.spanId)).toMatchObject({ costSource: 'collector' });
    expect(calls.get(after.spanId)?.costUsd).toBeCloseTo((1000 * 2 + 100 * 8) / 1e6, 15);
  });

  it('bills 800 cached of 1,000 input tokens at the override cached rate, 200 at its input rate', async () => {
    const span = chatSpan('gpt-4o', MARCH + DAY, { input: 1000, output: 0, cacheRead: 800 });
    const old = chatSpan('gpt-4o', MARCH - DAY, { input: 1000, output: 0, cacheRead: 800 });
    expect(await ingestInto(app, 'a', [span, old])).toBe(200);
    const calls = await callsBySpan(store, 'a');
    expect(calls.get(span.spanId)?.costUsd).toBeCloseTo((200 * 2 + 800 * 0.2) / 1e6, 15);
    // Before the override: the default gpt-4o rates, $2.50 and $1.25 cached.
    expect(calls.get(old.spanId)?.costUsd).toBeCloseTo((200 * 2.5 + 800 * 1.25) / 1e6, 15);
  });

  it('leaves an unknown model unpriced (null, never $0) until an addition prices it', async () => {
    const unknown = chatSpan('acme-llm-7b', MARCH + DAY, { input: 500, output: 50 });
    expect(await ingestInto(app, 'a', [unknown])).toBe(200);
    expect((await callsBySpan(store, 'a')).get(unknown.spanId)).toMatchObject({
      costUsd: null,
      costSource: null,
    });

    const noProvider = await call<ErrorBody>(app, 'a', 'PUT', '/api/prices', {
      entries: [
        { model: 'acme-llm-7b', inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2026-03-01' },
      ],
    });
    expect(noProvider.status).toBe(400);
    expect(noProvider.body.issues).toEqual([
      {
        path: 'entries.0.provider',
        message: 'required: the default table does not price acme-llm-7b',
      },
    ]);

    const added = await call<{ data: PriceOverrideJson[]; repriceFrom: string | null }>(
      app,
      'a',
      'PUT',
      '/api/prices',
      {
        entries: [
          {
            model: 'ACME-LLM-7B',
            provider: 'acme',
            inputPerMTok: 1,
            outputPerMTok: 4,
            effectiveFrom: '2026-03-01T00:00:00Z',
          },
        ],
      },
    );
    expect(added.status).toBe(200);
    expect(added.body.data[0]).toMatchObject({ model: 'acme-llm-7b', provider: 'acme' });
    // Already stored calls keep their cost until re-priced: the answer says from when.
    expect(added.body.repriceFrom).toBe('2026-03-01T00:00:00.000Z');

    const later = chatSpan('acme-llm-7b', MARCH + 2 * DAY, { input: 500, output: 50 });
    const earlier = chatSpan('acme-llm-7b', MARCH - DAY, { input: 500, output: 50 });
    expect(await ingestInto(app, 'a', [later, earlier])).toBe(200);
    const calls = await callsBySpan(store, 'a');
    expect(calls.get(later.spanId)?.costUsd).toBeCloseTo((500 * 1 + 50 * 4) / 1e6, 15);
    expect(calls.get(earlier.spanId)).toMatchObject({ costUsd: null, costSource: null });
    expect(calls.get(unknown.spanId)).toMatchObject({ costUsd: null, costSource: null });
  });

  it('keeps a cost the SDK sent, override or not', async () => {
    const span = chatSpan('gpt-4o', MARCH + DAY, { input: 1000, output: 100, sdkCostUsd: 0.5 });
    expect(await ingestInto(app, 'a', [span])).toBe(200);
    expect((await callsBySpan(store, 'a')).get(span.spanId)).toMatchObject({
      costUsd: 0.5,
      costSource: 'sdk',
    });
  });

  it("never applies project a's override to project b", async () => {
    const span = chatSpan('gpt-4o', MARCH + DAY, { input: 1000, output: 100 });
    expect(await ingestInto(app, 'b', [span])).toBe(200);
    expect((await callsBySpan(store, 'b')).get(span.spanId)?.costUsd).toBeCloseTo(
      (1000 * 2.5 + 100 * 10) / 1e6,
      15,
    );
    const b = await call<PricesBody>(app, 'b', 'GET', '/api/prices?model=gpt-4o');
    expect(b.body.overrides).toEqual([]);
    expect(b.body.data).toMatchObject([{ model: 'gpt-4o', source: 'default', inputPerMTok: 2.5 }]);
    // b deleting a's override finds nothing to delete.
    expect((await call(app, 'b', 'DELETE', '/api/prices/gpt-4o')).status).toBe(404);
  });

  it('GET answers the effective table, defaults merged with overrides, each marked', async () => {
    const res = await call<PricesBody>(app, 'a', 'GET', '/api/prices');
    expect(res.status).toBe(200);
    expect(res.body.at).toBe(new Date(NOW).toISOString());
    const byModel = new Map(res.body.data.map((p) => [p.model, p]));
    expect(byModel.get('gpt-4o')).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      inputPerMTok: 2,
      outputPerMTok: 8,
      cachedInputPerMTok: 0.2,
      cacheWritePerMTok: null,
      source: 'override',
      checkedAt: null,
      effectiveFrom: '2026-03-01T00:00:00.000Z',
      effectiveUntil: null,
    });
    expect(byModel.get('acme-llm-7b')).toMatchObject({ source: 'override', provider: 'acme' });
    expect(byModel.get('gpt-4o-mini')).toMatchObject({
      source: 'default',
      inputPerMTok: 0.15,
      checkedAt: '2024-10-01',
      effectiveFrom: null,
    });
    expect(res.body.overrides.map((o) => o.model).sort()).toEqual(['acme-llm-7b', 'gpt-4o']);

    // Before the override: gpt-4o at its default price until March; the addition not yet there.
    const feb = await call<PricesBody>(app, 'a', 'GET', '/api/prices?at=2026-02-01');
    const febModels = new Map(feb.body.data.map((p) => [p.model, p]));
    expect(febModels.get('gpt-4o')).toMatchObject({
      source: 'default',
      inputPerMTok: 2.5,
      effectiveUntil: '2026-03-01T00:00:00.000Z',
    });
    expect(febModels.has('acme-llm-7b')).toBe(false);

    // ?model= resolves like ingest: a snapshot through its base entry.
    const snap = await call<PricesBody>(
      app,
      'a',
      'GET',
      '/api/prices?model=openai/gpt-4o-2024-11-20',
    );
    expect(snap.body.data).toMatchObject([{ model: 'gpt-4o', source: 'override' }]);
    expect(snap.body.overrides.map((o) => o.model)).toEqual(['gpt-4o']);
    const none = await call<PricesBody>(app, 'a', 'GET', '/api/prices?model=nobody-knows');
    expect(none.body.data).toEqual([]);
  });

  it('upserts by (model, effectiveFrom) and keeps the history', async () => {
    const first = await call<{ data: PriceOverrideJson[] }>(app, 'c', 'PUT', '/api/prices', {
      entries: [
        {
          model: 'gpt-4o-mini',
          inputPerMTok: 0.1,
          outputPerMTok: 0.4,
          effectiveFrom: '2026-03-01',
        },
        {
          model: 'gpt-4o-mini',
          inputPerMTok: 0.05,
          outputPerMTok: 0.2,
          effectiveFrom: '2026-05-01',
        },
      ],
    });
    expect(first.status).toBe(200);
    const again = await call<{ data: PriceOverrideJson[] }>(app, 'c', 'PUT', '/api/prices', {
      entries: [
        {
          model: 'gpt-4o-mini',
          inputPerMTok: 0.12,
          outputPerMTok: 0.48,
          effectiveFrom: '2026-03-01',
        },
      ],
    });
    expect(again.body.data[0]).toMatchObject({ inputPerMTok: 0.12 });
    const got = await call<PricesBody>(
      app,
      'c',
      'GET',
      '/api/prices?model=gpt-4o-mini&at=2026-04-01',
    );
    expect(got.body.overrides.map((o) => [o.effectiveFrom, o.inputPerMTok])).toEqual([
      ['2026-03-01T00:00:00.000Z', 0.12],
      ['2026-05-01T00:00:00.000Z', 0.05],
    ]);
    expect(got.body.data).toMatchObject([
      {
        inputPerMTok: 0.12,
        effectiveFrom: '2026-03-01T00:00:00.000Z',
        effectiveUntil: '2026-05-01T00:00:00.000Z',
      },
    ]);

    // DELETE one override: calls from March are priced with the default again.
    const del = await call<{ deleted: number }>(
      app,
      'c',
      'DELETE',
      '/api/prices/gpt-4o-mini?effectiveFrom=2026-03-01',
    );
    expect(del).toEqual({ status: 200, body: { deleted: 1 } });
    const span = chatSpan('gpt-4o-mini', MARCH + DAY, { input: 1000, output: 0 });
    expect(await ingestInto(app, 'c', [span])).toBe(200);
    expect((await callsBySpan(store, 'c')).get(span.spanId)?.costUsd).toBeCloseTo(
      (1000 * 0.15) / 1e6,
      15,
    );
    expect((await call(app, 'c', 'DELETE', '/api/prices/gpt-4o-mini')).body).toEqual({
      deleted: 1,
    });
    expect((await call(app, 'c', 'DELETE', '/api/prices/gpt-4o-mini')).status).toBe(404);
  });

  it.each([
    [{ entries: [] }, 'entries'],
    [
      {
        entries: [
          { model: 'gpt-4o', inputPerMTok: -1, outputPerMTok: 1, effectiveFrom: '2026-03-01' },
        ],
      },
      'entries.0.inputPerMTok',
    ],
    [
      {
        entries: [
          { model: 'gpt-4o', inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2026-13-01' },
        ],
      },
      'entries.0.effectiveFrom',
    ],
    [
      { entries: [{ model: 'gpt-4o', inputPerMTok: 1, outputPerMTok: 1 }] },
      'entries.0.effectiveFrom',
    ],
    [
      { entries: [{ model: '', inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2026-03-01' }] },
      'entries.0.model',
    ],
    [
      {
        entries: [
          {
            model: 'gpt-4o',
            inputPerMTok: 1,
            outputPerMTok: 1,
            effectiveFrom: '2026-03-01',
            inputPerToken: 1,
          },
        ],
      },
      'entries.0.inputPerToken',
    ],
    [
      {
        entries: [
          { model: 'gpt-4o', inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2026-03-01' },
          {
            model: 'GPT-4o',
            inputPerMTok: 2,
            outputPerMTok: 1,
            effectiveFrom: '2026-03-01T00:00:00Z',
          },
        ],
      },
      'entries.1',
    ],
  ])('PUT %j answers 400 naming %s', async (body, field) => {
    const res = await call<ErrorBody>(app, 'd', 'PUT', '/api/prices', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.issues.map((i) => i.path)).toContain(field);
    expect(res.body.message).toContain(field);
  });

  it('answers 400 naming a bad query parameter, and for a body that is not JSON', async () => {
    const bad = await call<ErrorBody>(app, 'a', 'GET', '/api/prices?at=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]?.path).toBe('at');
    const unknown = await call<ErrorBody>(app, 'a', 'GET', '/api/prices?modle=gpt-4o');
    expect(unknown.body.issues).toEqual([{ path: 'modle', message: 'unknown parameter' }]);
    const res = await app.request('/api/prices', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
  });

  it('reaches another process through the store within a refresh', async () => {
    const other = await createPricer({ store: openSqlitePriceStore(dbPath), refreshIntervalMs: 0 });
    try {
      expect(other.pricesFor('a').find('gpt-4o', MARCH)?.inputPerMTok).toBe(2);
      expect(other.pricesFor('e').find('gpt-4o', MARCH)?.inputPerMTok).toBe(2.5);
      expect(
        (
          await call(app, 'e', 'PUT', '/api/prices', {
            entries: [
              { model: 'gpt-4o', inputPerMTok: 1, outputPerMTok: 4, effectiveFrom: '2026-01-01' },
            ],
          })
        ).status,
      ).toBe(200);
      // This process's ingest sees it at once; the other after its next refresh.
      expect(pricer.pricesFor('e').find('gpt-4o', MARCH)?.inputPerMTok).toBe(1);
      expect(other.pricesFor('e').find('gpt-4o', MARCH)?.inputPerMTok).toBe(2.5);
      await other.refresh();
      expect(other.pricesFor('e').find('gpt-4o', MARCH)?.inputPerMTok).toBe(1);
      expect((await call(app, 'e', 'DELETE', '/api/prices/gpt-4o')).status).toBe(200);
      await other.refresh();
      expect(other.pricesFor('e').find('gpt-4o', MARCH)?.inputPerMTok).toBe(2.5);
    } finally {
      other.close();
      await other.store.close();
    }
  });
});

describe('price overrides behind API keys', () => {
  it('takes the project from the key: one project never changes or sees another one’s prices', async () => {
    const tmp = tempDir();
    const dbPath = path.join(tmp.dir, 'pilotlight.db');
    const store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
    const keys = openSqliteKeyStore(dbPath);
    const pricer = await createPricer({
      store: openSqlitePriceStore(dbPath),
      refreshIntervalMs: 0,
    });
    try {
      const auth = new Auth(keys);
      expect(await auth.createProject('acme')).toBe(true);
      expect(await auth.createProject('globex')).toBe(true);
      const acme = await auth.createKey('acme');
      const globex = await auth.createKey('globex');
      if (typeof acme === 'string' || typeof globex === 'string') throw new Error('no key');
      const app = createApp({
        store,
        auth,
        pricesFor: pricer.pricesFor,
        apiRoutes: [createPriceRoutes({ prices: pricer, projectId: 'default' })],
      });
      const send = (key: string | null, method: string, url: string, body?: unknown) =>
        app.request(url, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(key === null ? {} : { authorization: `Bearer ${key}` }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const entry = {
        model: 'gpt-4o',
        inputPerMTok: 1,
        outputPerMTok: 1,
        effectiveFrom: '2026-01-01',
      };
      expect((await send(null, 'PUT', '/api/prices', { entries: [entry] })).status).toBe(401);
      expect((await send(acme.key, 'PUT', '/api/prices', { entries: [entry] })).status).toBe(200);

      // The same span, sent with each key; its attributes name no project that counts.
      const span = chatSpan(
        'gpt-4o',
        MARCH,
        { input: 1000, output: 0 },
        { 'pilotlight.project': 'acme' },
      );
      for (const key of [acme.key, globex.key]) {
        const res = await send(key, 'POST', '/v1/traces', otlpJson([span]));
        expect(res.status).toBe(200);
      }
      expect((await callsBySpan(store, 'acme')).get(span.spanId)?.costUsd).toBeCloseTo(
        1000 / 1e6,
        15,
      );
      expect((await callsBySpan(store, 'globex')).get(span.spanId)?.costUsd).toBeCloseTo(
        2500 / 1e6,
        15,
      );

      const seen = (await (
        await send(globex.key, 'GET', '/api/prices?model=gpt-4o')
      ).json()) as PricesBody;
      expect(seen.overrides).toEqual([]);
      expect(seen.data).toMatchObject([{ source: 'default', inputPerMTok: 2.5 }]);
      expect((await send(globex.key, 'DELETE', '/api/prices/gpt-4o')).status).toBe(404);
      expect((await send(acme.key, 'DELETE', '/api/prices/gpt-4o')).status).toBe(200);
    } finally {
      pricer.close();
      await pricer.store.close();
      await keys.close();
      await store.close();
      tmp.remove();
    }
  });
});
