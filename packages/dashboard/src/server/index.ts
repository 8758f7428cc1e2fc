import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

/**
 * The Content-Security-Policy of every dashboard response: nothing but this origin.
 * No inline script, no eval, no remote font, image or connection; styles only from
 * files (the app sets element styles through the CSSOM, which CSP allows).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `Cache-Control` of content-hashed files under `/assets/`: they never change. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** `Cache-Control` of `index.html` and other unhashed files: revalidate every time. */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';

/** Paths that belong to the collector, never answered with the app's `index.html`. */
export const DEFAULT_RESERVED_PREFIXES: readonly string[] = [
  '/api/',
  '/v1/',
  '/healthz',
  '/readyz',
  '/metrics',
];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Absolute path of the dashboard's built static files (`dist/app` of this package).
 * Resolved from this module's own location, so it is the same whether the module
 * runs from `src/server/index.ts` (tests, `@pilotlight/source`) or from the built
 * `dist/server/index.js`: both sit two directories below the package root.
 *
 * @example
 * existsSync(join(dashboardAssetsDir(), 'index.html')); // true after `npm run build`
 */
export function dashboardAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', 'dist', 'app');
}

/** Options of {@link createDashboardRoutes}. */
export interface DashboardRoutesOptions {
  /** Built files to serve (default {@link dashboardAssetsDir}). */
  assetsDir?: string;
  /**
   * Path prefixes left to the rest of the app (default {@link DEFAULT_RESERVED_PREFIXES}):
   * a miss under them falls through to the app's `notFound`, never to `index.html`.
   */
  reservedPrefixes?: readonly string[];
}

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  cacheControl: string;
}

function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/**
 * A Hono sub-app serving the dashboard: `GET`/`HEAD` of a built file answers it (hashed
 * `/assets/*` cached for a year, the rest revalidated); any other `GET` outside the
 * reserved prefixes answers `index.html`, so deep links such as `/traces/<id>` load the
 * app, which then routes in the browser. Every answer carries a strict CSP and
 * `X-Content-Type-Options: nosniff`. Mount it after the API routes.
 *
 * @example
 * const app = createApp({ store });
 * app.route('/', createDashboardRoutes());
 */
export function createDashboardRoutes(options: DashboardRoutesOptions = {}): Hono {
  const root = resolve(options.assetsDir ?? dashboardAssetsDir());
  const reserved = options.reservedPrefixes ?? DEFAULT_RESERVED_PREFIXES;
  // Hashed assets never change while the process runs; index.html is re-read so a
  // rebuild shows without a restart.
  const cache = new Map<string, Asset>();

  async function load(relative: string): Promise<Asset | undefined> {
    const cached = cache.get(relative);
    if (cached !== undefined) return cached;
    const file = resolve(root, `.${sep}${relative}`);
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      const body = new Uint8Array(await readFile(file));
      const hashed = relative.startsWith('assets/');
      const asset: Asset = {
        body,
        contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        cacheControl: hashed ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL,
      };
      if (hashed) cache.set(relative, asset);
      return asset;
    } catch {
      return undefined;
    }
  }

  const app = new Hono();
  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const path = c.req.path;
    if (reserved.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) {
      return next();
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path).replace(/^\/+/, '');
    } catch {
      return next();
    }
    if (relative.includes('\0')) return next();
    const direct = relative === '' ? undefined : await load(relative);
    // A missing file that looks like a file (has an extension) is a real 404, not the app.
    if (direct === undefined && relative !== '' && extname(relative) !== '') return next();
    const asset = direct ?? (await load('index.html'));
    if (asset === undefined) {
      return c.text(
        'The dashboard is not built: run `npm run build` at the repository root.\n',
        503,
        securityHeaders(),
      );
    }
    const headers = {
      ...securityHeaders(),
      'content-type': asset.contentType,
      'cache-control': asset.cacheControl,
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(asset.body, 200, headers);
  });
  return app;
}
