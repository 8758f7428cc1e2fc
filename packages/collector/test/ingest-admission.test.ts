import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { createIngestAdmission } from '../src/routes/ingest-admission.js';

/** Admission on a hand-driven clock; `commit` submits spans at `from` and settles them at `to`. */
function harness(maxWaitMs = 250) {
  let t = 0;
  const admission = createIngestAdmission({
    maxPendingSpans: Infinity,
    maxPendingBytes: Infinity,
    maxWaitMs,
    now: () => t,
  });
  return {
    admission,
    at: (ms: number) => {
      t = ms;
    },
    async commit(spans: number, from: number, to: number) {
      t = from;
      admission.submitted(spans);
      t = to;
      admission.settled(spans, true);
      await turn();
    },
  };
}

describe('createIngestAdmission', () => {
  it('admits everything before it has measured a rate', () => {
    const { admission, at } = harness();
    at(0);
    admission.submitted(1_000_000);
    expect(admission.check(0)).toBeNull();
  });

  it('refuses when the queued spans would take longer than maxWaitMs at the measured rate', async () => {
    const h = harness(250);
    // 2,000 spans committed in 200 ms of busy time: 10,000 spans/s.
    await h.commit(1_000, 0, 100);
    await h.commit(1_000, 100, 200);
    expect(h.admission.commitRate).toBe(10_000);

    h.at(200);
    h.admission.submitted(2_500); // 250 ms of work queued: still admitted
    expect(h.admission.check(0)).toBeNull();
    h.admission.submitted(100); // 260 ms
    expect(h.admission.check(0)).toEqual({
      retryAfterSec: 1,
      message: expect.stringContaining('2600 spans waiting to be stored'),
    });
    expect(h.admission.check(0)?.message).toContain('expected wait 260 ms, at most 250 ms');

    // Retry-After is the backlog's drain time, in whole seconds, at most 30.
    h.admission.submitted(30_000 - 2_600); // 3 s
    expect(h.admission.check(0)?.retryAfterSec).toBe(3);
    h.admission.submitted(1_000_000);
    expect(h.admission.check(0)?.retryAfterSec).toBe(30);
  });

  it('lets only a saturated queue lower the rate: light traffic says nothing of the capacity', async () => {
    const h = harness(250);
    await h.commit(1, 0, 500); // one span alone, slow (the writer thread starting)
    expect(h.admission.commitRate).toBeNull();
    await h.commit(1_000, 500, 600);
    await h.commit(1_000, 600, 700);
    expect(h.admission.commitRate).toBe(10_000);
    await h.commit(10, 1_000, 1_300); // a trickle: 33 spans/s
    expect(h.admission.commitRate).toBe(10_000);
    await h.commit(100, 2_000, 2_200); // 500 spans/s
    expect(h.admission.commitRate).toBe(10_000);
    // A short queue, yet faster than measured (20,000 spans/s): the rate rises toward it.
    for (let i = 0; i < 10; i++) await h.commit(400, 3_000 + i * 100, 3_020 + i * 100);
    expect(h.admission.commitRate).toBe(13_000);
  });

  it('counts the spans in bodies waiting to be parsed, from the bytes per span seen', async () => {
    const h = harness(250);
    await h.commit(1_000, 0, 100);
    await h.commit(1_000, 100, 200);
    h.at(200);
    h.admission.holdBytes(50_000);
    h.admission.parsed(50_000, 100); // 500 bytes a span
    h.admission.submitted(2_000); // 200 ms
    h.admission.holdBytes(250_000); // 500 spans more: 250 ms
    expect(h.admission.check(0)).toBeNull();
    h.admission.holdBytes(10_000); // 20 spans more
    expect(h.admission.check(0)?.message).toContain('expected wait 252 ms');
    // The request's own size does not count: a big batch gets in when the queue is short.
    h.admission.parsed(260_000, 520);
    expect(h.admission.check(100_000_000)).toBeNull();
  });

  it('refuses while nothing has committed for longer than maxWaitMs, whatever the rate', async () => {
    const h = harness(250);
    await h.commit(1_000, 0, 100);
    await h.commit(1_000, 100, 200);
    h.at(1_000);
    h.admission.submitted(100); // 10 ms of work at 10,000 spans/s
    h.at(1_250);
    expect(h.admission.check(0)).toBeNull();
    h.at(1_251);
    expect(h.admission.check(0)?.message).toContain('expected wait 251 ms');
    expect(h.admission.check(0)?.retryAfterSec).toBe(1);
    h.admission.settled(100, true);
    expect(h.admission.check(0)).toBeNull();
  });

  it('keeps the span and byte counts as hard caps', () => {
    let t = 0;
    const admission = createIngestAdmission({
      maxPendingSpans: 1_000,
      maxPendingBytes: 1_000,
      maxWaitMs: Infinity,
      now: () => t,
    });
    admission.holdBytes(600);
    expect(admission.check(400)).toBeNull();
    expect(admission.check(401)?.message).toContain('at most 1000 bytes');
    admission.parsed(600, 10);
    expect(admission.check(5_000)).toBeNull(); // one body alone is always admitted
    admission.submitted(1_000);
    t = 1e9;
    expect(admission.check(0)?.message).toContain('at most 1000 spans');
  });
});

describe('admission settings from the environment', () => {
  it('reads PILOTLIGHT_INGEST_MAX_WAIT_MS, _MAX_PENDING_SPANS and _MAX_PENDING_BYTES', () => {
    expect(
      parseConfig({
        PILOTLIGHT_INGEST_MAX_WAIT_MS: '500',
        PILOTLIGHT_INGEST_MAX_PENDING_SPANS: '20000',
        PILOTLIGHT_INGEST_MAX_PENDING_BYTES: '1048576',
      }),
    ).toMatchObject({
      ingestMaxWaitMs: 500,
      ingestMaxPendingSpans: 20_000,
      ingestMaxPendingBytes: 1_048_576,
    });
    const unset = parseConfig({});
    expect('ingestMaxWaitMs' in unset).toBe(false);
    expect('ingestMaxPendingSpans' in unset).toBe(false);
  });

  it.each([
    ['PILOTLIGHT_INGEST_MAX_WAIT_MS', '0'],
    ['PILOTLIGHT_INGEST_MAX_WAIT_MS', '1.5'],
    ['PILOTLIGHT_INGEST_MAX_PENDING_SPANS', '10'],
    ['PILOTLIGHT_INGEST_MAX_PENDING_BYTES', 'lots'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(name);
  });
});
