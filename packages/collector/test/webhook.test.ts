import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildNotification } from '../src/alerts/notification.js';
import { alertRuleSchema } from '../src/alerts/rule.js';
import { type AlertLogRecord, createLogSink } from '../src/alerts/sinks/log.js';
import { createSlackSink, formatSlackText } from '../src/alerts/sinks/slack.js';
import {
  createWebhookSink,
  signWebhook,
  verifyWebhookSignature,
} from '../src/alerts/sinks/webhook.js';
import { createTargetPolicy } from '../src/alerts/ssrf.js';
import { initialAlertState, nextAlertState } from '../src/alerts/state.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/alerts/test-receiver.js';

const SECRET = 'whsec-test-0123456789abcdef';
const NOW = Date.UTC(2026, 10, 22, 1, 5, 12);
const now = () => NOW;
const policy = createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] });

const rule = alertRuleSchema.parse({
  id: 'p95-slow',
  name: 'Slow chat',
  projectId: 'default',
  metric: 'latency_p95',
  filters: { model: 'gpt-4o' },
  windowSec: 300,
  comparator: '>',
  threshold: 2000,
  sinks: ['oncall'],
});

function transitions() {
  const window = { windowStartMs: NOW - 312_000, windowEndMs: NOW - 12_000 };
  const fired = nextAlertState(
    rule,
    initialAlertState(rule.id, '', NOW - 60_000),
    { ruleId: rule.id, group: '', value: 2710.4, calls: 412, ...window },
    NOW,
  );
  const resolved = nextAlertState(
    rule,
    fired.state,
    { ruleId: rule.id, group: '', value: 850, calls: 390, ...window },
    NOW + 60_000,
  );
  return { firing: fired.transition!, resolved: resolved.transition! };
}
const { firing, resolved } = transitions();
const dashboardUrl = 'https://pilotlight.example/';
const notification = buildNotification(rule, firing, { dashboardUrl });

describe('webhook notifications', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET, now });
  });
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.respond(() => 204);
  });

  const sink = (timeoutMs?: number) =>
    createWebhookSink({
      name: 'oncall',
      url: `${receiver.origin}/hook`,
      secret: SECRET,
      policy,
      now,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  it('builds the documented body', () => {
    expect(notification).toMatchInlineSnapshot(`
      {
        "calls": 412,
        "dashboardUrl": "https://pilotlight.example/alerts/p95-slow?from=1795309200000&to=1795309500000",
        "event": "alert.firing",
        "group": "",
        "id": "${notification.id}",
        "occurredAt": "2026-11-22T01:05:12.000Z",
        "previousStatus": "ok",
        "reason": "breach",
        "rule": {
          "comparator": ">",
          "filters": {
            "model": "gpt-4o",
          },
          "groupBy": null,
          "id": "p95-slow",
          "metric": "latency_p95",
          "name": "Slow chat",
          "projectId": "default",
          "threshold": 2000,
          "warningThreshold": null,
          "windowSec": 300,
        },
        "severity": "critical",
        "status": "firing",
        "threshold": 2000,
        "value": 2710.4,
        "version": 1,
        "window": {
          "end": "2026-11-22T01:05:00.000Z",
          "sec": 300,
          "start": "2026-11-22T01:00:00.000Z",
        },
      }
    `);
    expect(notification.id).toMatch(/^ntf_[0-9a-f]{32}$/);
    // The same transition always gets the same id; another transition another one.
    expect(buildNotification(rule, firing).id).toBe(notification.id);
    expect(buildNotification(rule, resolved).id).not.toBe(notification.id);
  });

  it('POSTs the JSON body with idempotency key, event and a valid HMAC signature', async () => {
    const outcome = await sink().send(notification, {
      idempotencyKey: notification.id,
      attempt: 1,
    });
    expect(outcome).toEqual({ status: 'success', httpStatus: 204 });
    const [req] = receiver.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/hook', signatureValid: true });
    expect(JSON.parse(req!.body)).toEqual(notification);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['idempotency-key']).toBe(notification.id);
    expect(req!.headers['x-pilotlight-event']).toBe('alert.firing');
    const ts = String(Math.floor(NOW / 1000));
    expect(req!.headers['x-pilotlight-timestamp']).toBe(ts);
    // Recomputed independently of signWebhook: sha256=<hex HMAC of "timestamp.body">.
    const mac = createHmac('sha256', SECRET).update(`${ts}.${req!.body}`).digest('hex');
    expect(req!.headers['x-pilotlight-signature']).toBe(`sha256=${mac}`);
  });

  it('sends no signature without a secret', async () => {
    const unsigned = createWebhookSink({ name: 'u', url: `${receiver.origin}/u`, policy, now });
    expect((await unsigned.send(notification, { idempotencyKey: 'k', attempt: 1 })).status).toBe(
      'success',
    );
    expect(receiver.requests[0]!.headers['x-pilotlight-signature']).toBeUndefined();
    expect(receiver.requests[0]!.signatureValid).toBe(false);
  });

  it.each([
    [500, {}, { status: 'retryable', httpStatus: 500, reason: 'HTTP 500' }],
    [502, {}, { status: 'retryable', httpStatus: 502, reason: 'HTTP 502' }],
    [
      503,
      { 'retry-after': '7' },
      { status: 'retryable', httpStatus: 503, reason: 'HTTP 503', retryAfterMs: 7000 },
    ],
    [429, {}, { status: 'retryable', httpStatus: 429, reason: 'HTTP 429' }],
    [408, {}, { status: 'retryable', httpStatus: 408, reason: 'HTTP 408' }],
    [400, {}, { status: 'failure', httpStatus: 400, reason: 'HTTP 400' }],
    [401, {}, { status: 'failure', httpStatus: 401, reason: 'HTTP 401' }],
    [404, {}, { status: 'failure', httpStatus: 404, reason: 'HTTP 404' }],
    [410, {}, { status: 'failure', httpStatus: 410, reason: 'HTTP 410' }],
  ])('maps HTTP %i to its outcome', async (status, headers, expected) => {
    receiver.respond(() => ({ status, headers }));
    expect(await sink().send(notification, { idempotencyKey: 'k', attempt: 1 })).toEqual(expected);
  });

  it('does not follow redirects', async () => {
    receiver.respond((r) =>
      r.path === '/hook'
        ? { status: 302, headers: { location: `${receiver.origin}/elsewhere` } }
        : 204,
    );
    const outcome = await sink().send(notification, { idempotencyKey: 'k', attempt: 1 });
    expect(outcome).toMatchObject({ status: 'failure', httpStatus: 302 });
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook']);
  });

  it('gives up an attempt after its timeout, as retryable', async () => {
    receiver.respond(() => ({ status: 200, hang: true }));
    const outcome = await sink(200).send(notification, { idempotencyKey: 'k', attempt: 1 });
    expect(outcome).toEqual({ status: 'retryable', reason: 'no response within 200 ms' });
  });

  it('treats a receiver that is down as retryable', async () => {
    const down = await startWebhookReceiver();
    await down.stop();
    const s = createWebhookSink({ name: 'd', url: `${down.origin}/hook`, policy, now });
    expect(await s.send(notification, { idempotencyKey: 'k', attempt: 1 })).toEqual({
      status: 'retryable',
      reason: 'network error: ECONNREFUSED',
    });
  });

  it('refuses a target outside the policy without connecting', async () => {
    const s = createWebhookSink({
      name: 'x',
      url: `${receiver.origin}/hook`,
      policy: createTargetPolicy(),
      now,
    });
    expect((await s.send(notification, { idempotencyKey: 'k', attempt: 1 })).status).toBe(
      'failure',
    );
    expect(receiver.requests).toEqual([]);
  });
});

describe('verifyWebhookSignature', () => {
  const body = JSON.stringify(notification);
  const ts = String(Math.floor(NOW / 1000));
  const sig = signWebhook(SECRET, Number(ts), body);

  it('accepts the exact body and timestamp, within the tolerance', () => {
    expect(verifyWebhookSignature(SECRET, ts, body, sig, { nowMs: NOW })).toBe(true);
    expect(verifyWebhookSignature(SECRET, ts, body, sig, { nowMs: NOW + 299_000 })).toBe(true);
  });

  it('refuses a changed body, another secret, a stale timestamp or missing headers', () => {
    expect(verifyWebhookSignature(SECRET, ts, `${body} `, sig, { nowMs: NOW })).toBe(false);
    expect(verifyWebhookSignature(`${SECRET}x`, ts, body, sig, { nowMs: NOW })).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(Number(ts) + 1), body, sig, { nowMs: NOW })).toBe(
      false,
    );
    expect(verifyWebhookSignature(SECRET, ts, body, sig, { nowMs: NOW + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, undefined, body, sig, { nowMs: NOW })).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, undefined, { nowMs: NOW })).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, 'sha256=00', { nowMs: NOW })).toBe(false);
  });
});

describe('Slack and log sinks', () => {
  it('writes readable text with value, threshold, window and a dashboard link', () => {
    expect(formatSlackText(notification)).toMatchInlineSnapshot(`
      ":rotating_light: Firing (critical): Slow chat — p95 latency 2,710 ms &gt; 2,000 ms over the last 5 min (412 calls)
      project default · model=gpt-4o
      <https://pilotlight.example/alerts/p95-slow?from=1795309200000&to=1795309500000|Open in dashboard>"
    `);
    expect(formatSlackText(buildNotification(rule, resolved))).toMatchInlineSnapshot(`
      ":white_check_mark: Resolved: Slow chat — p95 latency 850 ms back within 2,000 ms over the last 5 min (390 calls)
      project default · model=gpt-4o"
    `);
  });

  it('formats each unit and escapes Slack markup in names', () => {
    const errors = alertRuleSchema.parse({
      id: 'errs',
      name: 'Errors <prod> & co',
      projectId: 'p',
      metric: 'error_rate',
      windowSec: 3600,
      comparator: '>=',
      threshold: 0.05,
      groupBy: 'provider',
    });
    const t = {
      ...firing,
      ruleId: 'errs',
      group: 'openai',
      value: 0.0734,
      threshold: 0.05,
      windowSec: 3600,
    };
    expect(formatSlackText(buildNotification(errors, t)).split('\n').slice(0, 2)).toEqual([
      ':rotating_light: Firing (critical): Errors &lt;prod&gt; &amp; co — error rate 7.34% &gt;= 5% over the last 1 h (412 calls)',
      'project p · provider=openai',
    ]);
    const cost = alertRuleSchema.parse({
      ...errors,
      name: 'Spend',
      metric: 'cost',
      comparator: '>',
      threshold: 50,
    });
    expect(
      formatSlackText(buildNotification(cost, { ...t, value: 61.5, threshold: 50 })),
    ).toContain('cost $61.50 &gt; $50.00');
  });

  it('posts {text} to the incoming webhook', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const slack = createSlackSink({
        name: 'chat',
        url: `${receiver.origin}/services/T/B/X`,
        policy,
      });
      const outcome = await slack.send(notification, {
        idempotencyKey: notification.id,
        attempt: 1,
      });
      expect(outcome.status).toBe('success');
      expect(JSON.parse(receiver.requests[0]!.body)).toEqual({
        text: formatSlackText(notification),
      });
    } finally {
      await receiver.stop();
    }
  });

  it('logs one structured record per notification', async () => {
    const records: AlertLogRecord[] = [];
    const log = createLogSink('log', (r) => records.push(r));
    expect(await log.send(notification, { idempotencyKey: notification.id, attempt: 1 })).toEqual({
      status: 'success',
    });
    expect(records).toEqual([
      {
        msg: formatSlackText(notification),
        event: 'alert.firing',
        notificationId: notification.id,
        ruleId: 'p95-slow',
        group: '',
        value: 2710.4,
        threshold: 2000,
      },
    ]);
    const broken = createLogSink('log', () => {
      throw new Error('disk full');
    });
    expect((await broken.send(notification, { idempotencyKey: 'k', attempt: 1 })).status).toBe(
      'failure',
    );
  });
});
