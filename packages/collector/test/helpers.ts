import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallRecord } from '@pilotlight/conventions';
import { type CollectorHandle, type StartCollectorOptions, startCollector } from '../src/index.js';

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'pilotlight-collector-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real collector on an ephemeral port with a temp SQLite file. */
export async function startTestCollector(
  options: Partial<StartCollectorOptions> = {},
): Promise<CollectorHandle & { stop: () => Promise<void> }> {
  const tmp = tempDir();
  const collector = await startCollector({
    dbPath: path.join(tmp.dir, 'pilotlight.db'),
    port: 0,
    ...options,
  });
  return {
    ...collector,
    stop: async () => {
      await collector.close();
      tmp.remove();
    },
  };
}

export interface SpansPage {
  data: CallRecord[];
  nextCursor: string | null;
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** Every span the query API lists for the given filters, following cursors. */
export async function listAll(
  baseUrl: string,
  params: Record<string, string> = {},
): Promise<CallRecord[]> {
  const out: CallRecord[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ ...params, limit: params.limit ?? '1000' });
    if (cursor !== null) query.set('cursor', cursor);
    const { status, body } = await getJson<SpansPage>(`${baseUrl}/api/spans?${query}`);
    if (status !== 200)
      throw new Error(`GET /api/spans answered ${status}: ${JSON.stringify(body)}`);
    out.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return out;
}

let counter = 0;
/** A random-looking but unique lowercase hex id of `bytes` bytes. */
export function hexId(bytes: 16 | 8): string {
  counter += 1;
  const head = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return (head + counter.toString(16).padStart(bytes * 2 - 8, '0')).slice(0, bytes * 2);
}

type OtlpAttr = { key: string; value: Record<string, unknown> };

/** OTLP JSON attribute list from plain values (strings, integers, doubles, booleans). */
export function attrs(values: Record<string, string | number | boolean>): OtlpAttr[] {
  return Object.entries(values).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

export interface JsonSpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  startMs?: number;
  durationMs?: number;
  attributes?: Record<string, string | number | boolean>;
  /** Raw OTLP JSON fields merged over the generated span (for malformed spans). */
  raw?: Record<string, unknown>;
}

/** An OTLP JSON ExportTraceServiceRequest with one resource and one scope. */
export function otlpJson(
  spans: JsonSpanSpec[],
  serviceName = 'test-service',
): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: attrs({ 'service.name': serviceName }) },
        scopeSpans: [
          {
            scope: { name: 'pilotlight-test' },
            spans: spans.map((s) => {
              const startMs = s.startMs ?? Date.now();
              const start = BigInt(startMs) * 1_000_000n;
              const end = start + BigInt(Math.round((s.durationMs ?? 10) * 1e6));
              return {
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
                name: s.name ?? 'span',
                kind: 3,
                startTimeUnixNano: start.toString(),
                endTimeUnixNano: end.toString(),
                attributes: attrs(s.attributes ?? {}),
                status: {},
                ...s.raw,
              };
            }),
          },
        ],
      },
    ],
  };
}

export async function postJson(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
