import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createRollupReader } from '../src/alerts/evaluate.js';
import type { AlertNotification } from '../src/alerts/notification.js';
import { Outbox } from '../src/alerts/outbox.js';
import { alertRuleSchema } from '../src/alerts/rule.js';
import { runAlertRules } from '../src/alerts/run.js';
import { createWebhookSink } from '../src/alerts/sinks/webhook.js';
import { SqliteAlertStore } from '../src/alerts/sqlite-alert-store.js';
import { createTargetPolicy } from '../src/alerts/ssrf.js';
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
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runAlertRules', () => {
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
    const db = new Database(join(dir, 'alerts.db'));
    db.pragma('journal_mode = WAL');
    try {
      const store = new SqliteAlertStore(db);
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
      db.close();
      await receiver.stop();
    }
  });

  it('reports a rule that cannot be evaluated and still evaluates the others', async () => {
    const db = new Database(join(dir, 'errors.db'));
    try {
      const store = new SqliteAlertStore(db);
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
      db.close();
    }
  });
});
