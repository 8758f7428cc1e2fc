// Typed reads of the collector's HTTP API. The dashboard is served from the collector's
// own origin, so every request is same-origin and relative.
import type {
  CallRecord,
  Percentiles,
  SummaryGroup,
  SummaryGroupBy,
  SummaryPoint,
  SummaryResponse,
} from '@pilotlight/conventions';

export type { CallRecord, Percentiles, SummaryGroup, SummaryGroupBy, SummaryPoint };

/** A page of `GET /api/spans`. */
export interface SpanPage {
  data: CallRecord[];
  nextCursor: string | null;
}

/** `GET /api/traces/:traceId`. */
export interface TraceResponse {
  traceId: string;
  spans: CallRecord[];
  /** Scores and feedback sent with `recordFeedback`, oldest first (absent from older collectors). */
  feedback?: Feedback[];
}

/** One stored feedback (`POST /api/feedback`). */
export interface Feedback {
  id: string;
  traceId: string;
  /** The call it is about, or null for the whole trace. */
  spanId: string | null;
  score: number;
  label: string | null;
  comment: string | null;
  /** ISO 8601. */
  createdAt: string;
}

/** `GET /api/summary`. */
export type Summary = SummaryResponse;

/** An answer other than 2xx, with the collector's `{ error, message }` when it sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
  }
}

/** Where the API key lives: this tab's session only, never localStorage. */
const KEY_STORAGE = 'pilotlight.apiKey';
const authListeners = new Set<() => void>();

/** The key the user gave for this browser session, if any. */
export function getApiKey(): string | null {
  return window.sessionStorage.getItem(KEY_STORAGE);
}

/** Keeps (or, with null, forgets) the key for this browser session. */
export function setApiKey(key: string | null): void {
  if (key === null) window.sessionStorage.removeItem(KEY_STORAGE);
  else window.sessionStorage.setItem(KEY_STORAGE, key);
}

/** Called whenever the collector answers 401: the app then asks for a key. */
export function onAuthRequired(listener: () => void): () => void {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}

/** An error answer's field problems (`{ issues: [{ path, message }] }`). */
export interface ApiIssue {
  path: string;
  message: string;
}

async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // A collector on loopback without keys opens directly; one with keys answers 401 first.
  const key = getApiKey();
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    signal: options.signal ?? null,
  });
  if (res.status === 401) for (const l of authListeners) l();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let issues: ApiIssue[] = [];
    try {
      const body = (await res.json()) as { message?: unknown; issues?: unknown };
      if (typeof body.message === 'string') message = body.message;
      if (Array.isArray(body.issues)) issues = body.issues as ApiIssue[];
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(res.status, message, issues);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, { signal });
}

/** Sends a JSON body (`POST`/`PUT`) or a `DELETE`; errors carry the collector's field issues. */
export function sendJson<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  return request<T>(method, path, { body });
}

/** The numeric range parameters of `GET /api/spans`. */
export const SPAN_RANGE_PARAMS = [
  'minLatencyMs',
  'maxLatencyMs',
  'minTtftMs',
  'maxTtftMs',
  'minTokens',
  'maxTokens',
  'minCostUsd',
  'maxCostUsd',
  'minConfidence',
  'maxConfidence',
] as const;

export type SpanRangeParam = (typeof SPAN_RANGE_PARAMS)[number];

/** Filters of the calls table, as `GET /api/spans` takes them. */
export interface SpanFilters {
  model?: string;
  /** Exact `service.name`. */
  service?: string;
  /** Exact provider (`openai`, `anthropic`, …). */
  provider?: string;
  /** Exact GenAI operation (`chat`, `embeddings`, …). */
  operation?: string;
  status?: 'ok' | 'error';
  traceId?: string;
  /**
   * Inclusive numeric bounds (`minLatencyMs`, `maxCostUsd`, …), each a non-negative decimal
   * as `/api/spans` takes it; a call without the measure never matches a bound on it.
   */
  ranges?: Partial<Record<SpanRangeParam, string>>;
  fromMs?: number;
  toMs?: number;
  limit?: number;
  cursor?: string;
}

export function listSpans(filters: SpanFilters, signal?: AbortSignal): Promise<SpanPage> {
  const q = new URLSearchParams();
  if (filters.traceId) q.set('traceId', filters.traceId);
  if (filters.model) q.set('model', filters.model);
  if (filters.service) q.set('service', filters.service);
  if (filters.provider) q.set('provider', filters.provider);
  if (filters.operation) q.set('operation', filters.operation);
  if (filters.status) q.set('status', filters.status);
  for (const name of SPAN_RANGE_PARAMS) {
    const bound = filters.ranges?.[name];
    if (bound) q.set(name, bound);
  }
  if (filters.fromMs !== undefined) q.set('from', String(Math.floor(filters.fromMs)));
  if (filters.toMs !== undefined) q.set('to', String(Math.ceil(filters.toMs)));
  if (filters.limit !== undefined) q.set('limit', String(filters.limit));
  if (filters.cursor) q.set('cursor', filters.cursor);
  return getJson<SpanPage>(`/api/spans?${q}`, signal);
}

export function getTrace(traceId: string, signal?: AbortSignal): Promise<TraceResponse> {
  return getJson<TraceResponse>(`/api/traces/${encodeURIComponent(traceId)}`, signal);
}

/** Options of {@link getSummary}. */
export interface SummaryRequest {
  fromMs: number;
  toMs: number;
  intervalSec?: number;
  groupBy?: SummaryGroupBy;
  /** Only this model's calls (exact match). */
  model?: string;
}

/** `GET /api/summary`; an {@link ApiError} with status 404 means the collector has no such route yet. */
export async function getSummary(req: SummaryRequest, signal?: AbortSignal): Promise<Summary> {
  const q = new URLSearchParams({ from: String(req.fromMs), to: String(req.toMs) });
  if (req.intervalSec !== undefined) q.set('interval', String(req.intervalSec));
  if (req.groupBy !== undefined) q.set('groupBy', req.groupBy);
  if (req.model !== undefined) q.set('model', req.model);
  const body = await getJson<Summary>(`/api/summary?${q}`, signal);
  if (!Array.isArray(body.groups)) throw new ApiError(502, 'unexpected summary shape');
  return body;
}

/** Any JSON read (for pages that only show what an API returns). */
export function getAny(path: string, signal?: AbortSignal): Promise<unknown> {
  return getJson<unknown>(path, signal);
}
