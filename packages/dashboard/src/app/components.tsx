import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#D55E00', // vermillion
  '#F0E442', // yellow
  '#000000',
] as const;

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

export function Loading(props: { what?: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function ErrorBox(props: { error: unknown; retry?: () => void }) {
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <div class="state error-box" role="alert">
      <strong>Could not load:</strong> {message}
      {props.retry ? (
        <button type="button" onClick={props.retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

/** An id with a button that copies it. */
export function CopyId(props: { label: string; value: string | null }) {
  const [copied, setCopied] = useState(false);
  if (props.value === null) return null;
  const value = props.value;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard refused (insecure context, permissions): select the text instead.
      const el = document.getElementById(`id-${props.label}`);
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  };
  return (
    <div class="copy-id">
      <span class="label">{props.label}</span>
      <code id={`id-${props.label}`}>{value}</code>
      <button type="button" onClick={copy} aria-label={`Copy ${props.label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color?: string;
}

/** A uPlot time-series chart; `x` in Unix seconds. */
export function Chart(props: {
  title: string;
  x: number[];
  series: ChartSeries[];
  format?: (v: number) => string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { title, x, series, format, height } = props;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = format ?? ((v: number) => String(v));
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: height ?? 200,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#444', grid: { stroke: '#eee' } },
        {
          stroke: '#444',
          grid: { stroke: '#eee' },
          size: 70,
          values: (_u, splits) => splits.map((v) => fmt(v)),
        },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? colorAt(i),
          width: 2,
          // Dashes as well as colours, so series differ without colour vision.
          dash:
            i === 0
              ? []
              : [
                  [6, 3],
                  [2, 2],
                  [10, 4],
                  [4, 4],
                ][i % 4],
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
          // Isolated values are invisible as lines: draw points when a series is sparse.
          points: { show: s.values.filter((v) => v !== null).length < 40 || x.length < 40 },
        })),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, el.clientWidth), height: height ?? 200 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, format, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
