import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getApiKey, onAuthRequired, setApiKey } from './api.js';
import { Empty } from './components.js';
import { AlertsPage } from './pages/alerts.js';
import { CallsPage } from './pages/calls.js';
import { DriftPage } from './pages/drift.js';
import { ModelsPage } from './pages/models.js';
import { OverviewPage } from './pages/overview.js';
import { TracePage } from './pages/trace.js';
import { DEFAULT_RANGE, RANGES } from './range.js';
import { type Location, onLinkClick, updateQuery, useLocation } from './router.js';
import { ProjectBadge, SignIn, type SignInReason } from './sign-in.js';
import './styles.css';

/** Auto-refresh periods offered in the header (0 = off). */
const REFRESH_CHOICES_SEC = [0, 15, 60] as const;
const REFRESH_STORAGE_KEY = 'pilotlight.refreshSec';

const NAV = [
  { href: '/', label: 'Overview' },
  { href: '/calls', label: 'Calls' },
  { href: '/models', label: 'Models' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/drift', label: 'Drift' },
] as const;

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function TimePicker(props: { loc: Location; nowMs: number }) {
  const { query } = props.loc;
  const range = query.get('range') ?? DEFAULT_RANGE;
  const from = Number(query.get('from')) || props.nowMs - 3_600_000;
  const to = Number(query.get('to')) || props.nowMs;
  return (
    <div class="time-picker">
      <label>
        Time range
        <select
          value={range}
          onChange={(e) => {
            const v = e.currentTarget.value;
            updateQuery(
              v === 'custom'
                ? { range: v, from: String(from), to: String(to) }
                : { range: v === DEFAULT_RANGE ? null : v, from: null, to: null },
            );
          }}
        >
          {RANGES.map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {range === 'custom' ? (
        <>
          <label>
            From
            <input
              type="datetime-local"
              value={toLocalInput(from)}
              onChange={(e) => {
                const ms = new Date(e.currentTarget.value).getTime();
                if (Number.isFinite(ms)) updateQuery({ from: String(ms) });
              }}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              value={toLocalInput(to)}
              onChange={(e) => {
                const ms = new Date(e.currentTarget.value).getTime();
                if (Number.isFinite(ms)) updateQuery({ to: String(ms) });
              }}
            />
          </label>
        </>
      ) : null}
    </div>
  );
}

function App() {
  const loc = useLocation();
  const [nowMs, setNowMs] = useState(() => Date.now());
  const [refreshSec, setRefreshSec] = useState<number>(() => {
    const saved = Number(window.sessionStorage.getItem(REFRESH_STORAGE_KEY));
    return (REFRESH_CHOICES_SEC as readonly number[]).includes(saved) ? saved : 0;
  });

  // The sign-in view replaces everything the collector returned (pages and header data)
  // whenever it answers 401; `session` counts sign-ins, so per-key state starts afresh.
  const [signIn, setSignIn] = useState<SignInReason | null>(null);
  const [keyed, setKeyed] = useState(() => getApiKey() !== null);
  const [session, setSession] = useState<{ n: number; projectId: string | null }>({
    n: 0,
    projectId: null,
  });
  useEffect(
    () =>
      onAuthRequired((event) => {
        setKeyed(false);
        // The first refusal explains; later ones from the same page load add nothing.
        setSignIn(
          (shown) =>
            shown ??
            (event.reason === 'rejected'
              ? { kind: 'rejected' }
              : { kind: 'missing', message: event.message }),
        );
      }),
    [],
  );
  const signOut = () => {
    setApiKey(null);
    setKeyed(false);
    setSignIn({ kind: 'signed-out' });
  };

  // In-app links route without a page load (Enter on a link fires the same click).
  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);
  // A new page or new filters read "now" afresh.
  useEffect(() => setNowMs(Date.now()), [loc.path, loc.query.toString()]);
  useEffect(() => {
    window.sessionStorage.setItem(REFRESH_STORAGE_KEY, String(refreshSec));
    if (refreshSec === 0) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') setNowMs(Date.now());
    }, refreshSec * 1000);
    return () => window.clearInterval(timer);
  }, [refreshSec]);

  const trace = /^\/traces\/([0-9a-fA-F]{32})\/?$/.exec(loc.path);
  let page: preact.JSX.Element;
  if (loc.path === '/' || loc.path === '/overview') page = <OverviewPage loc={loc} nowMs={nowMs} />;
  else if (loc.path === '/calls') page = <CallsPage loc={loc} nowMs={nowMs} />;
  else if (trace) page = <TracePage traceId={(trace[1] as string).toLowerCase()} loc={loc} />;
  else if (loc.path === '/models') page = <ModelsPage nowMs={nowMs} />;
  else if (loc.path === '/alerts') page = <AlertsPage nowMs={nowMs} />;
  else if (loc.path === '/drift') page = <DriftPage nowMs={nowMs} />;
  else
    page = (
      <Empty title="No such page">
        <p>
          <a href="/">Go to the overview</a>
        </p>
      </Empty>
    );

  // Keep the time range when moving between pages.
  const keep = new URLSearchParams();
  for (const k of ['range', 'from', 'to']) {
    const v = loc.query.get(k);
    if (v !== null) keep.set(k, v);
  }
  const suffix = keep.toString() ? `?${keep}` : '';
  const active = (href: string) =>
    href === '/'
      ? loc.path === '/' || loc.path === '/overview'
      : loc.path.startsWith(href) || (href === '/calls' && trace !== null);

  if (signIn !== null) {
    return (
      <div class="shell">
        <header class="top">
          <span class="brand">pilotlight</span>
        </header>
        <main>
          <SignIn
            reason={signIn}
            onSignIn={(key, projectId) => {
              setApiKey(key);
              setKeyed(true);
              setSession((s) => ({ n: s.n + 1, projectId }));
              setSignIn(null);
              setNowMs(Date.now());
            }}
          />
        </main>
      </div>
    );
  }

  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href={`/${suffix}`}>
          pilotlight
        </a>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <a
              key={n.href}
              href={`${n.href}${suffix}`}
              aria-current={active(n.href) ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <div class="controls">
          <ProjectBadge key={session.n} keyed={keyed} knownId={session.projectId} nowMs={nowMs} />
          <TimePicker loc={loc} nowMs={nowMs} />
          <label>
            Auto-refresh
            <select
              value={refreshSec}
              onChange={(e) => setRefreshSec(Number(e.currentTarget.value))}
            >
              {REFRESH_CHOICES_SEC.map((s) => (
                <option key={s} value={s}>
                  {s === 0 ? 'off' : `every ${s} s`}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => setNowMs(Date.now())}>
            Refresh
          </button>
          {keyed ? (
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <main>{page}</main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
