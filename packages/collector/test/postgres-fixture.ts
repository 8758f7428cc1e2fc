/** Test helpers for the PostgreSQL store: a fresh schema per store, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import {
  ROLLUP_BUCKETS_SEC,
  RollupBatch,
  type StoredRollupRow,
  toStoredRollupRow,
} from '../src/rollups/rollup.js';
import { QuantileSketch } from '../src/rollups/sketch.js';
import {
  openPostgresStore,
  type PostgresSpanStore,
  type PostgresStoreOptions,
} from '../src/store/postgres/index.js';
import type { SpanCursor } from '../src/store/store.js';

/** The local test database (trust auth); CI runs the same. */
export const TEST_DATABASE_URL =
  process.env.PILOTLIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses. */
export function uniqueSchema(): string {
  return `pl_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection of its own (outside any store's pool). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
  connectionString = TEST_DATABASE_URL,
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await client.query<R>(sql, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A store in a schema of its own, and a `destroy` that closes it and drops the schema. */
export async function openTestStore(
  options: Partial<PostgresStoreOptions> = {},
): Promise<{ store: PostgresSpanStore; schema: string; destroy: () => Promise<void> }> {
  const schema = options.schema ?? uniqueSchema();
  const store = await openPostgresStore({
    connectionString: TEST_DATABASE_URL,
    poolSize: 4,
    ...options,
    schema,
  });
  return {
    store,
    schema,
    destroy: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

const target = new URL(TEST_DATABASE_URL);

/** A TCP proxy in front of the test database that the test can cut and restore, on a fixed port. */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** Swallow traffic without closing anything, as a vanished host or a network partition would. */
  blackHoled = false;

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      // While black-holed, bytes are swallowed in both directions and no socket closes.
      client.on('data', (d: Buffer) => {
        if (!this.blackHoled) upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (!this.blackHoled) client.write(d);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Refuses new connections and cuts every open one, as a crashed or stopped database would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(): string {
    const u = new URL(TEST_DATABASE_URL);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }
}

/** One rollup row reduced to what must match exactly (floating sums to 9 significant digits). */
export interface ComparableRollup {
  key: string;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: string;
  confidenceSum: string;
  confidenceCount: number;
  latencyCount: number;
  latencyMin: number;
  latencyMax: number;
  latencyP50: number;
  ttftCount: number;
}

/** Stored rollup rows in a comparable, sorted form. */
export function comparableRollups(rows: readonly StoredRollupRow[]): ComparableRollup[] {
  return rows
    .map((r) => {
      const latency = QuantileSketch.fromBytes(r.latencySketch);
      const ttft = QuantileSketch.fromBytes(r.ttftSketch);
      return {
        key: [
          r.projectId,
          r.bucketSec,
          r.bucketStartMs,
          r.service,
          r.provider,
          r.model,
          r.operation,
        ].join('|'),
        calls: r.calls,
        errors: r.errors,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cachedInputTokens: r.cachedInputTokens,
        costUsd: r.costUsd.toPrecision(9),
        confidenceSum: r.confidenceSum.toPrecision(9),
        confidenceCount: r.confidenceCount,
        latencyCount: latency.count,
        latencyMin: latency.min,
        latencyMax: latency.max,
        latencyP50: latency.quantile(0.5),
        ttftCount: ttft.count,
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every stored call of a project, rolled up from scratch: the exact recount to compare rollups with. */
export async function recountRollups(
  store: PostgresSpanStore,
  projectId: string,
): Promise<ComparableRollup[]> {
  const batch = new RollupBatch();
  let after: SpanCursor | undefined;
  for (;;) {
    const page = await store.listCalls(projectId, {
      limit: 500,
      ...(after === undefined ? {} : { after }),
    });
    for (const r of page.data) batch.add(r);
    if (page.next === null) break;
    after = page.next;
  }
  return comparableRollups([...batch.rows()].map(toStoredRollupRow));
}

/** The rollups a store holds for a project, every tier, all time. */
export async function storedRollups(
  store: PostgresSpanStore,
  projectId: string,
): Promise<ComparableRollup[]> {
  const ranges = ROLLUP_BUCKETS_SEC.map((bucketSec) => ({
    bucketSec,
    fromMs: 0,
    toMs: Number.MAX_SAFE_INTEGER,
  }));
  return comparableRollups(await store.readRollups(projectId, ranges));
}
