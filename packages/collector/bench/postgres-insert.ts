/**
 * Which batch insert is fastest into the partitioned `calls` table on this machine:
 *
 * - `values`: multi-row `INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING` (one
 *   statement text per batch size, 32 parameters per row);
 * - `unnest`: one prepared `INSERT … SELECT FROM unnest($3::text[], …) ON CONFLICT
 *   DO NOTHING`, one array parameter per column;
 * - `copy`: `COPY` into a temporary staging table, then `INSERT … SELECT … ON
 *   CONFLICT DO NOTHING` from it, in one transaction;
 * - `store`: `insertCalls` itself: the `unnest` insert plus the rollups and model
 *   sightings of the new calls, in one transaction (the cost of the whole write path).
 *
 * Every method writes the same kind of fresh records; each batch counts only after
 * its commit (synchronous_commit on). Methods run interleaved, round by round, and
 * the median is reported, since the machine is shared.
 *
 * Run: `npx tsx bench/postgres-insert.ts` (env `PILOTLIGHT_BENCH_DATABASE_URL`,
 * default the local test database; `BENCH_SPANS`, `BENCH_ROUNDS`).
 */
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { CallRecord } from '@pilotlight/conventions';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openPostgresStore, type PostgresSpanStore } from '../src/store/postgres/index.js';
import { INSERT_CALLS_SQL, toColumnArrays } from '../src/store/postgres/postgres-store.js';

const DATABASE_URL =
  process.env.PILOTLIGHT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL_SPANS = Number(process.env.BENCH_SPANS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH_SIZES = [50, 500];
const CONCURRENCY = [1, 4];

// Column order of the store's INSERT: the two per-batch scalars, then the array columns.
const COLUMNS = [
  'project_id',
  'received_at_ms',
  ...(
    /INSERT INTO calls \(project_id, received_at_ms, ([^)]*)\)/.exec(INSERT_CALLS_SQL)?.[1] ?? ''
  ).split(', '),
];
const ID_COLUMNS = new Set([2, 3, 4]);

function record(i: number): CallRecord {
  const startNs = BigInt(Date.now()) * 1_000_000n + BigInt(i);
  const prompt = `Summarise ticket #${i}: ${'the customer reports that the export is slow. '.repeat(8)}`;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: randomBytes(8).toString('hex'),
    projectId: 'bench',
    name: 'chat gpt-4o-mini',
    operation: 'chat',
    provider: 'openai',
    model: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: `chatcmpl-${i}`,
    finishReasons: ['stop'],
    serviceName: 'bench',
    startTime: new Date(Number(startNs / 1_000_000n)).toISOString(),
    endTime: new Date(Number(startNs / 1_000_000n) + 812).toISOString(),
    startTimeUnixNano: startNs.toString(),
    durationMs: 812.5,
    ttftMs: 120,
    inputTokens: 420,
    outputTokens: 64,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    tokensEstimated: false,
    costUsd: 0.0001014,
    costSource: 'collector',
    confidence: null,
    status: 'ok',
    errorType: null,
    input: [{ role: 'user', parts: [{ type: 'text', content: prompt }] }],
    output: [
      { role: 'assistant', parts: [{ type: 'text', content: 'The export is slow because…' }] },
    ],
    sourceDialect: 'genai-semconv',
    warnings: [],
    attributes: {
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 420,
      'resource.service.name': 'bench',
    },
  };
}

/** Rows as positional values in {@link COLUMNS} order (ids as hex text). */
function rows(batch: readonly CallRecord[]): unknown[][] {
  const cols = toColumnArrays(batch);
  const now = Date.now();
  return batch.map((_, i) => ['bench', now, ...cols.map((c) => c[i])]);
}

type Method = (
  pool: pg.Pool,
  store: PostgresSpanStore,
  batch: readonly CallRecord[],
) => Promise<number>;

const valuesSql = new Map<number, string>();
const values: Method = async (pool, _store, batch) => {
  let sql = valuesSql.get(batch.length);
  if (sql === undefined) {
    const tuples = batch.map((_, r) => {
      const ps = COLUMNS.map((_, c) => {
        const p = `$${r * COLUMNS.length + c + 1}`;
        return ID_COLUMNS.has(c) ? `decode(${p}, 'hex')` : p;
      });
      return `(${ps.join(', ')})`;
    });
    sql = `INSERT INTO calls (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`;
    valuesSql.set(batch.length, sql);
  }
  const res = await pool.query({
    name: `bench_values_${batch.length}`,
    text: sql,
    values: rows(batch).flat(),
  });
  return res.rowCount ?? 0;
};

// The store's own statement, without the rollups insertCalls also writes (the other methods write none).
const unnest: Method = async (pool, _store, batch) => {
  const res = await pool.query({
    name: 'bench_unnest',
    text: INSERT_CALLS_SQL,
    values: ['bench', Date.now(), ...toColumnArrays(batch)],
  });
  return res.rowCount ?? 0;
};

/** The whole ingest write: unnest insert plus rollups and model sightings, in one transaction. */
const store_: Method = async (_pool, store, batch) =>
  (await store.insertCalls('bench', batch)).inserted;

/** COPY text format: tab-separated, `\N` for NULL, backslash escapes; bytea as `\\x` hex. */
function copyField(v: unknown, c: number): string {
  if (v === null || v === undefined) return '\\N';
  if (ID_COLUMNS.has(c)) return `\\\\x${v as string}`;
  return String(v).replace(/[\\\t\n\r]/g, (ch) =>
    ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r',
  );
}
const copy: Method = async (pool, _store, batch) => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      'CREATE TEMP TABLE IF NOT EXISTS calls_stage (LIKE calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
    );
    const text = `${rows(batch)
      .map((row) => row.map(copyField).join('\t'))
      .join('\n')}\n`;
    await pipeline(
      (async function* () {
        yield Buffer.from(text);
      })(),
      client.query(copyFrom(`COPY calls_stage (${COLUMNS.join(', ')}) FROM STDIN`)),
    );
    const res = await client.query(
      `INSERT INTO calls (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM calls_stage ON CONFLICT DO NOTHING`,
    );
    await client.query('COMMIT');
    return res.rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
};

async function measure(
  method: Method,
  store: PostgresSpanStore,
  batchSize: number,
  concurrency: number,
): Promise<number> {
  const batches: CallRecord[][] = [];
  for (let i = 0; i < TOTAL_SPANS; i += batchSize) {
    batches.push(
      Array.from({ length: Math.min(batchSize, TOTAL_SPANS - i) }, (_, j) => record(i + j)),
    );
  }
  let next = 0;
  let inserted = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] as CallRecord[];
        // Not `inserted += await …`: that reads `inserted` before awaiting and loses concurrent updates.
        const n = await method(store.pool, store, batch);
        inserted += n;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (inserted !== TOTAL_SPANS) throw new Error(`inserted ${inserted} of ${TOTAL_SPANS}`);
  return TOTAL_SPANS / seconds;
}

async function main(): Promise<void> {
  const schema = `pl_bench_${randomBytes(4).toString('hex')}`;
  const store = await openPostgresStore({
    connectionString: DATABASE_URL,
    schema,
    poolSize: Math.max(...CONCURRENCY),
  });
  const methods: [string, Method][] = [
    ['values', values],
    ['unnest', unnest],
    ['copy', copy],
    ['store', store_],
  ];
  try {
    await store.insertCalls('bench', [record(-1)]); // today's partition
    console.log(
      `# ${TOTAL_SPANS} spans per run, median of ${ROUNDS} interleaved runs, synchronous_commit=on, ${new URL(DATABASE_URL).host}`,
    );
    console.log('method  batch  conns  median spans/s  (runs)');
    for (const batchSize of BATCH_SIZES) {
      for (const concurrency of CONCURRENCY) {
        const runs = new Map<string, number[]>(methods.map(([name]) => [name, []]));
        for (let round = 0; round < ROUNDS; round++) {
          for (const [name, method] of methods) {
            await store.pool.query('TRUNCATE calls, rollups, models');
            runs.get(name)?.push(await measure(method, store, batchSize, concurrency));
          }
        }
        for (const [name, xs] of runs) {
          const sorted = [...xs].sort((a, b) => a - b);
          const median = Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
          const all = xs.map((x) => Math.round(x)).join(', ');
          console.log(
            `${name.padEnd(7)} ${String(batchSize).padStart(5)}  ${String(concurrency).padStart(5)}  ${String(median).padStart(14)}  (${all})`,
          );
        }
      }
    }
  } finally {
    await store.pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await store.close();
  }
}

await main();
