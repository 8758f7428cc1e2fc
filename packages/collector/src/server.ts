import type { PriceBook } from '@pilotlight/conventions';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Auth } from './auth/auth.js';
import { authenticate, projectRoutes, whoamiRoutes } from './auth/http.js';
import {
  CollectorError,
  PayloadTooLargeError,
  StoreUnavailableError,
  UnauthorizedError,
} from './errors.js';
import { type CollectorMetrics, createMetrics } from './metrics/metrics.js';
import { RpcStatus } from './otlp/proto.js';
import { auditMiddleware, auditRoutes } from './routes/audit.js';
import { answeringRoute } from './routes/audit-context.js';
import { exportRoutes } from './routes/export.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import {
  type IngestAdmissionOptions,
  ingestRoutes,
  mediaType,
  PROTOBUF_TYPE,
} from './routes/ingest.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { queryRoutes } from './routes/query.js';
import { summaryRoutes } from './routes/summary.js';
import { hasAudit, hasFeedback, hasReadSide, type SpanStore } from './store/store.js';

/** The project of zero-config local use, and of an app built without `auth`. */
export const DEFAULT_PROJECT_ID = 'default';

/** What the app needs; nothing is opened or read at import time. */
export interface AppDeps {
  store: SpanStore;
  /**
   * API keys: ingest, every `/api` route and `/metrics` then require
   * `Authorization: Bearer <key>`, and the key decides the project (zero-config local mode
   * while no key exists: loopback peers only, into `default`). Without it the app serves
   * every request as {@link DEFAULT_PROJECT_ID} (embedding and tests).
   */
  auth?: Auth;
  /** Per-project price table (overrides and additions), consulted at ingest before `prices`. */
  pricesFor?: (projectId: string) => PriceBook;
  /** Decompressed request bodies above this are refused with 413 (default 20 MiB). */
  maxBodyBytes?: number;
  /** Price table for calls that arrive without a cost (default: the conventions' table). */
  prices?: PriceBook;
  /**
   * Ingest admission control: when `POST /v1/traces` answers 503 with `Retry-After`
   * instead of queueing (default: the ingest route's limits).
   */
  ingestAdmission?: IngestAdmissionOptions;
  /**
   * Prometheus metrics served at `/metrics` (default: {@link createMetrics} with the
   * store size and the ingest queue depth wired in).
   */
  metrics?: CollectorMetrics;
  /** Model names labelled in the default metrics before folding into `other` (default 100). */
  metricsMaxModels?: number;
  /**
   * More API routes (drift monitors, alerting…), mounted after the built-in ones and
   * before the dashboard, behind the same metrics and audit middleware.
   */
  apiRoutes?: readonly Hono[];
  /**
   * The web UI's routes (`createDashboardRoutes()` of `@pilotlight/dashboard`), mounted
   * after every API route so API paths keep priority.
   */
  dashboard?: Hono;
  /** The clock of time-relative answers (the inventory's last 24 h / 30 d); default `Date.now`. */
  now?: () => number;
  /** Where unexpected errors are reported (default `console.error`). */
  logError?: (error: unknown) => void;
}

/** At most one store-unavailable report per this interval (ms). */
export const STORE_ERROR_LOG_INTERVAL_MS = 30_000;

// google.rpc.Code values for OTLP/HTTP error bodies.
const RPC_CODE: Record<number, number> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  413: 8,
  415: 3,
  429: 8,
  503: 14,
  500: 13,
};

/**
 * Builds the collector's HTTP app: OTLP ingest, the query API and health.
 * Every error answers `{ error, message, issues }` (or, for an OTLP protobuf
 * request, a protobuf `google.rpc.Status` as the OTLP specification requires).
 *
 * @example
 * const app = createApp({ store: openSqliteStore({ path: ':memory:' }) });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps): Hono {
  const logError = deps.logError ?? ((error: unknown) => console.error(error));
  const projectId = DEFAULT_PROJECT_ID;
  const app = new Hono();
  const store = deps.store;
  const pending = { spans: 0 };
  const metrics =
    deps.metrics ??
    createMetrics({
      queueDepth: () => pending.spans,
      ...(deps.metricsMaxModels === undefined ? {} : { maxModels: deps.metricsMaxModels }),
      ...(hasReadSide(store) ? { storeSizeBytes: () => store.sizeBytes() } : {}),
    });

  // Counted by route pattern, never the raw path, so label values stay bounded.
  app.use('*', async (c, next) => {
    await next();
    metrics.recordHttpRequest(answeringRoute(c), c.req.method, c.res.status);
  });
  const now = deps.now ?? Date.now;
  const auth = deps.auth;
  if (auth !== undefined) {
    // Before the audit log: a refused request reads nothing and is not audited.
    const forProjects = authenticate(auth, 'project');
    const forAdmins = authenticate(auth, 'admin');
    app.use('/v1/*', forProjects);
    app.use('/metrics', forAdmins);
    app.use('/api/*', (c, next) =>
      c.req.path === '/api/projects' || c.req.path.startsWith('/api/projects/')
        ? forAdmins(c, next)
        : forProjects(c, next),
    );
  }
  // Every API read and change is recorded (who, what, when, how many records).
  if (hasAudit(store)) app.use('/api/*', auditMiddleware({ store, projectId, now }));
  app.route('/', healthRoutes(deps.store));
  app.route('/', metricsRoutes(metrics));
  app.route(
    '/',
    ingestRoutes({
      store: deps.store,
      projectId,
      ...(deps.maxBodyBytes === undefined ? {} : { maxBodyBytes: deps.maxBodyBytes }),
      ...(deps.prices === undefined ? {} : { prices: deps.prices }),
      ...(deps.pricesFor === undefined ? {} : { pricesFor: deps.pricesFor }),
      metrics,
      pending,
      ...deps.ingestAdmission,
    }),
  );
  app.route('/', queryRoutes({ store: deps.store, projectId }));
  app.route('/', exportRoutes({ store, projectId, logError }));
  if (hasFeedback(store)) app.route('/', feedbackRoutes({ store, projectId, now }));
  // Routes over rollups need an engine with the read side (SQLite today).
  if (hasReadSide(store)) {
    app.route('/', summaryRoutes({ store, projectId }));
    app.route('/', modelRoutes({ store, projectId, now }));
  }

  if (hasAudit(store)) app.route('/', auditRoutes({ store, projectId }));
  if (auth !== undefined) {
    app.route('/', projectRoutes(auth));
    app.route('/', whoamiRoutes(auth));
  }
  for (const routes of deps.apiRoutes ?? []) app.route('/', routes);
  if (deps.dashboard !== undefined) app.route('/', deps.dashboard);

  app.notFound((c) =>
    c.json(
      { error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}`, issues: [] },
      404,
    ),
  );

  // During an outage every refused request fails the same way: one report per
  // STORE_ERROR_LOG_INTERVAL_MS, with how many were left out, not one stack trace per request.
  let lastStoreReportAt = Number.NEGATIVE_INFINITY;
  let unreported = 0;
  const reportStoreUnavailable = (error: StoreUnavailableError): void => {
    const t = now();
    if (t - lastStoreReportAt < STORE_ERROR_LOG_INTERVAL_MS) {
      unreported++;
      return;
    }
    if (unreported > 0) logError(`${unreported} more store-unavailable answer(s) not reported`);
    lastStoreReportAt = t;
    unreported = 0;
    logError(error);
  };

  app.onError((error, c) => {
    let status: number;
    let body: { error: string; message: string; issues: { path: string; message: string }[] };
    if (error instanceof CollectorError) {
      if (error instanceof StoreUnavailableError) reportStoreUnavailable(error);
      status = error.status;
      body = { error: error.code, message: error.message, issues: error.issues };
    } else if (error instanceof HTTPException) {
      status = error.status;
      body = { error: 'http_error', message: error.message, issues: [] };
    } else {
      logError(error);
      status = 500;
      body = { error: 'internal', message: 'internal error', issues: [] };
    }
    // A refused body may still be arriving; closing the connection stops the client
    // from reusing a socket the server is about to drop.
    const headers: Record<string, string> =
      error instanceof PayloadTooLargeError ? { connection: 'close' } : {};
    if (error instanceof StoreUnavailableError)
      headers['retry-after'] = String(error.retryAfterSec);
    if (error instanceof UnauthorizedError)
      headers['www-authenticate'] = 'Bearer realm="pilotlight"';
    if (c.req.path === '/v1/traces' && mediaType(c.req.header('content-type')) === PROTOBUF_TYPE) {
      const bytes = RpcStatus.encode(
        RpcStatus.fromObject({ code: RPC_CODE[status] ?? 2, message: body.message }),
      ).finish();
      return c.body(new Uint8Array(bytes), status as 400, {
        ...headers,
        'content-type': PROTOBUF_TYPE,
      });
    }
    return c.json(body, status as 400, headers);
  });

  return app;
}
