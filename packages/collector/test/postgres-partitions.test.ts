import { afterEach, describe, expect, it } from 'vitest';
import { NANOS_PER_DAY, partitionName } from '../src/store/postgres/index.js';
import { adminQuery, openTestStore } from './postgres-fixture.js';
import { makeRecord } from './store-contract.js';

const DAY_MS = 86_400_000;
// A fixed "today" for these tests: 2026-06-15 (UTC), day number 20619.
const TODAY = Date.UTC(2026, 5, 15);
const todayDay = TODAY / DAY_MS;
const at = (dayOffset: number, nanosIntoDay = 3_600_000_000_123n): bigint =>
  BigInt(todayDay + dayOffset) * NANOS_PER_DAY + nanosIntoDay;

describe('PostgreSQL calls partitions', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });
  const open = async (now: () => number, schema?: string) => {
    const t = await openTestStore({
      now,
      partitionPastDays: 7,
      partitionFutureDays: 1,
      ...(schema ? { schema } : {}),
    });
    cleanups.push(t.destroy);
    return t;
  };
  /** Which partition holds each span, by span id. */
  const placement = async (schema: string): Promise<Map<string, string>> => {
    const { rows } = await adminQuery<{ span: string; part: string }>(
      `SELECT encode(span_id, 'hex') AS span, tableoid::regclass::text AS part FROM "${schema}".calls`,
    );
    return new Map(rows.map((r) => [r.span, r.part.replace(`${schema}.`, '')]));
  };

  it('puts spans into one partition per UTC day and the rest into the default partition', async () => {
    const { store, schema } = await open(() => TODAY);
    const today = makeRecord({ startNs: at(0) });
    const lastNight = makeRecord({ startNs: at(0, 0n) - 1n });
    const weekAgo = makeRecord({ startNs: at(-7) });
    const tooOld = makeRecord({ startNs: at(-8) });
    const tomorrow = makeRecord({ startNs: at(1) });
    const tooFar = makeRecord({ startNs: at(2) });
    await store.insertCalls('p1', [today, lastNight, weekAgo, tooOld, tomorrow, tooFar]);
    const where = await placement(schema);
    expect(partitionName(todayDay)).toBe('calls_p20260615');
    expect(where.get(today.spanId)).toBe('calls_p20260615');
    expect(where.get(lastNight.spanId)).toBe('calls_p20260614');
    expect(where.get(weekAgo.spanId)).toBe('calls_p20260608');
    expect(where.get(tomorrow.spanId)).toBe('calls_p20260616');
    expect(where.get(tooOld.spanId)).toBe('calls_default');
    expect(where.get(tooFar.spanId)).toBe('calls_default');
  });

  it('moves spans out of the default partition when their day partition is created later', async () => {
    let now = TODAY;
    const { store, schema } = await open(() => now);
    const early = makeRecord({ startNs: at(3) });
    await store.insertCalls('p1', [early]);
    expect((await placement(schema)).get(early.spanId)).toBe('calls_default');

    now = TODAY + 3 * DAY_MS;
    const sameDay = makeRecord({ startNs: at(3, 5n) });
    expect(await store.insertCalls('p1', [sameDay, early])).toMatchObject({
      inserted: 1,
      duplicates: 1,
    });
    const where = await placement(schema);
    expect(where.get(early.spanId)).toBe('calls_p20260618');
    expect(where.get(sameDay.spanId)).toBe('calls_p20260618');
    expect(await store.getTrace('p1', early.traceId)).toEqual([early]);
  });

  it('lets two replicas create the same partitions concurrently', async () => {
    const a = await open(() => TODAY);
    const b = await open(() => TODAY, a.schema);
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => makeRecord({ startNs: at(-(i % 7)) }));
    const [x, y] = [batch(30), batch(30)];
    const results = await Promise.all([
      a.store.insertCalls('p1', x),
      b.store.insertCalls('p1', y),
      a.store.insertCalls('p1', y),
    ]);
    expect(results.reduce((s, r) => s + r.inserted, 0)).toBe(60);
    const { rows } = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = '"${a.schema}".calls'::regclass`,
    );
    expect(Number(rows[0]!.n)).toBe(8); // seven days + default
  });

  it('drops whole day partitions for retention and deletes old rows of the default partition', async () => {
    const { store, schema } = await open(() => TODAY);
    const spans = [-9, -6, -5, -1, 0].map((d) => makeRecord({ startNs: at(d), name: `day ${d}` }));
    await store.insertCalls('p1', spans);
    const result = await store.dropCallsBefore(at(-4, 0n));
    expect(result).toEqual({
      droppedPartitions: ['calls_p20260609', 'calls_p20260610'],
      deletedRows: 1,
    });
    const left = await store.listCalls('p1', { limit: 10 });
    expect(left.data.map((r) => r.name)).toEqual(['day 0', 'day -1']);
    const { rows } = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".calls`);
    expect(rows[0]!.n).toBe('2');
    // Inserting into a dropped day again recreates its partition.
    expect(await store.insertCalls('p1', [makeRecord({ startNs: at(-5) })])).toMatchObject({
      inserted: 1,
      duplicates: 0,
    });
  });
});
