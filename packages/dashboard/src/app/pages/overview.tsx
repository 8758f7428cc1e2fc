import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  getAny,
  getSummary,
  type Summary,
  type SummaryGroupBy,
  type SummaryPoint,
} from '../api.js';
import { Chart, type ChartSeries, colorAt, Empty, ErrorBox, Loading } from '../components.js';
import { fmtChange, fmtInt, fmtMs, fmtPct, fmtUsd } from '../format.js';
import { type Location, updateQuery } from '../router.js';
import { timeWindow } from '../time.js';

/** Groups drawn per chart; the rest are left out (the legend says so). */
const MAX_GROUPS = 6;
const SPLITS: readonly SummaryGroupBy[] = ['model', 'provider', 'service', 'operation'];

interface OverviewData {
  total: Summary;
  split: Summary;
  previous: Summary;
}

async function load(
  fromMs: number,
  toMs: number,
  intervalSec: number,
  split: SummaryGroupBy,
  model: string | undefined,
  signal: AbortSignal,
): Promise<OverviewData> {
  // Every figure comes from the collector's rollups (`/api/summary`), so the page costs
  // the same with a thousand stored calls or ten million.
  const prevFrom = fromMs - (toMs - fromMs);
  const [total, bySplit, previous] = await Promise.all([
    getSummary({ fromMs, toMs, intervalSec, model }, signal),
    getSummary({ fromMs, toMs, intervalSec, groupBy: split, model }, signal),
    getSummary({ fromMs: prevFrom, toMs: fromMs, model }, signal),
  ]);
  return { total, split: bySplit, previous };
}

/** Interval starts covering the window, in Unix seconds. */
function grid(fromMs: number, toMs: number, intervalSec: number): number[] {
  const step = intervalSec * 1000;
  const xs: number[] = [];
  for (let t = Math.floor(fromMs / step) * step; t < toMs; t += step) xs.push(t / 1000);
  return xs;
}

function series(
  x: number[],
  points: SummaryPoint[],
  pick: (p: SummaryPoint) => number | null,
  zero: number | null,
) {
  const byStart = new Map(points.map((p) => [Math.round(p.startMs / 1000), p]));
  return x.map((t) => {
    const p = byStart.get(t);
    return p === undefined ? zero : pick(p);
  });
}

export function OverviewPage(props: { loc: Location; nowMs: number }) {
  const { query } = props.loc;
  const win = timeWindow(query, props.nowMs);
  const split = (SPLITS as readonly string[]).includes(query.get('split') ?? '')
    ? (query.get('split') as SummaryGroupBy)
    : 'model';
  const model = query.get('model') || undefined;
  const [data, setData] = useState<OverviewData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    load(win.fromMs, win.toMs, win.intervalSec, split, model, ac.signal).then(
      setData,
      (e: unknown) => {
        if (!ac.signal.aborted) setError(e);
      },
    );
    return () => ac.abort();
  }, [win.fromMs, win.toMs, win.intervalSec, split, model, attempt]);

  const charts = useMemo(() => {
    if (data === null) return null;
    const x = grid(data.total.fromMs, data.total.toMs, data.total.intervalSec ?? win.intervalSec);
    const all = data.total.groups[0]?.points ?? [];
    const groups = data.split.groups.slice(0, MAX_GROUPS);
    const perGroup = (
      pick: (p: SummaryPoint) => number | null,
      zero: number | null,
    ): ChartSeries[] =>
      groups.map((g, i) => ({
        label: g.key || '(unknown)',
        color: colorAt(i),
        values: series(x, g.points, pick, zero),
      }));
    return {
      x,
      calls: perGroup((p) => p.calls, 0),
      errorRate: perGroup((p) => (p.calls === 0 ? null : p.errorRate), null),
      latency: [
        { label: 'p50', values: series(x, all, (p) => p.latencyMs?.p50 ?? null, null) },
        { label: 'p95', values: series(x, all, (p) => p.latencyMs?.p95 ?? null, null) },
        { label: 'p99', values: series(x, all, (p) => p.latencyMs?.p99 ?? null, null) },
      ],
      ttft: [{ label: 'TTFT p95', values: series(x, all, (p) => p.ttftMs?.p95 ?? null, null) }],
      tokens: [
        { label: 'input', values: series(x, all, (p) => p.inputTokens, 0) },
        { label: 'output', values: series(x, all, (p) => p.outputTokens, 0) },
      ],
      cost: perGroup((p) => p.costUsd, 0),
      hidden: Math.max(0, data.split.groups.length - MAX_GROUPS),
    };
  }, [data, win.intervalSec]);

  const total = data?.total.groups[0]?.total;
  const prev = data?.previous.groups[0]?.total;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="toolbar">
        <label>
          Split by
          <select value={split} onChange={(e) => updateQuery({ split: e.currentTarget.value })}>
            {SPLITS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {model ? (
          <span class="chip">
            Model: <strong>{model}</strong>{' '}
            <button
              type="button"
              onClick={() => updateQuery({ model: null })}
              aria-label="Show all models"
            >
              ✕
            </button>
          </span>
        ) : null}
        <span class="window">{win.label}</span>
      </div>
      <FiringAlerts nowMs={props.nowMs} />
      {error ? (
        <ErrorBox error={error} retry={() => setAttempt((n) => n + 1)} />
      ) : data === null || charts === null ? (
        <Loading what="the overview" />
      ) : total === undefined ? (
        <Empty title="No model calls in this time range">
          <p>Send your first trace: with the collector running (`npm start`), run</p>
          <pre class="command">npm run example:openai</pre>
          <p>or choose a longer time range.</p>
        </Empty>
      ) : (
        <>
          <div class="headlines">
            <Headline
              label="Calls"
              value={fmtInt(total.calls)}
              change={fmtChange(total.calls, prev?.calls)}
            />
            <Headline
              label="Error rate"
              value={fmtPct(total.errorRate)}
              change={fmtChange(total.errorRate, prev?.errorRate)}
            />
            <Headline
              label="Latency p95"
              value={fmtMs(total.latencyMs?.p95)}
              change={fmtChange(total.latencyMs?.p95 ?? 0, prev?.latencyMs?.p95)}
            />
            <Headline
              label="TTFT p95"
              value={fmtMs(total.ttftMs?.p95)}
              change={total.ttftMs ? fmtChange(total.ttftMs.p95, prev?.ttftMs?.p95) : null}
            />
            <Headline
              label="Tokens"
              value={fmtInt(total.inputTokens + total.outputTokens)}
              change={fmtChange(
                total.inputTokens + total.outputTokens,
                prev ? prev.inputTokens + prev.outputTokens : null,
              )}
            />
            <Headline
              label="Cost"
              value={fmtUsd(total.costUsd)}
              change={fmtChange(total.costUsd, prev?.costUsd)}
            />
          </div>
          {charts.hidden > 0 ? (
            <p class="muted">
              Showing the {MAX_GROUPS} {split}s with the most calls; {charts.hidden} more not drawn.
            </p>
          ) : null}
          <div class="charts">
            <Chart title={`Calls by ${split}`} x={charts.x} series={charts.calls} format={fmtInt} />
            <Chart
              title={`Error rate by ${split}`}
              x={charts.x}
              series={charts.errorRate}
              format={fmtPct}
            />
            <Chart
              title="Latency percentiles"
              x={charts.x}
              series={charts.latency}
              format={fmtMs}
            />
            <Chart
              title="Time to first token (p95)"
              x={charts.x}
              series={charts.ttft}
              format={fmtMs}
            />
            <Chart title="Tokens" x={charts.x} series={charts.tokens} format={fmtInt} />
            <Chart title={`Cost by ${split}`} x={charts.x} series={charts.cost} format={fmtUsd} />
          </div>
        </>
      )}
    </section>
  );
}

function Headline(props: { label: string; value: string; change: string | null }) {
  return (
    <div class="headline">
      <div class="headline-label">{props.label}</div>
      <div class="headline-value">{props.value}</div>
      <div class="headline-change" title="Change against the previous period of the same length">
        {props.change === null ? 'no previous data' : `${props.change} vs previous`}
      </div>
    </div>
  );
}

interface FiringState {
  ruleId: string;
  group: string;
  status: string;
  severity: string | null;
  value: number | null;
  sinceMs: number;
}

/** Firing and pending alerts, on top of the overview; nothing when the collector has no alerts API. */
function FiringAlerts(props: { nowMs: number }) {
  const [states, setStates] = useState<FiringState[]>([]);
  useEffect(() => {
    const ac = new AbortController();
    getAny('/api/alerts?status=firing,pending', ac.signal).then(
      (body) => setStates((body as { data: FiringState[] }).data ?? []),
      () => setStates([]),
    );
    return () => ac.abort();
  }, [props.nowMs]);
  if (states.length === 0) return null;
  return (
    <div class="firing" role="alert">
      <strong>
        {states.length} alert{states.length > 1 ? 's' : ''} active:
      </strong>
      <ul>
        {states.map((s) => (
          <li key={`${s.ruleId}/${s.group}`}>
            <a href="/alerts">{s.ruleId}</a>
            {s.group ? ` (${s.group})` : ''} — {s.status}
            {s.severity ? `, ${s.severity}` : ''}, value{' '}
            {s.value === null ? 'no data' : s.value.toPrecision(4)}
          </li>
        ))}
      </ul>
    </div>
  );
}
