/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): it throws on anything
 * malformed (bad names, escapes or values, samples without a TYPE, duplicate series,
 * non-cumulative histogram buckets) instead of guessing.
 */

export interface Sample {
  /** Full sample name (`x_bucket`, `x_sum`, `x_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function value(text: string, line: string): number {
  // Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any letter case.
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value: ${line}`);
  return Number(text);
}

function labels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const out: Record<string, string> = {};
  let i = 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL.test(name) || name in out || text[eq + 1] !== '"') {
      throw new Error(`bad label: ${line}`);
    }
    let v = '';
    let j = eq + 2;
    for (; text[j] !== '"'; j++) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value: ${line}`);
      if (c === '\\') {
        const e = text[++j];
        if (e === 'n') v += '\n';
        else if (e === '\\' || e === '"') v += e;
        else throw new Error(`bad escape: ${line}`);
      } else v += c;
    }
    out[name] = v;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected , or }: ${line}`);
  }
  return { labels: out, rest: text.slice(i + 1) };
}

/** Parses an exposition into families by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
          throw new Error(`bad type: ${line}`);
        }
        f.type = rest as Family['type'];
      } else f.help = rest;
      families.set(name, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`bad sample: ${line}`);
    let rest = line.slice(name.length);
    let l: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels: l, rest } = labels(rest, line));
    const parts = rest.trim().split(' ');
    if (!rest.startsWith(' ') || parts.length > 2) throw new Error(`bad sample: ${line}`);
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const f =
      families.get(name) ??
      (families.get(base)?.type === 'histogram' ? families.get(base) : undefined);
    if (f === undefined) throw new Error(`sample without a TYPE: ${line}`);
    const id = `${name}${JSON.stringify(Object.entries(l).sort())}`;
    if (seen.has(id)) throw new Error(`duplicate series: ${line}`);
    seen.add(id);
    f.samples.push({ name, labels: l, value: value(parts[0]!, line) });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function seriesKey(l: Record<string, string>): string {
  const { le: _le, ...rest } = l;
  return JSON.stringify(Object.entries(rest).sort());
}

function checkHistogram(f: Family): void {
  for (const s of histogramSeries(f)) {
    let previous = 0;
    for (const [, count] of s.buckets) {
      if (count < previous) throw new Error(`${f.name}: buckets not cumulative`);
      previous = count;
    }
    const inf = s.buckets.find(([le]) => le === Number.POSITIVE_INFINITY);
    if (inf === undefined || inf[1] !== s.count) throw new Error(`${f.name}: +Inf != _count`);
  }
}

/** One labelled series of a histogram family. */
export interface HistogramSeries {
  labels: Record<string, string>;
  buckets: Array<[le: number, count: number]>;
  sum: number;
  count: number;
}

/** The series of a histogram family, each with its buckets (ascending `le`), sum and count. */
export function histogramSeries(f: Family): HistogramSeries[] {
  const byKey = new Map<string, HistogramSeries>();
  for (const s of f.samples) {
    const key = seriesKey(s.labels);
    let h = byKey.get(key);
    if (h === undefined) {
      const { le: _le, ...rest } = s.labels;
      h = { labels: rest, buckets: [], sum: Number.NaN, count: Number.NaN };
      byKey.set(key, h);
    }
    if (s.name.endsWith('_bucket')) h.buckets.push([value(s.labels.le ?? '', s.name), s.value]);
    else if (s.name.endsWith('_sum')) h.sum = s.value;
    else if (s.name.endsWith('_count')) h.count = s.value;
  }
  for (const h of byKey.values()) h.buckets.sort((a, b) => a[0] - b[0]);
  return [...byKey.values()];
}
