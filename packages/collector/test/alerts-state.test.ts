import { describe, expect, it } from 'vitest';
import { type AlertRuleInput, alertRuleSchema } from '../src/alerts/rule.js';
import {
  type AlertState,
  breaches,
  type Evaluation,
  initialAlertState,
  nextAlertState,
  type StepResult,
  type Transition,
} from '../src/alerts/state.js';

const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const MIN = 60_000;

function rule(overrides: Partial<AlertRuleInput> = {}) {
  return alertRuleSchema.parse({
    id: 'r1',
    projectId: 'p',
    metric: 'latency_p95',
    windowSec: 300,
    comparator: '>',
    threshold: 1000,
    ...overrides,
  });
}

function ev(value: number | null, calls = 100, atMs = T0): Evaluation {
  return {
    ruleId: 'r1',
    group: '',
    value,
    calls,
    windowStartMs: atMs - 300_000,
    windowEndMs: atMs,
  };
}

/** Runs a sequence of (value, calls) evaluations one minute apart; returns every step. */
function run(
  r: ReturnType<typeof rule>,
  values: readonly (number | null | [number | null, number])[],
  start: AlertState = initialAlertState('r1', '', T0),
): { steps: StepResult[]; transitions: Transition[]; final: AlertState } {
  let state = start;
  const steps: StepResult[] = [];
  values.forEach((v, i) => {
    const at = T0 + (i + 1) * MIN;
    const [value, calls] = Array.isArray(v) ? v : [v, 100];
    const step = nextAlertState(r, state, ev(value, calls, at), at);
    steps.push(step);
    state = step.state;
  });
  return {
    steps,
    transitions: steps.flatMap((s) => (s.transition ? [s.transition] : [])),
    final: state,
  };
}

const path = (ts: Transition[]) => ts.map((t) => `${t.from}>${t.to}`);
const notified = (ts: Transition[]) => ts.filter((t) => t.notify).map((t) => `${t.from}>${t.to}`);

describe('nextAlertState', () => {
  it('stays ok without a transition while the value does not breach, recording the value', () => {
    const { transitions, final } = run(rule(), [10, 500, 1000]);
    expect(transitions).toEqual([]);
    expect(final).toMatchObject({ status: 'ok', value: 1000, evaluatedAtMs: T0 + 3 * MIN });
  });

  it('fires on the first breach when forSec is 0, carrying value, threshold and window', () => {
    const r = rule();
    const { transition, state } = nextAlertState(
      r,
      initialAlertState('r1', '', T0),
      ev(1500, 42, T0 + MIN),
      T0 + MIN,
    );
    expect(transition).toEqual({
      ruleId: 'r1',
      group: '',
      from: 'ok',
      to: 'firing',
      severity: 'critical',
      previousSeverity: null,
      reason: 'breach',
      value: 1500,
      threshold: 1000,
      comparator: '>',
      calls: 42,
      windowSec: 300,
      windowStartMs: T0 + MIN - 300_000,
      windowEndMs: T0 + MIN,
      atMs: T0 + MIN,
      notify: true,
    });
    expect(state).toMatchObject({ status: 'firing', severity: 'critical', sinceMs: T0 + MIN });
  });

  it('notifies once per transition, not once per evaluation', () => {
    const values = [1500, 1600, 1700, 1800, 2000, 1900, 100, 100, 100];
    const { transitions, steps } = run(rule(), values);
    expect(steps).toHaveLength(values.length);
    expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved', 'resolved>ok']);
    expect(notified(transitions)).toEqual(['ok>firing', 'firing>resolved']);
    const resolved = transitions[1]!;
    expect(resolved).toMatchObject({ reason: 'recovered', value: 100, threshold: 1000 });
  });

  it('goes ok → pending → firing once the breach has lasted forSec', () => {
    const r = rule({ forSec: 180 });
    const { transitions } = run(r, [1500, 1500, 1500, 1500, 1500]);
    // breach starts at T0+1m; at T0+4m it has lasted 180 s.
    expect(path(transitions)).toEqual(['ok>pending', 'pending>firing']);
    expect(transitions[0]).toMatchObject({ notify: false, atMs: T0 + MIN, reason: 'breach' });
    expect(transitions[1]).toMatchObject({ notify: true, atMs: T0 + 4 * MIN, reason: 'sustained' });
  });

  it('clears a pending breach that recovers before forSec, without notifying', () => {
    const { transitions, final } = run(rule({ forSec: 600 }), [1500, 1500, 900]);
    expect(path(transitions)).toEqual(['ok>pending', 'pending>ok']);
    expect(notified(transitions)).toEqual([]);
    expect(final).toMatchObject({ status: 'ok', severity: null });
  });

  it('notifies pending and cleared transitions when notifyPending is set', () => {
    const { transitions } = run(rule({ forSec: 600, notifyPending: true }), [1500, 900]);
    expect(notified(transitions)).toEqual(['ok>pending', 'pending>ok']);
  });

  describe.each([
    // comparator, threshold, breaching, not breaching, boundary (value === threshold) breaches?
    ['>', 100, 101, 99, false],
    ['>=', 100, 101, 99, true],
    ['<', 0.5, 0.4, 0.6, false],
    ['<=', 0.5, 0.4, 0.6, true],
  ] as const)('comparator %s %d', (comparator, threshold, bad, good, boundary) => {
    it('fires on a breaching value and resolves on a good one', () => {
      const r = rule({ comparator, threshold });
      const { transitions } = run(r, [good, bad, bad, good]);
      expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved']);
      expect(transitions[0]).toMatchObject({ value: bad, threshold, comparator });
    });

    it(`${boundary ? 'fires' : 'does not fire'} on a value equal to the threshold`, () => {
      expect(breaches(threshold, comparator, threshold)).toBe(boundary);
      const { transitions } = run(rule({ comparator, threshold }), [threshold]);
      expect(path(transitions)).toEqual(boundary ? ['ok>firing'] : []);
    });
  });

  describe('warning threshold', () => {
    const r = rule({ threshold: 2000, warningThreshold: 1000 });

    it('fires at warning severity against the warning threshold, escalates and de-escalates', () => {
      const { transitions } = run(r, [500, 1200, 1300, 2500, 2600, 1500, 400]);
      expect(transitions.map((t) => [t.from, t.to, t.severity, t.reason, t.threshold])).toEqual([
        ['ok', 'firing', 'warning', 'breach', 1000],
        ['firing', 'firing', 'critical', 'escalated', 2000],
        ['firing', 'firing', 'warning', 'deescalated', 1000],
        ['firing', 'resolved', 'warning', 'recovered', 1000],
      ]);
      expect(transitions.every((t) => t.notify)).toBe(true);
      expect(transitions[1]!.previousSeverity).toBe('warning');
    });

    it('works for lower-is-worse comparators (confidence below 0.5 warns, below 0.3 pages)', () => {
      const low = rule({
        metric: 'mean_confidence',
        comparator: '<',
        threshold: 0.3,
        warningThreshold: 0.5,
      });
      const { transitions } = run(low, [0.8, 0.45, 0.2, 0.9]);
      expect(transitions.map((t) => [t.to, t.severity, t.threshold])).toEqual([
        ['firing', 'warning', 0.5],
        ['firing', 'critical', 0.3],
        ['resolved', 'critical', 0.3],
      ]);
    });

    it('a pending alert takes the current level when it fires', () => {
      const pending = rule({ threshold: 2000, warningThreshold: 1000, forSec: 120 });
      const { transitions } = run(pending, [1200, 2500, 2500]);
      expect(transitions.map((t) => [t.to, t.severity])).toEqual([
        ['pending', 'warning'],
        ['firing', 'critical'],
      ]);
    });
  });

  describe('no data', () => {
    it('ok (default): a firing alert resolves because of no data, threshold null', () => {
      const { transitions } = run(rule(), [1500, null, null]);
      expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved', 'resolved>ok']);
      expect(transitions[1]).toMatchObject({ reason: 'no_data', value: null, threshold: null });
    });

    it('alerting: no data fires at critical severity', () => {
      const { transitions } = run(rule({ noData: 'alerting' }), [500, null, null, 500]);
      expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved']);
      expect(transitions[0]).toMatchObject({ severity: 'critical', value: null, notify: true });
    });

    it('keep: no data leaves every state as it is, for as long as it lasts', () => {
      const r = rule({ noData: 'keep', forSec: 120 });
      expect(run(r, [null, null]).transitions).toEqual([]);
      const firing = run(r, [1500, 1500, 1500, null, null, null, null]);
      expect(path(firing.transitions)).toEqual(['ok>pending', 'pending>firing']);
      expect(firing.final.status).toBe('firing');
      const pending = run(r, [1500, null, null, null]);
      expect(pending.final.status).toBe('pending');
      expect(path(pending.transitions)).toEqual(['ok>pending']);
    });
  });

  describe('minimum call count', () => {
    const r = rule({ minCalls: 20 });

    it('does not fire below minCalls, fires at exactly minCalls', () => {
      expect(
        run(r, [
          [5000, 19],
          [5000, 3],
        ]).transitions,
      ).toEqual([]);
      expect(path(run(r, [[5000, 20]]).transitions)).toEqual(['ok>firing']);
    });

    it('holds a firing alert when traffic drops below minCalls, resolves on real recovery', () => {
      const { transitions } = run(r, [
        [5000, 50],
        [100, 2],
        [100, 2],
        [100, 40],
      ]);
      expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved']);
      expect(transitions[1]!.atMs).toBe(T0 + 4 * MIN);
    });

    it('clears a pending breach when the calls drop below minCalls', () => {
      const { transitions } = run(rule({ minCalls: 20, forSec: 300 }), [
        [5000, 50],
        [5000, 5],
      ]);
      expect(path(transitions)).toEqual(['ok>pending', 'pending>ok']);
      expect(transitions[1]).toMatchObject({ reason: 'insufficient_calls', threshold: null });
    });
  });

  describe('cooldown', () => {
    it('a resolved alert waits in pending until the cooldown has passed', () => {
      const r = rule({ cooldownSec: 600 });
      // fire at +1m, resolve at +2m, breach again from +3m on.
      const values = [1500, 100, ...new Array<number>(12).fill(1500)];
      const { transitions } = run(r, values);
      expect(transitions.map((t) => [t.from, t.to, (t.atMs - T0) / MIN, t.notify])).toEqual([
        ['ok', 'firing', 1, true],
        ['firing', 'resolved', 2, true],
        ['resolved', 'pending', 3, false],
        ['pending', 'firing', 12, true], // 10 minutes after resolving at +2m
      ]);
    });

    it('bounds notifications of a flapping value: at most two per cooldown period', () => {
      const r = rule({ cooldownSec: 900 });
      const flapping = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1500 : 100));
      const sent = notified(run(r, flapping).transitions);
      // 60 minutes, cooldown 15 minutes: 4 fire/resolve pairs instead of 30.
      expect(sent.length).toBeLessThanOrEqual(2 * (60 / 15));
      expect(sent.length).toBeGreaterThan(0);
      const noCooldown = notified(run(rule(), flapping).transitions);
      expect(noCooldown).toHaveLength(60);
    });

    it('never delays resolving', () => {
      const { transitions } = run(rule({ cooldownSec: 3600 }), [1500, 100]);
      expect(path(transitions)).toEqual(['ok>firing', 'firing>resolved']);
    });
  });

  it('is pure: the previous state is not modified and equal inputs give equal outputs', () => {
    const r = rule({ forSec: 60 });
    const prev = initialAlertState('r1', 'gpt-4o', T0);
    const frozen = structuredClone(prev);
    const a = nextAlertState(r, prev, ev(1500), T0 + MIN);
    const b = nextAlertState(r, prev, ev(1500), T0 + MIN);
    expect(prev).toEqual(frozen);
    expect(a).toEqual(b);
    expect(a.transition?.group).toBe('gpt-4o');
  });
});
