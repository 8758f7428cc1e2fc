/**
 * Drift reports for data scientists: per feature the test, statistic, p-value, threshold,
 * verdict and sample sizes, with both windows drawn side by side, as JSON and as one
 * self-contained HTML file (inline SVG, one hashed `<style>`, no scripts, no external
 * resources; its Content-Security-Policy forbids everything else).
 */
import { createHash } from 'node:crypto';
import type { Bins } from '@pilotlight/drift';
import { type Comparison, compareSamples, type WindowSummary } from './compare.js';
import type { FeatureFilters, FeatureSource } from './feature-source.js';
import { hashSeed } from './feature-source.js';
import { isFeatureError, parseFeature } from './features.js';
import { DEFAULT_MIN_SAMPLES, DEFAULT_SAMPLE_CAP, type DriftMethod } from './monitor.js';

/** Most categories drawn per chart (the most frequent); the JSON keeps them all. */
const MAX_BARS = 30;
const CHART_WIDTH = 640;
const CHART_HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 44, left: 52 };
const REFERENCE_COLOR = '#4c78a8';
const CURRENT_COLOR = '#f58518';

/** What a report compares. */
export interface DriftReportOptions {
  projectId: string;
  /** Feature names (`latency`, `model`, `number:<attribute>`, ...). */
  features: readonly string[];
  filters?: FeatureFilters;
  reference: { fromMs: number; toMs: number };
  current: { fromMs: number; toMs: number };
  method?: DriftMethod;
  threshold?: number;
  minSamples?: number;
  sampleCap?: number;
  /** Seed of the sampling (default: derived from the windows, so a report is reproducible). */
  seed?: number;
}

/** One feature's section. */
export interface FeatureReport extends Comparison {
  feature: string;
  reference: WindowSummary;
  current: WindowSummary;
}

/** A whole report (also its JSON form). */
export interface DriftReport {
  version: 1;
  projectId: string;
  generatedAt: string;
  filters: FeatureFilters;
  reference: { from: string; to: string };
  current: { from: string; to: string };
  sampleCap: number;
  seed: number;
  /** Whether any window was sampled (the report says so). */
  sampled: boolean;
  features: FeatureReport[];
}

/** Progress of {@link buildDriftReport}: windows done of all windows, and calls read so far. */
export type ReportProgress = (done: number, total: number, label: string) => void;

/**
 * Samples both windows of every feature and compares them.
 *
 * @throws {RangeError} for an unknown feature name or an empty window range.
 * @example
 * ```ts
 * const report = await buildDriftReport(source, {
 *   projectId: 'default', features: ['latency', 'model'],
 *   reference: { fromMs: lastWeek, toMs: yesterday }, current: { fromMs: yesterday, toMs: now },
 * });
 * writeFileSync('report.html', renderDriftReportHtml(report));
 * ```
 */
export async function buildDriftReport(
  source: FeatureSource,
  options: DriftReportOptions,
  onProgress?: ReportProgress,
  nowMs: number = Date.now(),
): Promise<DriftReport> {
  const specs = options.features.map((name) => {
    const f = parseFeature(name);
    if (isFeatureError(f)) throw new RangeError(f.error);
    return f;
  });
  for (const [label, w] of [
    ['reference', options.reference],
    ['current', options.current],
  ] as const) {
    if (!(w.fromMs < w.toMs)) throw new RangeError(`${label} window: from must be before to`);
  }
  const cap = options.sampleCap ?? DEFAULT_SAMPLE_CAP;
  const filters = options.filters ?? {};
  const seed =
    options.seed ??
    hashSeed(
      `${options.reference.fromMs}:${options.reference.toMs}:${options.current.fromMs}:${options.current.toMs}`,
    );
  const features: FeatureReport[] = [];
  const steps = specs.length * 2;
  let done = 0;
  for (const spec of specs) {
    const windows = [];
    for (const [label, w, s] of [
      ['reference', options.reference, seed],
      ['current', options.current, (seed + 1) >>> 0],
    ] as const) {
      onProgress?.(done, steps, `${spec.name} ${label}`);
      windows.push(
        await source.sample(options.projectId, spec, filters, w.fromMs, w.toMs, cap, s, () =>
          onProgress?.(done, steps, `${spec.name} ${label}`),
        ),
      );
      done++;
    }
    const [ref, cur] = windows as [(typeof windows)[0], (typeof windows)[0]];
    const comparison = compareSamples(ref, cur, {
      method: options.method ?? 'auto',
      threshold: options.threshold,
      minSamples: options.minSamples ?? DEFAULT_MIN_SAMPLES,
    });
    features.push({
      feature: spec.name,
      ...comparison,
      reference: {
        ...options.reference,
        total: ref.total,
        size: ref.values.length,
        sampled: ref.sampled,
      },
      current: {
        ...options.current,
        total: cur.total,
        size: cur.values.length,
        sampled: cur.sampled,
      },
    });
  }
  onProgress?.(steps, steps, 'done');
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    version: 1,
    projectId: options.projectId,
    generatedAt: iso(nowMs),
    filters,
    reference: { from: iso(options.reference.fromMs), to: iso(options.reference.toMs) },
    current: { from: iso(options.current.fromMs), to: iso(options.current.toMs) },
    sampleCap: cap,
    seed,
    sampled: features.some((f) => f.reference.sampled || f.current.sampled),
    features,
  };
}

/**
 * The report as JSON text. JSON has no infinity: an infinite statistic (a goodness-of-fit
 * test meeting a new category) is written as the string `"Infinity"`.
 */
export function driftReportJson(report: DriftReport): string {
  return JSON.stringify(
    report,
    (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : (v as unknown),
    2,
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:760px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem .2rem 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5468}.muted{color:#6b7487}.note{background:#fff7e0;border-left:3px solid #e0a800;padding:.4rem .7rem}
.drift{color:#b42318;font-weight:700}.stable{color:#067647;font-weight:700}.nodata{color:#6b7487;font-weight:700}
svg{display:block;margin:.5rem 0;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#4a5468}
.legend span{display:inline-block;margin-right:1rem}.ref{color:${REFERENCE_COLOR}}.cur{color:${CURRENT_COLOR}}
`.trim();

/** `sha256-...` of the inline style, for the Content-Security-Policy. */
export function driftReportStyleHash(): string {
  return `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;
}

/** The Content-Security-Policy the HTML report declares (also for serving it). */
export function driftReportCsp(): string {
  return `default-src 'none'; style-src '${driftReportStyleHash()}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
}

/**
 * Renders a report as one self-contained HTML document: a table per feature and its
 * charts as inline SVG (histogram overlay and ECDF for numeric features, paired bars for
 * categories). Opens offline; no script runs.
 */
export function renderDriftReportHtml(report: DriftReport): string {
  const drifted = report.features.filter((f) => f.drifted).map((f) => f.feature);
  const filters = Object.entries(report.filters)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  const sections = report.features.map(renderFeature).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(driftReportCsp())}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report · ${esc(report.projectId)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Drift report</h1>
<p class="muted">Project <b>${esc(report.projectId)}</b>${filters ? ` · ${esc(filters)}` : ''} · generated ${esc(report.generatedAt)}</p>
<table>
<tr><th>Reference</th><td>${esc(report.reference.from)} → ${esc(report.reference.to)}</td></tr>
<tr><th>Current</th><td>${esc(report.current.from)} → ${esc(report.current.to)}</td></tr>
<tr><th>Verdict</th><td>${
    drifted.length === 0
      ? '<span class="stable">no drift detected</span>'
      : `<span class="drift">drift in ${drifted.length} of ${report.features.length} features</span>: ${esc(drifted.join(', '))}`
  }</td></tr>
</table>
${
  report.sampled
    ? `<p class="note">Windows with more than ${report.sampleCap.toLocaleString('en-US')} values were sampled uniformly at random (seed ${report.seed}); sample sizes are shown per feature.</p>`
    : ''
}
<p class="legend"><span class="ref">■ reference</span><span class="cur">■ current</span></p>
${sections}
</body>
</html>
`;
}

function renderFeature(f: FeatureReport): string {
  const verdict =
    f.status !== 'ok'
      ? `<span class="nodata">${f.status === 'insufficient_data' ? 'not enough data' : 'error'}</span>`
      : f.drifted
        ? '<span class="drift">drift</span>'
        : '<span class="stable">no drift</span>';
  const size = (w: WindowSummary) =>
    w.sampled
      ? `${w.size.toLocaleString('en-US')} sampled of ${w.total.toLocaleString('en-US')}`
      : w.size.toLocaleString('en-US');
  const charts: string[] = [];
  if (f.bins !== null) charts.push(renderBins(f.bins, f.feature, f.reference.size, f.current.size));
  if (f.quantiles !== null) charts.push(renderEcdf(f.quantiles, f.feature));
  return `<section>
<h2>${esc(f.feature)} <span class="muted">(${f.kind})</span> — ${verdict}</h2>
<table>
<tr><th>Method</th><td>${esc(f.method ?? '—')}</td><th>Threshold</th><td>${fmt(f.threshold)}</td></tr>
<tr><th>Statistic</th><td>${fmt(f.statistic)}</td><th>p-value</th><td>${fmt(f.pValue)}</td></tr>
<tr><th>Reference size</th><td>${size(f.reference)}</td><th>Current size</th><td>${size(f.current)}</td></tr>
</table>
${f.message === undefined ? '' : `<p class="note">${esc(f.message)}</p>`}
${charts.join('\n')}
</section>`;
}

/** Histogram overlay (edges) or paired bars (one per value), as shares of each window. */
function renderBins(bins: Bins, feature: string, nRef: number, nCur: number): string {
  const w = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const h = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const ref = bins.referenceCounts.map((c) => c / Math.max(nRef, 1));
  const cur = bins.currentCounts.map((c) => c / Math.max(nCur, 1));
  let index = ref.map((_, i) => i);
  let labels: string[];
  if (bins.binning === 'per_value') {
    if (index.length > MAX_BARS) {
      index = index
        .sort((a, b) => Math.max(ref[b]!, cur[b]!) - Math.max(ref[a]!, cur[a]!))
        .slice(0, MAX_BARS)
        .sort((a, b) => a - b);
    }
    labels = index.map((i) => String(bins.keys[i]));
  } else {
    labels = index.map((i) => fmtShort(bins.edges[i]!));
  }
  const top = Math.max(1e-9, ...index.map((i) => Math.max(ref[i]!, cur[i]!)));
  const slot = w / index.length;
  const y = (v: number) => MARGIN.top + h - (v / top) * h;
  const parts: string[] = [];
  const overlay = bins.binning !== 'per_value';
  index.forEach((i, k) => {
    const x0 = MARGIN.left + k * slot;
    const rh = (ref[i]! / top) * h;
    const ch = (cur[i]! / top) * h;
    if (overlay) {
      parts.push(
        `<rect class="bar-ref" x="${r(x0)}" y="${r(y(ref[i]!))}" width="${r(slot)}" height="${r(rh)}" fill="${REFERENCE_COLOR}" fill-opacity="0.55"><title>${esc(`${labels[k]}: reference ${pct(ref[i]!)}`)}</title></rect>`,
        `<rect class="bar-cur" x="${r(x0)}" y="${r(y(cur[i]!))}" width="${r(slot)}" height="${r(ch)}" fill="${CURRENT_COLOR}" fill-opacity="0.55"><title>${esc(`${labels[k]}: current ${pct(cur[i]!)}`)}</title></rect>`,
      );
    } else {
      const bw = Math.max(1, slot * 0.4);
      parts.push(
        `<rect class="bar-ref" x="${r(x0 + slot * 0.1)}" y="${r(y(ref[i]!))}" width="${r(bw)}" height="${r(rh)}" fill="${REFERENCE_COLOR}"><title>${esc(`${labels[k]}: reference ${pct(ref[i]!)}`)}</title></rect>`,
        `<rect class="bar-cur" x="${r(x0 + slot * 0.5)}" y="${r(y(cur[i]!))}" width="${r(bw)}" height="${r(ch)}" fill="${CURRENT_COLOR}"><title>${esc(`${labels[k]}: current ${pct(cur[i]!)}`)}</title></rect>`,
      );
    }
  });
  // x labels: every category, or a few bin edges
  const every = overlay ? Math.max(1, Math.ceil(index.length / 6)) : 1;
  index.forEach((_, k) => {
    if (k % every !== 0) return;
    const x = overlay ? MARGIN.left + k * slot : MARGIN.left + (k + 0.5) * slot;
    // keep clear of the last edge's label, drawn at the right end
    if (overlay && x > MARGIN.left + w - 48) return;
    const text = labels[k]!.length > 14 ? `${labels[k]!.slice(0, 13)}…` : labels[k]!;
    parts.push(
      `<text x="${r(x)}" y="${CHART_HEIGHT - MARGIN.bottom + 14}" text-anchor="${overlay ? 'start' : 'middle'}">${esc(text)}</text>`,
    );
  });
  if (bins.binning !== 'per_value') {
    parts.push(
      `<text x="${MARGIN.left + w}" y="${CHART_HEIGHT - MARGIN.bottom + 14}" text-anchor="end">${esc(fmtShort(bins.edges[bins.edges.length - 1]!))}</text>`,
    );
  }
  const title = overlay
    ? `${feature}: histogram (share of window)`
    : `${feature}: share of window per value`;
  return svg(title, [...axes(top, h), ...parts].join(''));
}

/** Both windows' empirical CDFs, from their quantiles. */
function renderEcdf(q: { reference: number[]; current: number[] }, feature: string): string {
  const w = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const h = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = [...q.reference, ...q.current];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x = (v: number) => MARGIN.left + ((v - lo) / (hi - lo)) * w;
  const y = (p: number) => MARGIN.top + h - p * h;
  const line = (values: number[], color: string, cls: string) =>
    `<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="2" points="${values
      .map((v, i) => `${r(x(v))},${r(y(i / (values.length - 1)))}`)
      .join(' ')}"/>`;
  const body = [
    ...axes(1, h),
    line(q.reference, REFERENCE_COLOR, 'ecdf-ref'),
    line(q.current, CURRENT_COLOR, 'ecdf-cur'),
    `<text x="${MARGIN.left}" y="${CHART_HEIGHT - MARGIN.bottom + 14}">${esc(fmtShort(lo))}</text>`,
    `<text x="${MARGIN.left + w}" y="${CHART_HEIGHT - MARGIN.bottom + 14}" text-anchor="end">${esc(fmtShort(hi))}</text>`,
  ];
  return svg(`${feature}: empirical CDF`, body.join(''));
}

function axes(top: number, h: number): string[] {
  const x0 = MARGIN.left;
  const x1 = CHART_WIDTH - MARGIN.right;
  const yBottom = MARGIN.top + h;
  return [
    `<line x1="${x0}" y1="${yBottom}" x2="${x1}" y2="${yBottom}" stroke="#9aa3b5"/>`,
    `<line x1="${x0}" y1="${MARGIN.top}" x2="${x0}" y2="${yBottom}" stroke="#9aa3b5"/>`,
    `<text x="${x0 - 6}" y="${yBottom}" text-anchor="end">0</text>`,
    `<text x="${x0 - 6}" y="${MARGIN.top + 10}" text-anchor="end">${esc(top === 1 ? '1' : pct(top))}</text>`,
  ];
}

function svg(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}<text x="${MARGIN.left}" y="${CHART_HEIGHT - 8}">${esc(title)}</text></svg>`;
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function fmt(v: number | null): string {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

function fmtShort(v: number): string {
  if (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

function esc(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
