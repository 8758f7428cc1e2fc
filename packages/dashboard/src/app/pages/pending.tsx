import { useEffect, useState } from 'preact/hooks';
import { ApiError, getAny } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { toJsonText } from '../format.js';

/**
 * A page whose API the collector may not have yet (models, alerts, drift): it asks, and
 * either shows what came back as a plain table or says honestly that it is not there.
 */
export function PendingApiPage(props: {
  title: string;
  api: string;
  purpose: string;
  nowMs: number;
}) {
  const [state, setState] = useState<{ rows: Record<string, unknown>[] } | 'missing' | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    getAny(props.api, ac.signal).then(
      (body) => {
        const data = Array.isArray(body)
          ? body
          : typeof body === 'object' &&
              body !== null &&
              Array.isArray((body as { data?: unknown }).data)
            ? (body as { data: unknown[] }).data
            : [body];
        setState({
          rows: data.map((r) =>
            typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : { value: r },
          ),
        });
      },
      (e: unknown) => {
        if (ac.signal.aborted) return;
        if (e instanceof ApiError && e.status === 404) setState('missing');
        else setError(e);
      },
    );
    return () => ac.abort();
  }, [props.api, props.nowMs]);

  const columns =
    state !== null && state !== 'missing'
      ? [...new Set(state.rows.flatMap((r) => Object.keys(r)))]
      : [];
  return (
    <section aria-labelledby="pending-title">
      <h1 id="pending-title">{props.title}</h1>
      <p class="muted">{props.purpose}</p>
      {error ? (
        <ErrorBox error={error} />
      ) : state === null ? (
        <Loading />
      ) : state === 'missing' ? (
        <div class="state empty not-available">
          <h2>Not available yet</h2>
          <p>
            This collector does not serve <code>{props.api}</code> yet, so there is nothing to show
            here. The page fills in once the collector provides it.
          </p>
        </div>
      ) : state.rows.length === 0 ? (
        <div class="state empty">
          <h2>Nothing here yet</h2>
        </div>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {state.rows.map((r, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c}>{r[c] === undefined ? '' : toJsonText(r[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
