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

/**
 * Where the API key lives: `sessionStorage`, so it stays with this tab (a reload keeps it,
 * closing the tab forgets it) and is never written to disk for other tabs or later
 * sessions as `localStorage` would. It is sent only in the `Authorization` header: never
 * in a URL, a log or the page.
 */
const KEY_STORAGE = 'pilotlight.apiKey';

/** Why the collector refused this tab: see {@link onAuthRequired}. */
export interface AuthRequired {
  /**
   * `missing`: the tab sent no key and the collector wants one; `rejected`: the key this
   * tab was using stopped working (revoked, or the collector's keys changed), so it has
   * been forgotten.
   */
  reason: 'missing' | 'rejected';
  /** The collector's own message. */
  message: string;
}

const authListeners = new Set<(event: AuthRequired) => void>();

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
export function onAuthRequired(listener: (event: AuthRequired) => void): () => void {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}

/** The outcome of {@link checkKey}. */
export type KeyCheck =
  | {
      ok: true;
      /** The key's project, read from its newest call; null while the project has none. */
      projectId: string | null;
    }
  | { ok: false; status: number; message: string };

/** Shown when the collector answers 401 to a key typed into the sign-in form. */
export const KEY_REFUSED_MESSAGE =
  'The collector did not accept this key. Check that it was copied whole and has not been revoked.';

/**
 * Tries `key` with the cheapest project read (`GET /api/spans?limit=1`) without keeping it
 * or telling the {@link onAuthRequired} listeners: the sign-in form keeps the key only when
 * this says it works. A 403 (an admin key, which may not read data) carries the
 * collector's message.
 */
export async function checkKey(key: string): Promise<KeyCheck> {
  let res: Response;
  try {
    res = await fetch('/api/spans?limit=1', {
      headers: { accept: 'application/json', authorization: `Bearer ${key}` },
    });
  } catch {
    return { ok: false, status: 0, message: 'The collector did not answer. Is it running?' };
  }
  if (res.ok) {
    const body = (await res.json().catch(() => null)) as SpanPage | null;
    const projectId = body?.data?.[0]?.projectId;
    return { ok: true, projectId: typeof projectId === 'string' ? projectId : null };
  }
  if (res.status === 401) return { ok: false, status: 401, message: KEY_REFUSED_MESSAGE };
  const { message } = await readError(res);
  return { ok: false, status: res.status, message };
}

/** An error answer's field problems (`{ issues: [{ path, message }] }`). */
export interface ApiIssue {
  path: string;
  message: string;
}

/** The collector's `{ message, issues }` of an error answer, or its status line. */
async function readError(res: Response): Promise<{ message: string; issues: ApiIssue[] }> {
  let message = `${res.status} ${res.statusText}`;
  let issues: ApiIssue[] = [];
  try {
    const body = (await res.json()) as { message?: unknown; issues?: unknown };
    if (typeof body.message === 'string') message = body.message;
    if (Array.isArray(body.issues)) issues = body.issues as ApiIssue[];
  } catch {
    // Not JSON: keep the status line.
  }
  return { message, issues };
}

/** Sends a request with the tab's key; any answer but 2xx becomes an {@link ApiError}. */
async function send(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; signal?: AbortSignal | undefined; accept?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  // A collector in zero-config local mode answers without a key; one with keys answers 401
  // first, and the app asks for one.
  const key = getApiKey();
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    signal: options.signal ?? null,
  });
  if (!res.ok) {
    const { message, issues } = await readError(res);
    // A 401 to a request sent before the user signed in (or out) is stale: only one sent
    // with the tab's current key (or lack of one) says something about it. An aborted
    // request's page is gone (often because an earlier 401 already showed the sign-in).
    if (res.status === 401 && getApiKey() === key && !options.signal?.aborted) {
      if (key !== null) setApiKey(null);
      const event: AuthRequired = { reason: key === null ? 'missing' : 'rejected', message };
      for (const l of authListeners) l(event);
    }
    throw new ApiError(res.status, message, issues);
  }
  return res;
}

async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const res = await send(method, path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Any `GET` as a file (a report, an export), sent with the tab's key: what a plain link
 * cannot do, since a navigation carries no `Authorization` header.
 */
export async function getFile(path: string, accept: string): Promise<Blob> {
  return (await send('GET', path, { accept })).blob();
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
