import { useEffect, useMemo, useState } from 'preact/hooks';
import { type CallRecord, type Feedback, getTrace, type TraceResponse } from '../api.js';
import { CopyId, Empty, ErrorBox, Loading } from '../components.js';
import { DASH, fmtConfidence, fmtInt, fmtMs, fmtTime, fmtUsd, toJsonText } from '../format.js';
import { type Location, updateQuery } from '../router.js';
import { StatusBadge } from './calls.js';

interface Row {
  span: CallRecord;
  depth: number;
  offsetMs: number;
}

/** Parent before children, siblings by start time; orphans (parent not stored) at the root. */
export function flattenTree(spans: CallRecord[]): { rows: Row[]; totalMs: number } {
  if (spans.length === 0) return { rows: [], totalMs: 0 };
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, CallRecord[]>();
  for (const s of spans) {
    const parent = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const start = spans.reduce(
    (min, s) => {
      const t = BigInt(s.startTimeUnixNano);
      return t < min ? t : min;
    },
    BigInt(spans[0]?.startTimeUnixNano ?? '0'),
  );
  const offset = (s: CallRecord) => Number(BigInt(s.startTimeUnixNano) - start) / 1e6;
  const rows: Row[] = [];
  const visit = (parent: string | null, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => offset(a) - offset(b));
    for (const s of list) {
      rows.push({ span: s, depth, offsetMs: offset(s) });
      visit(s.spanId, depth + 1);
    }
  };
  visit(null, 0);
  const totalMs = Math.max(1e-3, ...rows.map((r) => r.offsetMs + r.span.durationMs));
  return { rows, totalMs };
}

export function TracePage(props: { traceId: string; loc: Location }) {
  const [trace, setTrace] = useState<TraceResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    setTrace(null);
    getTrace(props.traceId, ac.signal).then(setTrace, (e: unknown) => {
      if (!ac.signal.aborted) setError(e);
    });
    return () => ac.abort();
  }, [props.traceId, attempt]);

  const tree = useMemo(() => flattenTree(trace?.spans ?? []), [trace]);
  const selectedId = props.loc.query.get('span');
  const selected =
    tree.rows.find((r) => r.span.spanId === selectedId)?.span ??
    tree.rows.find((r) => r.span.operation !== null)?.span ??
    tree.rows[0]?.span;

  if (error) {
    return (
      <section>
        <h1>Trace</h1>
        <ErrorBox error={error} retry={() => setAttempt((n) => n + 1)} />
      </section>
    );
  }
  if (trace === null) return <Loading what="trace" />;
  if (tree.rows.length === 0) return <Empty title="This trace has no spans" />;
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">Trace</h1>
      <CopyId label="trace id" value={trace.traceId} />
      <Waterfall rows={tree.rows} totalMs={tree.totalMs} selectedId={selected?.spanId ?? null} />
      <FeedbackList feedback={trace.feedback ?? []} spans={trace.spans} />
      {selected ? <SpanDetails span={selected} /> : null}
    </section>
  );
}

function Waterfall(props: { rows: Row[]; totalMs: number; selectedId: string | null }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div class="waterfall" role="listbox" aria-label="Spans">
      <div class="wf-head" aria-hidden="true">
        <span class="wf-name">Span</span>
        <span class="wf-track">
          {ticks.map((t) => (
            <span
              key={t}
              class="wf-tick"
              ref={(el) => el?.style.setProperty('left', `${t * 100}%`)}
            >
              {fmtMs(t * props.totalMs)}
            </span>
          ))}
        </span>
        <span class="wf-dur">Duration</span>
      </div>
      {props.rows.map((r) => {
        const left = (r.offsetMs / props.totalMs) * 100;
        const width = Math.max(0.4, (r.span.durationMs / props.totalMs) * 100);
        const selected = r.span.spanId === props.selectedId;
        return (
          <button
            type="button"
            role="option"
            aria-selected={selected}
            key={r.span.spanId}
            data-span-id={r.span.spanId}
            class={`wf-row${selected ? ' selected' : ''}${r.span.status === 'error' ? ' error' : ''}`}
            onClick={() => updateQuery({ span: r.span.spanId }, { replace: true })}
            onKeyDown={(e) => {
              const el = e.currentTarget;
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                (el.nextElementSibling as HTMLElement | null)?.focus();
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                const prev = el.previousElementSibling as HTMLElement | null;
                if (prev?.classList.contains('wf-row')) prev.focus();
              }
            }}
          >
            <span
              class="wf-name"
              ref={(el) => el?.style.setProperty('padding-left', `${r.depth * 16 + 4}px`)}
            >
              {r.span.status === 'error' ? '✖ ' : ''}
              {r.span.name}
              {r.span.model ? <span class="muted"> · {r.span.model}</span> : null}
            </span>
            <span class="wf-track">
              <span
                class={`wf-bar${r.span.operation ? ' genai' : ''}`}
                ref={(el) => {
                  el?.style.setProperty('left', `${Math.min(left, 99.6)}%`);
                  el?.style.setProperty('width', `${Math.min(width, 100 - Math.min(left, 99.6))}%`);
                }}
              />
            </span>
            <span class="wf-dur">
              {fmtMs(r.span.durationMs)}
              <span class="muted"> @{fmtMs(r.offsetMs)}</span>
            </span>
          </button>
        );
      })}
    </div>
  );
}

/** Scores and comments users gave on this trace's calls (`recordFeedback`). */
function FeedbackList(props: { feedback: Feedback[]; spans: CallRecord[] }) {
  if (props.feedback.length === 0) return null;
  const names = new Map(props.spans.map((s) => [s.spanId, s.name]));
  return (
    <section class="feedback" aria-labelledby="feedback-title">
      <h2 id="feedback-title">Feedback ({props.feedback.length})</h2>
      <table class="feedback">
        <thead>
          <tr>
            <th scope="col" class="num">
              Score
            </th>
            <th scope="col">Label</th>
            <th scope="col">Comment</th>
            <th scope="col">On</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {props.feedback.map((f) => (
            <tr key={f.id}>
              <td class="num">{f.score}</td>
              <td>{f.label ?? DASH}</td>
              <td>{f.comment ?? DASH}</td>
              <td>
                {f.spanId === null ? (
                  'whole trace'
                ) : (
                  <button
                    type="button"
                    class="link"
                    onClick={() => updateQuery({ span: f.spanId ?? '' }, { replace: true })}
                  >
                    {names.get(f.spanId) ?? f.spanId}
                  </button>
                )}
              </td>
              <td>{fmtTime(f.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Field(props: { label: string; children: preact.ComponentChildren }) {
  return (
    <div class="field">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function SpanDetails(props: { span: CallRecord }) {
  const s = props.span;
  const params = Object.entries(s.attributes).filter(
    ([k]) => k.startsWith('gen_ai.request.') && k !== 'gen_ai.request.model',
  );
  return (
    <article class="span-details" aria-label={`Span ${s.name}`}>
      <h2>
        {s.name} <StatusBadge status={s.status} errorType={s.errorType} />
      </h2>
      <div class="ids">
        <CopyId label="span id" value={s.spanId} />
        <CopyId label="parent span id" value={s.parentSpanId} />
        <CopyId label="response id" value={s.responseId} />
      </div>
      <dl class="fields">
        <Field label="Start">{fmtTime(s.startTime)}</Field>
        <Field label="Duration">{fmtMs(s.durationMs)}</Field>
        <Field label="TTFT">{fmtMs(s.ttftMs)}</Field>
        <Field label="Service">{s.serviceName ?? DASH}</Field>
        <Field label="Operation">{s.operation ?? DASH}</Field>
        <Field label="Provider">{s.provider ?? DASH}</Field>
        <Field label="Model">
          {s.model ?? DASH}
          {s.responseModel && s.responseModel !== s.model ? ` → ${s.responseModel}` : ''}
        </Field>
        <Field label="Finish reasons">{s.finishReasons?.join(', ') || DASH}</Field>
        <Field label="Input tokens">
          {fmtInt(s.inputTokens)}
          {s.tokensEstimated ? ' (estimated)' : ''}
        </Field>
        <Field label="Output tokens">{fmtInt(s.outputTokens)}</Field>
        <Field label="Cache read / write">
          {fmtInt(s.cacheReadInputTokens)} / {fmtInt(s.cacheCreationInputTokens)}
        </Field>
        <Field label="Reasoning tokens">{fmtInt(s.reasoningOutputTokens)}</Field>
        <Field label="Cost">
          {fmtUsd(s.costUsd)}
          {s.costSource
            ? ` (priced by the ${s.costSource})`
            : s.costUsd === null
              ? ' (unknown price)'
              : ''}
        </Field>
        <Field label="Confidence">{fmtConfidence(s.confidence)}</Field>
        <Field label="Error">{s.status === 'error' ? (s.errorType ?? 'error') : DASH}</Field>
        <Field label="Dialect">{s.sourceDialect ?? DASH}</Field>
      </dl>
      {params.length > 0 ? (
        <>
          <h3>Model parameters</h3>
          <dl class="fields">
            {params.map(([k, v]) => (
              <Field key={k} label={k.slice('gen_ai.request.'.length)}>
                {toJsonText(v)}
              </Field>
            ))}
          </dl>
        </>
      ) : null}
      {s.warnings.length > 0 ? (
        <>
          <h3>Normalisation warnings</h3>
          <ul class="warnings">
            {s.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </>
      ) : null}
      <div class="io">
        <div>
          <h3>Prompt</h3>
          <Content value={s.input} />
        </div>
        <div>
          <h3>Output</h3>
          <Content value={s.output} />
        </div>
      </div>
      <h3>All attributes</h3>
      <table class="attributes">
        <tbody>
          {Object.entries(s.attributes)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>
                  <pre>{toJsonText(v)}</pre>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </article>
  );
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isRecord(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Semconv messages (`[{ role, parts }]`) as messages; anything else as JSON text. */
export function Content(props: { value: unknown }) {
  const v = props.value;
  if (v === null || v === undefined) return <p class="muted">Not captured.</p>;
  if (typeof v === 'string') return <pre class="text">{v}</pre>;
  if (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((m) => isRecord(m) && typeof m.role === 'string')
  ) {
    return (
      <ol class="messages">
        {v.map((m, i) => (
          <Message key={i} message={m as Record<string, Json>} />
        ))}
      </ol>
    );
  }
  return <pre class="text">{toJsonText(v)}</pre>;
}

function Message(props: { message: Record<string, Json> }) {
  const m = props.message;
  const parts: Json[] = Array.isArray(m.parts)
    ? m.parts
    : m.content !== undefined
      ? [m.content]
      : [];
  return (
    <li class={`message role-${String(m.role).replace(/[^a-z_-]/gi, '')}`}>
      <div class="role">
        <span class="role-name">{String(m.role)}</span>
        {typeof m.finish_reason === 'string' ? (
          <span class="muted"> · {m.finish_reason}</span>
        ) : null}
        {typeof m.name === 'string' ? <span class="muted"> · {m.name}</span> : null}
      </div>
      {parts.map((p, i) => (
        <Part key={i} part={p} />
      ))}
    </li>
  );
}

function Part(props: { part: Json }) {
  const p = props.part;
  if (typeof p === 'string') return <pre class="text">{p}</pre>;
  if (!isRecord(p)) return <pre class="text">{toJsonText(p)}</pre>;
  const type = typeof p.type === 'string' ? p.type : 'part';
  if (type === 'text' || type === 'reasoning') {
    return (
      <div class={`part part-${type}`}>
        {type === 'reasoning' ? <div class="part-type">reasoning</div> : null}
        <pre class="text">{typeof p.content === 'string' ? p.content : toJsonText(p.content)}</pre>
      </div>
    );
  }
  if (type === 'tool_call') {
    return (
      <div class="part part-tool-call">
        <div class="part-type">
          tool call <code>{String(p.name ?? '?')}</code>
          {p.id ? <span class="muted"> · {String(p.id)}</span> : null}
        </div>
        <pre class="text">{toJsonText(p.arguments ?? null)}</pre>
      </div>
    );
  }
  if (type === 'tool_call_response') {
    return (
      <div class="part part-tool-response">
        <div class="part-type">
          tool result{p.id ? <span class="muted"> · {String(p.id)}</span> : null}
        </div>
        <pre class="text">{toJsonText(p.response ?? p.result ?? null)}</pre>
      </div>
    );
  }
  // Images, files, URIs: described as text, never fetched.
  return (
    <div class="part">
      <div class="part-type">{type}</div>
      <pre class="text">{toJsonText(p)}</pre>
    </div>
  );
}
