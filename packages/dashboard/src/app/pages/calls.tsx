import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  type CallRecord,
  listSpans,
  SPAN_RANGE_PARAMS,
  type SpanPage,
  type SpanRangeParam,
} from '../api.js';
import { Empty, ErrorBox, Loading } from '../components.js';
import { DASH, fmtConfidence, fmtInt, fmtMs, fmtTime, fmtUsd } from '../format.js';
import { type Location, navigate, updateQuery } from '../router.js';
import { timeWindow } from '../time.js';

/** Rows per page of the table. */
const PAGE_SIZE = 50;

/** The exact-match text filters, in the order the form shows them; each is a query parameter. */
const TEXT_FILTERS = [
  {
    name: 'service',
    label: 'Service',
    placeholder: 'any service',
    of: (c: CallRecord) => c.serviceName,
  },
  { name: 'model', label: 'Model', placeholder: 'any model', of: (c: CallRecord) => c.model },
  {
    name: 'provider',
    label: 'Provider',
    placeholder: 'any provider',
    of: (c: CallRecord) => c.provider,
  },
  {
    name: 'operation',
    label: 'Operation',
    placeholder: 'any operation',
    of: (c: CallRecord) => c.operation,
  },
] as const;

type TextFilter = (typeof TEXT_FILTERS)[number]['name'];

/** The numeric columns' range filters: a min and a max input each, inclusive. */
const RANGE_FILTERS = [
  { label: 'Latency', unit: 'ms', min: 'minLatencyMs', max: 'maxLatencyMs', step: 'any' },
  { label: 'TTFT', unit: 'ms', min: 'minTtftMs', max: 'maxTtftMs', step: 'any' },
  { label: 'Tokens', unit: 'in + out', min: 'minTokens', max: 'maxTokens', step: '1' },
  { label: 'Cost', unit: 'USD', min: 'minCostUsd', max: 'maxCostUsd', step: 'any' },
  { label: 'Confidence', unit: '0–1', min: 'minConfidence', max: 'maxConfidence', step: 'any' },
] as const satisfies readonly {
  label: string;
  unit: string;
  min: SpanRangeParam;
  max: SpanRangeParam;
  step: string;
}[];

/** A bound as the API takes it (a plain non-negative decimal), or '' when it is not one. */
function bound(value: string | null): string {
  const v = (value ?? '').trim();
  return /^\d{1,15}(\.\d{1,15})?$/.test(v) ? v : '';
}

export function traceHref(call: Pick<CallRecord, 'traceId' | 'spanId'>): string {
  return `/traces/${call.traceId}?span=${call.spanId}`;
}

function tokens(c: CallRecord): string {
  if (c.inputTokens === null && c.outputTokens === null) return DASH;
  return `${fmtInt(c.inputTokens)}→${fmtInt(c.outputTokens)}${c.tokensEstimated ? ' (est.)' : ''}`;
}

export function CallsPage(props: { loc: Location; nowMs: number }) {
  const { query } = props.loc;
  const text = Object.fromEntries(
    TEXT_FILTERS.map((f) => [f.name, query.get(f.name) ?? '']),
  ) as Record<TextFilter, string>;
  const ranges = Object.fromEntries(
    SPAN_RANGE_PARAMS.map((name) => [name, bound(query.get(name))]),
  ) as Record<SpanRangeParam, string>;
  const status = query.get('status') ?? '';
  const traceId = query.get('traceId') ?? '';
  const win = timeWindow(query, props.nowMs);
  // Cursors of the pages before the current one; [] on the first page.
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [page, setPage] = useState<SpanPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const filterKey = `${TEXT_FILTERS.map((f) => text[f.name]).join('|')}|${SPAN_RANGE_PARAMS.map((n) => ranges[n]).join('|')}|${status}|${traceId}|${query.get('range')}|${query.get('from')}|${query.get('to')}`;

  // New filters start from the first page.
  useEffect(() => {
    setCursors([]);
    setCursor(undefined);
  }, [filterKey]);

  // A rolling window refreshes only the first page, so the rows under the reader stay put.
  const refreshKey = cursor === undefined ? props.nowMs : 0;
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    listSpans(
      {
        model: text.model || undefined,
        service: text.service || undefined,
        provider: text.provider || undefined,
        operation: text.operation || undefined,
        ranges,
        status: status === 'ok' || status === 'error' ? status : undefined,
        traceId: /^[0-9a-fA-F]{32}$/.test(traceId) ? traceId : undefined,
        fromMs: win.fromMs,
        toMs: win.toMs,
        limit: PAGE_SIZE,
        cursor,
      },
      ac.signal,
    ).then(setPage, (e: unknown) => {
      if (!ac.signal.aborted) setError(e);
    });
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterKey, cursor, refreshKey, attempt]);

  // Suggestions for each text filter: the values on the current page.
  const options = useMemo(() => {
    const seen = Object.fromEntries(TEXT_FILTERS.map((f) => [f.name, new Set<string>()]));
    for (const c of page?.data ?? []) {
      for (const f of TEXT_FILTERS) {
        const v = f.of(c);
        if (v) seen[f.name]?.add(v);
      }
    }
    return Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v].sort()])) as Record<
      TextFilter,
      string[]
    >;
  }, [page]);

  const filtered = Boolean(
    TEXT_FILTERS.some((f) => text[f.name]) ||
      SPAN_RANGE_PARAMS.some((n) => ranges[n]) ||
      status ||
      traceId,
  );
  return (
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">Calls</h1>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          updateQuery({
            ...Object.fromEntries(
              TEXT_FILTERS.map((f) => [f.name, String(data.get(f.name) ?? '').trim()]),
            ),
            ...Object.fromEntries(
              SPAN_RANGE_PARAMS.map((n) => [n, bound(String(data.get(n) ?? ''))]),
            ),
            traceId: String(data.get('traceId') ?? '').trim(),
          });
        }}
      >
        {TEXT_FILTERS.map((f) => (
          <label key={f.name}>
            {f.label}
            <input
              name={f.name}
              list={`${f.name}-options`}
              defaultValue={text[f.name]}
              key={`${f.name}-${text[f.name]}`}
              placeholder={f.placeholder}
              onChange={(e) => updateQuery({ [f.name]: e.currentTarget.value.trim() })}
            />
            <datalist id={`${f.name}-options`}>
              {options[f.name].map((v) => (
                <option key={v} value={v} />
              ))}
            </datalist>
          </label>
        ))}
        {RANGE_FILTERS.map((f) => (
          <fieldset class="range" key={f.min}>
            <legend>
              {f.label} <span class="unit">({f.unit})</span>
            </legend>
            {(['min', 'max'] as const).map((end) => {
              const name = f[end];
              return (
                <input
                  key={`${name}-${ranges[name]}`}
                  name={name}
                  class="range-input"
                  type="number"
                  min="0"
                  max={f.label === 'Confidence' ? '1' : undefined}
                  step={f.step}
                  inputMode="decimal"
                  aria-label={`${end === 'min' ? 'Min' : 'Max'} ${f.label.toLowerCase()}`}
                  placeholder={end}
                  defaultValue={ranges[name]}
                  onChange={(e) => updateQuery({ [name]: bound(e.currentTarget.value) })}
                />
              );
            })}
          </fieldset>
        ))}
        <label>
          Status
          <select
            name="status"
            value={status}
            onChange={(e) => updateQuery({ status: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Trace id
          <input
            name="traceId"
            defaultValue={traceId}
            key={`t-${traceId}`}
            placeholder="32 hex characters"
            pattern="[0-9a-fA-F]{32}"
            size={34}
            onChange={(e) => updateQuery({ traceId: e.currentTarget.value.trim() })}
          />
        </label>
        <span class="window">{win.label}</span>
        {filtered ? (
          <button
            type="button"
            onClick={() =>
              updateQuery({
                ...Object.fromEntries(TEXT_FILTERS.map((f) => [f.name, null])),
                ...Object.fromEntries(SPAN_RANGE_PARAMS.map((n) => [n, null])),
                status: null,
                traceId: null,
              })
            }
          >
            Clear filters
          </button>
        ) : null}
      </form>
      {error ? (
        <ErrorBox error={error} retry={() => setAttempt((n) => n + 1)} />
      ) : page === null ? (
        <Loading what="calls" />
      ) : page.data.length === 0 && cursor === undefined ? (
        filtered ? (
          <Empty title="No calls match these filters">
            <p>Widen the time range or clear the filters.</p>
          </Empty>
        ) : (
          <Empty title="No calls in this time range yet">
            <p>Send your first trace: with the collector running (`npm start`), run</p>
            <pre class="command">npm run example:openai</pre>
            <p>
              or point any OpenTelemetry exporter at <code>{window.location.origin}/v1/traces</code>
              . Then widen the time range if needed.
            </p>
          </Empty>
        )
      ) : (
        <>
          <CallsTable calls={page.data} />
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length === 0}
              onClick={() => {
                const prev = cursors.slice(0, -1);
                setCursor(
                  cursors[cursors.length - 1] === '' ? undefined : cursors[cursors.length - 1],
                );
                setCursors(prev);
              }}
            >
              ← Newer
            </button>
            <span>
              Page {cursors.length + 1} · {page.data.length} calls
            </span>
            <button
              type="button"
              disabled={page.nextCursor === null}
              onClick={() => {
                setCursors([...cursors, cursor ?? '']);
                setCursor(page.nextCursor ?? undefined);
              }}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function CallsTable(props: { calls: CallRecord[] }) {
  const body = useRef<HTMLTableSectionElement>(null);
  const onKey = (e: KeyboardEvent, call: CallRecord) => {
    const row = e.currentTarget as HTMLTableRowElement;
    if (e.key === 'Enter' && e.target === row) {
      e.preventDefault();
      navigate(traceHref(call));
    } else if (e.key === 'ArrowDown' || e.key === 'j') {
      e.preventDefault();
      (row.nextElementSibling as HTMLElement | null)?.focus();
    } else if (e.key === 'ArrowUp' || e.key === 'k') {
      e.preventDefault();
      (row.previousElementSibling as HTMLElement | null)?.focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      (body.current?.firstElementChild as HTMLElement | null)?.focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      (body.current?.lastElementChild as HTMLElement | null)?.focus();
    }
  };
  return (
    <div class="table-wrap">
      <table class="calls" aria-describedby="calls-help">
        <caption id="calls-help">
          Newest first. ↑/↓ move between rows, Enter opens the trace.
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Service</th>
            <th scope="col">Model</th>
            <th scope="col">Operation</th>
            <th scope="col">Span</th>
            <th scope="col" class="num">
              Latency
            </th>
            <th scope="col" class="num">
              TTFT
            </th>
            <th scope="col" class="num">
              Tokens in → out
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              Confidence
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody ref={body}>
          {props.calls.map((c) => (
            <tr
              key={`${c.traceId}-${c.spanId}`}
              tabIndex={0}
              class={c.status === 'error' ? 'row-error' : undefined}
              data-span-id={c.spanId}
              onKeyDown={(e) => onKey(e, c)}
              onClick={(e) => {
                // The span name is a link of its own; elsewhere a click on the row opens it too,
                // unless the reader is selecting text.
                if ((e.target as Element).closest('a') || window.getSelection()?.toString()) return;
                navigate(traceHref(c));
              }}
            >
              <td class="mono" title={c.startTime}>
                {fmtTime(c.startTime).slice(5)}
              </td>
              <td class="svc" title={c.serviceName ?? undefined}>
                {c.serviceName ?? DASH}
              </td>
              <td class="model" title={c.model ?? undefined}>
                {c.model ?? DASH}
              </td>
              <td>{c.operation ?? DASH}</td>
              <td class="clip" title={c.name}>
                <a href={traceHref(c)} tabIndex={-1}>
                  {c.name}
                </a>
              </td>
              <td class="num">{fmtMs(c.durationMs)}</td>
              <td class="num">{fmtMs(c.ttftMs)}</td>
              <td class="num">{tokens(c)}</td>
              <td class="num">{fmtUsd(c.costUsd)}</td>
              <td class="num">{fmtConfidence(c.confidence)}</td>
              <td>
                <StatusBadge status={c.status} errorType={c.errorType} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function StatusBadge(props: { status: 'ok' | 'error'; errorType?: string | null }) {
  return props.status === 'error' ? (
    <span class="badge badge-error" title={props.errorType ?? 'error'}>
      ✖ error{props.errorType ? `: ${props.errorType}` : ''}
    </span>
  ) : (
    <span class="badge badge-ok">✓ ok</span>
  );
}
