import { useEffect, useState } from 'preact/hooks';
import { ApiError, getAny, getApiKey, getFile, sendJson } from '../api.js';
import { ErrorBox, Loading, PALETTE } from '../components.js';
import { DASH, fmtInt, fmtTime } from '../format.js';

// The collector's drift API (issue 7): monitors, their runs, run-now and the full report.
interface Monitor {
  id: string;
  name?: string;
  enabled: boolean;
  feature: string;
  filters: Record<string, string>;
  method: string;
  threshold?: number;
  currentWindow: { windowSec: number };
  referenceWindow: { type: string; from?: string; to?: string; baselineId?: string };
}

interface Window {
  fromMs: number;
  toMs: number;
  total: number;
  size: number;
  sampled: boolean;
}

type Bins =
  | {
      binning: 'sturges' | 'fixed';
      edges: number[];
      referenceCounts: number[];
      currentCounts: number[];
    }
  | {
      binning: 'per_value';
      keys: (number | string)[];
      referenceCounts: number[];
      currentCounts: number[];
    };

/** Infinite statistics arrive as the strings "Infinity" / "-Infinity". */
type Num = number | string | null;

interface Run {
  id: number;
  monitorId: string;
  feature: string;
  ranAtMs: number;
  status: 'ok' | 'insufficient_data' | 'error';
  message?: string;
  method: string | null;
  statistic: Num;
  pValue: Num;
  threshold: Num;
  drifted: boolean;
  bins: Bins | null;
  reference: Window & { source?: string };
  current: Window;
}

function fmtNum(v: Num): string {
  if (v === null) return DASH;
  if (typeof v === 'string') return v === 'Infinity' ? '∞' : v === '-Infinity' ? '−∞' : v;
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toPrecision(4);
}

/** The full report of a run's windows (self-contained HTML served by the collector). */
export function reportHref(monitor: Monitor, run: Run): string {
  const q = new URLSearchParams({
    feature: monitor.feature,
    reference: `${run.reference.fromMs}..${run.reference.toMs}`,
    current: `${run.current.fromMs}..${run.current.toMs}`,
    format: 'html',
  });
  if (monitor.method) q.set('method', monitor.method);
  for (const [k, v] of Object.entries(monitor.filters ?? {})) q.set(k, v);
  return `/api/drift/report?${q}`;
}

export function DriftPage(props: { nowMs: number }) {
  const [monitors, setMonitors] = useState<Monitor[] | 'missing' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    getAny('/api/drift/monitors', ac.signal).then(
      (body) => {
        const list = (body as { data: Monitor[] }).data;
        setMonitors(list);
        setSelected((s) => s ?? list[0]?.id ?? null);
      },
      (e: unknown) => {
        if (ac.signal.aborted) return;
        if (e instanceof ApiError && e.status === 404) setMonitors('missing');
        else setError(e);
      },
    );
    return () => ac.abort();
  }, [props.nowMs, version]);

  const monitor = Array.isArray(monitors) ? monitors.find((m) => m.id === selected) : undefined;
  return (
    <section aria-labelledby="drift-title">
      <h1 id="drift-title">Drift</h1>
      <p class="muted">
        Monitors compare a feature's distribution in a recent window with a reference window, on a
        schedule.
      </p>
      {error ? (
        <ErrorBox error={error} retry={() => setVersion((v) => v + 1)} />
      ) : monitors === null ? (
        <Loading what="drift monitors" />
      ) : monitors === 'missing' ? (
        <div class="state empty not-available">
          <h2>Not available yet</h2>
          <p>
            This collector does not serve <code>/api/drift/monitors</code> yet: monitors and their
            runs will show here once it does.
          </p>
        </div>
      ) : monitors.length === 0 ? (
        <div class="state empty">
          <h2>No drift monitors yet</h2>
          <p>
            Create one with <code>POST /api/drift/monitors</code> or in{' '}
            <code>pilotlight.config.json</code>.
          </p>
        </div>
      ) : (
        <>
          <div class="table-wrap">
            <table class="drift-monitors">
              <thead>
                <tr>
                  <th scope="col">Monitor</th>
                  <th scope="col">Feature</th>
                  <th scope="col">Filters</th>
                  <th scope="col">Method</th>
                  <th scope="col">Reference</th>
                  <th scope="col">Current window</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {monitors.map((m) => (
                  <tr
                    key={m.id}
                    class={m.id === selected ? 'selected' : undefined}
                    data-monitor-id={m.id}
                  >
                    <td>
                      <button type="button" class="link" onClick={() => setSelected(m.id)}>
                        {m.name ?? m.id}
                      </button>
                    </td>
                    <td>{m.feature}</td>
                    <td>
                      {Object.entries(m.filters ?? {})
                        .map(([k, v]) => `${k} = ${v}`)
                        .join(', ') || DASH}
                    </td>
                    <td>
                      {m.method}
                      {m.threshold === undefined ? '' : ` (threshold ${m.threshold})`}
                    </td>
                    <td>
                      {m.referenceWindow.type === 'fixed'
                        ? `${m.referenceWindow.from} → ${m.referenceWindow.to}`
                        : m.referenceWindow.type}
                    </td>
                    <td>{Math.round(m.currentWindow.windowSec / 60)} min</td>
                    <td>{m.enabled ? 'yes' : 'no'}</td>
                    <td>
                      <RunNow monitorId={m.id} onDone={() => setVersion((v) => v + 1)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {monitor ? <Runs monitor={monitor} version={version} nowMs={props.nowMs} /> : null}
        </>
      )}
    </section>
  );
}

function RunNow(props: { monitorId: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setProblem(null);
          try {
            await sendJson(
              'POST',
              `/api/drift/monitors/${encodeURIComponent(props.monitorId)}/run`,
            );
            props.onDone();
          } catch (e) {
            setProblem(e instanceof Error ? e.message : String(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Running…' : 'Run now'}
      </button>
      {problem ? (
        <span class="field-error" role="alert">
          {problem}
        </span>
      ) : null}
    </>
  );
}

function Runs(props: { monitor: Monitor; version: number; nowMs: number }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    getAny(
      `/api/drift/runs?monitorId=${encodeURIComponent(props.monitor.id)}&limit=20`,
      ac.signal,
    ).then(
      (body) => setRuns((body as { data: Run[] }).data),
      (e: unknown) => {
        if (!ac.signal.aborted) setError(e);
      },
    );
    return () => ac.abort();
  }, [props.monitor.id, props.version, props.nowMs]);
  if (error) return <ErrorBox error={error} />;
  if (runs === null) return <Loading what="runs" />;
  if (runs.length === 0)
    return <p class="muted">No runs yet: use “Run now” or wait for the schedule.</p>;
  const run = runs.find((r) => r.id === selected) ?? runs[0];
  return (
    <>
      <h2>Runs of {props.monitor.name ?? props.monitor.id}</h2>
      <div class="table-wrap">
        <table class="drift-runs">
          <thead>
            <tr>
              <th scope="col">Ran at</th>
              <th scope="col">Verdict</th>
              <th scope="col">Method</th>
              <th scope="col" class="num">
                Statistic
              </th>
              <th scope="col" class="num">
                p-value
              </th>
              <th scope="col" class="num">
                Threshold
              </th>
              <th scope="col" class="num">
                Reference n
              </th>
              <th scope="col" class="num">
                Current n
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} class={r === run ? 'selected' : undefined}>
                <td>
                  <button type="button" class="link" onClick={() => setSelected(r.id)}>
                    {fmtTime(new Date(r.ranAtMs).toISOString())}
                  </button>
                </td>
                <td>
                  <Verdict run={r} />
                </td>
                <td>{r.method ?? DASH}</td>
                <td class="num">{fmtNum(r.statistic)}</td>
                <td class="num">{fmtNum(r.pValue)}</td>
                <td class="num">{fmtNum(r.threshold)}</td>
                <td class="num">
                  {fmtInt(r.reference.size)}
                  {r.reference.sampled ? ` of ${fmtInt(r.reference.total)}` : ''}
                </td>
                <td class="num">
                  {fmtInt(r.current.size)}
                  {r.current.sampled ? ` of ${fmtInt(r.current.total)}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {run ? (
        <article class="drift-run">
          <h3>
            Run at {fmtTime(new Date(run.ranAtMs).toISOString())}: <Verdict run={run} />
          </h3>
          {run.message ? <p>{run.message}</p> : null}
          {run.reference.sampled || run.current.sampled ? (
            <p class="muted">
              Windows above the sample cap were sampled uniformly at random (seeded per run).
            </p>
          ) : null}
          {run.bins ? (
            <Histogram bins={run.bins} />
          ) : (
            <p class="muted">No distributions for this run.</p>
          )}
          <ReportLink monitor={props.monitor} run={run} />
        </article>
      ) : null}
    </>
  );
}

/**
 * The run's full report. A link opens it in a new tab, but a navigation carries no
 * `Authorization` header, so with an API key the report is fetched with it and saved as a
 * file instead (opened from the dashboard's origin it would fall under the dashboard's
 * stricter Content-Security-Policy, which blocks the report's own styles).
 */
function ReportLink(props: { monitor: Monitor; run: Run }) {
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const href = reportHref(props.monitor, props.run);
  if (getApiKey() === null) {
    return (
      <p>
        <a href={href} target="_blank" rel="noopener noreferrer">
          Full report (HTML)
        </a>
      </p>
    );
  }
  const save = async () => {
    setError(null);
    setSaving(true);
    try {
      const file = await getFile(href, 'text/html');
      const url = URL.createObjectURL(file);
      const a = document.createElement('a');
      a.href = url;
      a.download = `drift-${props.monitor.id}-${props.run.ranAtMs}.html`;
      a.click();
      // The click has started the download; the object URL is not needed after it.
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <>
      <p>
        <button type="button" onClick={save} disabled={saving}>
          {saving ? 'Downloading…' : 'Download full report (HTML)'}
        </button>
      </p>
      {error ? <ErrorBox error={error} /> : null}
    </>
  );
}

function Verdict(props: { run: Run }) {
  const r = props.run;
  if (r.status !== 'ok')
    return <span class="badge alert-pending">● {r.status.replace('_', ' ')}</span>;
  return r.drifted ? (
    <span class="badge alert-firing">▲ drifted</span>
  ) : (
    <span class="badge alert-ok">✓ no drift</span>
  );
}

const CHART_W = 720;
const CHART_H = 220;
const PAD_L = 44;
const PAD_B = 46;

/** Both windows' shares per bin, side by side, as SVG built from elements (no markup strings). */
function Histogram(props: { bins: Bins }) {
  const b = props.bins;
  const labels =
    b.binning === 'per_value'
      ? b.keys.map(String)
      : b.edges.slice(0, -1).map((e, i) => `${fmtNum(e)}–${fmtNum(b.edges[i + 1] ?? e)}`);
  const share = (counts: number[]) => {
    const total = counts.reduce((a, c) => a + c, 0) || 1;
    return counts.map((c) => c / total);
  };
  const ref = share(b.referenceCounts);
  const cur = share(b.currentCounts);
  const max = Math.max(...ref, ...cur, 1e-9);
  const n = labels.length || 1;
  const slot = (CHART_W - PAD_L) / n;
  const bar = Math.max(1, slot * 0.4);
  const y = (v: number) => (CHART_H - PAD_B) * (1 - v / max);
  const every = Math.ceil(n / 12);
  return (
    <figure class="chart">
      <figcaption>Share of values per bin: reference and current window</figcaption>
      <svg
        viewBox={`0 0 ${CHART_W} ${CHART_H}`}
        width="100%"
        role="img"
        aria-label="Histogram of the reference and current windows"
      >
        <line x1={PAD_L} y1={CHART_H - PAD_B} x2={CHART_W} y2={CHART_H - PAD_B} stroke="#57606a" />
        <text x={PAD_L - 6} y={y(max) + 10} text-anchor="end" font-size="11" fill="#57606a">
          {`${(max * 100).toFixed(0)}%`}
        </text>
        <text x={PAD_L - 6} y={CHART_H - PAD_B} text-anchor="end" font-size="11" fill="#57606a">
          0%
        </text>
        {labels.map((label, i) => {
          const x = PAD_L + i * slot + slot * 0.1;
          return (
            <g key={label}>
              <rect
                x={x}
                y={y(ref[i] ?? 0)}
                width={bar}
                height={CHART_H - PAD_B - y(ref[i] ?? 0)}
                fill={PALETTE[0]}
              >
                <title>{`reference ${label}: ${((ref[i] ?? 0) * 100).toFixed(1)}%`}</title>
              </rect>
              <rect
                x={x + bar}
                y={y(cur[i] ?? 0)}
                width={bar}
                height={CHART_H - PAD_B - y(cur[i] ?? 0)}
                fill={PALETTE[1]}
              >
                <title>{`current ${label}: ${((cur[i] ?? 0) * 100).toFixed(1)}%`}</title>
              </rect>
              {i % every === 0 ? (
                <text
                  x={x + bar}
                  y={CHART_H - PAD_B + 14}
                  text-anchor="middle"
                  font-size="10"
                  fill="#1b1f24"
                >
                  {label.length > 14 ? `${label.slice(0, 13)}…` : label}
                </text>
              ) : null}
            </g>
          );
        })}
        <rect x={PAD_L} y={CHART_H - 18} width="10" height="10" fill={PALETTE[0]} />
        <text x={PAD_L + 14} y={CHART_H - 9} font-size="11">
          reference
        </text>
        <rect x={PAD_L + 90} y={CHART_H - 18} width="10" height="10" fill={PALETTE[1]} />
        <text x={PAD_L + 104} y={CHART_H - 9} font-size="11">
          current
        </text>
      </svg>
    </figure>
  );
}
