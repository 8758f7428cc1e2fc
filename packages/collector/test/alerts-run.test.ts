import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import type { AlertNotification } from '../src/alerts/notification.js';
import type { OutboxStore } from '../src/alerts/outbox.js';
import { Outbox } from '../src/alerts/outbox.js';
import { PostgresAlertStore } from '../src/alerts/postgres-alert-store.js';
import { alertRuleSchema } from '../src/alerts/rule.js';
import { runAlertRules } from '../src/alerts/run.js';
import { createWebhookSink } from '../src/alerts/sinks/webhook.js';
import {
  type AlertRuleStore,
  type AlertStateStore,
  SqliteAlertStore,
} from '../src/alerts/sqlite-alert-store.js';
import { createTargetPolicy } from '../src/alerts/ssrf.js';
import { initialAlertState } from '../src/alerts/state.js';
import { startWebhookReceiver } from '../src/alerts/test-receiver.js';
import { addCallToRollups, RollupBatch, type RollupCallInput } from '../src/rollups/rollup.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
const MIN = 60_000;
const SECRET = 'run-secret-0123456789abcdef';

/** 20 calls a minute per model; gpt-4o is twice as slow in minutes [30, 45). */
function traffic(minutes: number): RollupCallInput[] {
  const calls: RollupCallInput[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const model of ['gpt-4o', 'claude-sonnet']) {
      const slow = model === 'gpt-4o' && m >= 30 && m < 45;
      for (let i = 0; i < 20; i++) {
        calls.push({
          projectId: 'default',
          serviceName: 'api',
          provider: model === 'gpt-4o' ? 'openai' : 'anthropic',
          model,
          responseModel: null,
          operation: 'chat',
          startTimeUnixNano: `${T0 + m * MIN + i * 2_000}000000`,
          durationMs: (80 + i * 2) * (slow ? 2 : 1), // 80..118 ms, or 160..236 ms
          ttftMs: null,
          inputTokens: 10,
          outputTokens: 5,
          cacheReadInputTokens: null,
          costUsd: 0.001,
          confidence: 0.9,
          status: 'ok',
        });
      }
    }
  }
  return calls;
}

const dir = mkdtempSync(join(tmpdir(), 'pilotlight-alert-run-'));
const DATABASE_URL =
  process.env.PILOTLIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

interface Opened {
  store: AlertStateStore & AlertRuleStore & { outbox: OutboxStore };
  close(): Promise<void>;
}

const engines: [string, (name: string) => Promise<Opened>][] = [
  [
    'SQLite',
    async (name) => {
      const db = new Database(join(dir, `${name}.db`));
      db.pragma('journal_mode = WAL');
      return { store: new SqliteAlertStore(db), close: async () => void db.close() };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = `pl_alerts_${randomBytes(5).toString('hex')}`;
      schemas.push(schema);
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
      return { store: await PostgresAlertStore.open(pool, { schema }), close: () => pool.end() };
    },
  ],
];

describe.each(engines)('runAlertRules on %s', (_engine, open) => {
  it('pages once per transition as latency doubles and recovers, per model', async () => {
    const batch = new RollupBatch();
    for (const c of traffic(70)) addCallToRollups(batch, c);
    const rows = [...batch.rows()];
    const rollups = createRollupReader((projectId, ranges) =>
      rows.filter(
        (r) =>
          r.projectId === projectId &&
          ranges.some(
            (g) =>
              r.bucketSec === g.bucketSec &&
              r.bucketStartMs >= g.fromMs &&
              r.bucketStartMs < g.toMs,
          ),
      ),
    );
    let clock = T0;
    const now = () => clock;
    const receiver = await startWebhookReceiver({ secret: SECRET, now });
    const { store, close } = await open('alerts');
    try {
      const sinks = new Map([
        [
          'oncall',
          createWebhookSink({
            name: 'oncall',
            url: `${receiver.origin}/hook`,
            secret: SECRET,
            policy: createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] }),
            now,
          }),
        ],
      ]);
      const outbox = new Outbox(store.outbox, { sinks, now, random: () => 0 });
      const rule = alertRuleSchema.parse({
        id: 'slow-model',
        projectId: 'default',
        metric: 'latency_p95',
        groupBy: 'model',
        windowSec: 300,
        comparator: '>',
        threshold: 150,
        forSec: 120,
        minCalls: 50,
        notifyPending: true,
        sinks: ['oncall'],
      });
      const disabled = alertRuleSchema.parse({ ...rule, id: 'off', enabled: false, forSec: 0 });

      // Evaluate every minute (5 s past it), then run the outbox worker.
      const events: string[] = [];
      for (let m = 5; m <= 70; m++) {
        clock = T0 + m * MIN + 5_000;
        const results = await runAlertRules(
          [rule, disabled],
          { sources: { rollups }, store },
          clock,
        );
        expect(results.map((r) => [r.ruleId, r.error])).toEqual([['slow-model', undefined]]);
        for (const t of results[0]!.transitions) events.push(`${m} ${t.group} ${t.from}>${t.to}`);
        await outbox.deliverDue();
      }

      // The window [m-5, m) first holds slow minutes at m = 31 and last at m = 49.
      expect(events).toEqual([
        '31 gpt-4o ok>pending',
        '33 gpt-4o pending>firing',
        '50 gpt-4o firing>resolved',
        '51 gpt-4o resolved>ok',
      ]);
      const received = receiver.requests.map((r) => JSON.parse(r.body) as AlertNotification);
      expect(received.map((n) => [n.event, n.group, n.occurredAt])).toEqual([
        ['alert.pending', 'gpt-4o', new Date(T0 + 31 * MIN + 5_000).toISOString()],
        ['alert.firing', 'gpt-4o', new Date(T0 + 33 * MIN + 5_000).toISOString()],
        ['alert.resolved', 'gpt-4o', new Date(T0 + 50 * MIN + 5_000).toISOString()],
      ]);
      expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
      const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(3);
      const firing = received[1]!;
      expect(firing.value).toBeGreaterThan(150);
      expect(firing).toMatchObject({ threshold: 150, calls: 100, window: { sec: 300 } });

      // Current state and history, as GET /api/alerts and /api/alerts/history would show.
      const current = await store.current('default');
      expect(current.map((s) => [s.group, s.status])).toEqual([
        ['claude-sonnet', 'ok'],
        ['gpt-4o', 'ok'],
      ]);
      const history = await store.history({
        projectId: 'default',
        ruleId: 'slow-model',
        limit: 10,
      });
      expect(history.map((h) => `${h.transition.from}>${h.transition.to}`)).toEqual([
        'resolved>ok',
        'firing>resolved',
        'pending>firing',
        'ok>pending',
      ]);
      const page2 = await store.history({
        projectId: 'default',
        limit: 10,
        beforeSeq: history[1]!.seq,
      });
      expect(page2).toHaveLength(2);
      expect(await store.history({ projectId: 'other', limit: 10 })).toEqual([]);
      expect((await store.outbox.list({ status: 'delivered' })).length).toBe(3);
    } finally {
      await close();
      await receiver.stop();
    }
  });

  it('reports a rule that cannot be evaluated and still evaluates the others', async () => {
    const { store, close } = await open('errors');
    try {
      const rules = [
        alertRuleSchema.parse({
          id: 'drift-without-reader',
          projectId: 'p',
          metric: 'drift',
          monitorId: 'm',
          windowSec: 3600,
          comparator: '>',
          threshold: 0.2,
        }),
        alertRuleSchema.parse({
          id: 'no-traffic',
          projectId: 'p',
          metric: 'calls',
          windowSec: 300,
          comparator: '<',
          threshold: 1,
        }),
      ];
      const rollups = createRollupReader(() => []);
      const results = await runAlertRules(rules, { sources: { rollups }, store }, T0);
      expect(
        results.map((r) => [r.ruleId, r.error ?? null, r.transitions.map((t) => t.to)]),
      ).toEqual([
        ['drift-without-reader', 'rule drift-without-reader: no drift run reader', []],
        ['no-traffic', null, ['firing']],
      ]);
      // A rule without sinks still records its transition; nothing is queued.
      expect(await store.outbox.list()).toEqual([]);
      expect((await store.current('p', ['firing'])).map((s) => s.ruleId)).toEqual(['no-traffic']);
      await store.deleteRule('no-traffic');
      expect(await store.current('p')).toEqual([]);
    } finally {
      await close();
    }
  });

  it('commits states, history and notifications together or not at all', async () => {
    const { store, close } = await open('atomic');
    try {
      const state = { ...initialAlertState('r', '', T0), status: 'firing' as const };
      const transition = {
        ruleId: 'r',
        group: '',
        from: 'ok' as const,
        to: 'firing' as const,
        severity: 'critical' as const,
        previousSeverity: null,
        reason: 'breach' as const,
        value: 1,
        threshold: 0,
        comparator: '>' as const,
        calls: 1,
        windowSec: 60,
        windowStartMs: T0 - MIN,
        windowEndMs: T0,
        atMs: T0,
        notify: true,
      };
      // The notification cannot be stored (no payload): nothing else may be stored either.
      const broken = { id: 'n/s', notificationId: 'n', sink: 's', createdAtMs: T0 } as never;
      await expect(
        store.commit({
          projectId: 'p',
          states: [state],
          transitions: [transition],
          outbox: [broken],
        }),
      ).rejects.toThrow();
      expect(await store.load('r')).toEqual([]);
      expect(await store.history({ projectId: 'p', limit: 10 })).toEqual([]);
      const good = { id: 'n/s', notificationId: 'n', sink: 's', payload: '{}', createdAtMs: T0 };
      await store.commit({
        projectId: 'p',
        states: [state],
        transitions: [transition],
        outbox: [good],
      });
      expect(await store.load('r')).toEqual([state]);
      expect((await store.history({ projectId: 'p', limit: 10 }))[0]!.transition).toEqual(
        transition,
      );
      expect((await store.outbox.list()).map((e) => e.id)).toEqual(['n/s']);
    } finally {
      await close();
    }
  });

  it('stores API-managed rules, validated again on read', async () => {
    const { store, close } = await open('rules');
    try {
      const base = {
        projectId: 'p',
        metric: 'error_rate',
        windowSec: 300,
        comparator: '>',
        threshold: 0.05,
      } as const;
      const a = alertRuleSchema.parse({ ...base, id: 'a' });
      const b = alertRuleSchema.parse({ ...base, id: 'b', projectId: 'q', minCalls: 10 });
      expect(await store.putRule(a, T0)).toEqual({ created: true });
      expect(await store.putRule(b, T0)).toEqual({ created: true });
      const a2 = { ...a, threshold: 0.1 };
      expect(await store.putRule(a2, T0 + 1)).toEqual({ created: false });
      expect(await store.getRule('a')).toEqual(a2);
      expect(await store.getRule('zzz')).toBeNull();
      expect((await store.listRules()).map((r) => r.id)).toEqual(['a', 'b']);
      expect(await store.listRules('q')).toEqual([b]);
      expect(await store.removeRule('a')).toBe(true);
      expect(await store.removeRule('a')).toBe(false);
      expect((await store.listRules()).map((r) => r.id)).toEqual(['b']);
    } finally {
      await close();
    }
  });
});
