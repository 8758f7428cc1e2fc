import { useEffect, useState } from 'preact/hooks';
import { ApiError, getAny, sendJson } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { DASH, fmtInt, fmtMs, fmtPct, fmtTime, fmtUsd } from '../format.js';

// The collector's model inventory (issue 6): `GET /api/models`, `PUT /api/models/:id`.
interface WindowStats {
  calls: number;
  errors: number;
  errorRate: number;
  p95LatencyMs: number | null;
  costUsd: number;
}

interface Model {
  id: string;
  provider: string;
  firstSeen: string;
  lastSeen: string;
  owner: string | null;
  purpose: string | null;
  reviewedAt: string | null;
  onFailure: string | null;
  last24h: WindowStats;
  last30d: WindowStats;
}

const EDITABLE = [
  { key: 'owner', label: 'Owner' },
  { key: 'purpose', label: 'Purpose' },
  { key: 'reviewedAt', label: 'Last review' },
  { key: 'onFailure', label: 'On failure' },
] as const;

export function ModelsPage(props: { nowMs: number }) {
  const [models, setModels] = useState<Model[] | 'missing' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    getAny('/api/models', ac.signal).then(
      (body) => setModels((body as { data: Model[] }).data),
      (e: unknown) => {
        if (ac.signal.aborted) return;
        if (e instanceof ApiError && e.status === 404) setModels('missing');
        else setError(e);
      },
    );
    return () => ac.abort();
  }, [props.nowMs, version]);

  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <p class="muted">
        Every model seen, who owns it, what it is for, when it was last reviewed and what happens
        when it fails. Figures cover the last 24 hours and 30 days.
      </p>
      {error ? (
        <ErrorBox error={error} retry={() => setVersion((v) => v + 1)} />
      ) : models === null ? (
        <Loading what="models" />
      ) : models === 'missing' ? (
        <div class="state empty not-available">
          <h2>Not available yet</h2>
          <p>
            This collector does not serve <code>/api/models</code> yet.
          </p>
        </div>
      ) : models.length === 0 ? (
        <div class="state empty">
          <h2>No models seen yet</h2>
          <p>
            Models appear here with their first call. Send one with{' '}
            <code>npm run example:openai</code>.
          </p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Provider</th>
                <th scope="col">Owner</th>
                <th scope="col">Purpose</th>
                <th scope="col">Last review</th>
                <th scope="col">On failure</th>
                <th scope="col" class="num">
                  Calls 24 h
                </th>
                <th scope="col" class="num">
                  Errors 24 h
                </th>
                <th scope="col" class="num">
                  p95 24 h
                </th>
                <th scope="col" class="num">
                  Cost 24 h / 30 d
                </th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <ModelRow key={m.id} model={m} onSaved={() => setVersion((v) => v + 1)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ModelRow(props: { model: Model; onSaved: () => void }) {
  const m = props.model;
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (editing) {
    return (
      <tr data-model-id={m.id} class="editing">
        <td>{m.id}</td>
        <td>{m.provider || DASH}</td>
        <td colSpan={10}>
          <form
            class="model-form"
            aria-label={`Edit ${m.id}`}
            onSubmit={async (e) => {
              e.preventDefault();
              const d = new FormData(e.currentTarget);
              const patch: Record<string, string | null> = {};
              for (const { key } of EDITABLE) {
                const v = String(d.get(key) ?? '').trim();
                patch[key] = v === '' ? null : v;
              }
              setProblem(null);
              try {
                await sendJson('PUT', `/api/models/${encodeURIComponent(m.id)}`, patch);
                setEditing(false);
                props.onSaved();
              } catch (err) {
                setProblem(err instanceof Error ? err.message : String(err));
              }
            }}
          >
            {EDITABLE.map(({ key, label }) =>
              key === 'reviewedAt' ? (
                <label key={key}>
                  {label}
                  <input name={key} type="date" defaultValue={(m[key] ?? '').slice(0, 10)} />
                </label>
              ) : (
                <label key={key}>
                  {label}
                  <input
                    name={key}
                    defaultValue={m[key] ?? ''}
                    maxLength={key === 'owner' ? 200 : 2000}
                  />
                </label>
              ),
            )}
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            {problem ? (
              <div class="field-error" role="alert">
                {problem}
              </div>
            ) : null}
          </form>
        </td>
      </tr>
    );
  }
  return (
    <tr data-model-id={m.id}>
      <td title={m.id}>{m.id}</td>
      <td>{m.provider || DASH}</td>
      <td class="owner">{m.owner ?? <span class="muted">unowned</span>}</td>
      <td class="clip" title={m.purpose ?? undefined}>
        {m.purpose ?? DASH}
      </td>
      <td>{m.reviewedAt ? m.reviewedAt.slice(0, 10) : <span class="muted">never</span>}</td>
      <td class="clip" title={m.onFailure ?? undefined}>
        {m.onFailure ?? DASH}
      </td>
      <td class="num">{fmtInt(m.last24h.calls)}</td>
      <td class="num">{fmtPct(m.last24h.errorRate)}</td>
      <td class="num">{fmtMs(m.last24h.p95LatencyMs)}</td>
      <td class="num">
        {fmtUsd(m.last24h.costUsd)} / {fmtUsd(m.last30d.costUsd)}
      </td>
      <td title={m.lastSeen}>{fmtTime(m.lastSeen).slice(5, 16)}</td>
      <td>
        <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${m.id}`}>
          Edit
        </button>{' '}
        <a
          href={`/?model=${encodeURIComponent(m.id)}&split=operation`}
          aria-label={`Trend of ${m.id}`}
        >
          Trend
        </a>
      </td>
    </tr>
  );
}
