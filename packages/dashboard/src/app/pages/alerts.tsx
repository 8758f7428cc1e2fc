import { useEffect, useState } from 'preact/hooks';
import { ApiError, getAny, sendJson } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { DASH, fmtTime } from '../format.js';

// Shapes of the collector's alerts API (issue 7): rules, current states, history.
const METRICS = [
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'ttft_p95',
  'error_rate',
  'calls',
  'cost',
  'tokens',
  'mean_confidence',
] as const;
const COMPARATORS = ['>', '>=', '<', '<='] as const;
const GROUPS = ['', 'model', 'provider', 'service', 'operation'] as const;

interface Rule {
  id: string;
  name?: string;
  enabled: boolean;
  projectId: string;
  metric: string;
  filters: Record<string, string>;
  groupBy?: string;
  windowSec: number;
  comparator: string;
  threshold: number;
  warningThreshold?: number;
  minCalls: number;
  source?: 'file' | 'api';
  [key: string]: unknown;
}

interface AlertState {
  ruleId: string;
  group: string;
  status: 'ok' | 'pending' | 'firing' | 'resolved';
  severity: string | null;
  sinceMs: number;
  value: number | null;
}

interface HistoryEntry {
  seq: number;
  transition: {
    ruleId: string;
    group: string;
    from: string;
    to: string;
    reason: string;
    value: number | null;
    threshold: number | null;
    comparator: string;
    windowSec: number;
    atMs: number;
  };
}

interface Loaded {
  rules: Rule[];
  states: AlertState[];
  history: HistoryEntry[];
}

function fmtWindow(sec: number): string {
  if (sec % 86400 === 0) return `${sec / 86400} d`;
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  return `${Math.round(sec / 60)} min`;
}

function fmtValue(v: number | null): string {
  if (v === null) return 'no data';
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function ruleBody(rule: Rule): Record<string, unknown> {
  const { source: _source, ...body } = rule;
  return body;
}

export function AlertsPage(props: { nowMs: number }) {
  const [data, setData] = useState<Loaded | 'missing' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    // Rules first: a collector without the alerts API answers one 404, not three.
    getAny('/api/alerts/rules', ac.signal)
      .then((rules) =>
        Promise.all([
          getAny('/api/alerts', ac.signal),
          getAny('/api/alerts/history?limit=50', ac.signal),
        ]).then(([states, history]) => ({ rules, states, history })),
      )
      .then(
        ({ rules, states, history }) =>
          setData({
            rules: (rules as { data: Rule[] }).data,
            states: (states as { data: AlertState[] }).data,
            history: (history as { data: HistoryEntry[] }).data,
          }),
        (e: unknown) => {
          if (ac.signal.aborted) return;
          if (e instanceof ApiError && e.status === 404) setData('missing');
          else setError(e);
        },
      );
    return () => ac.abort();
  }, [props.nowMs, version]);

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      {error ? (
        <ErrorBox error={error} retry={reload} />
      ) : data === null ? (
        <Loading what="alerts" />
      ) : data === 'missing' ? (
        <div class="state empty not-available">
          <h2>Not available yet</h2>
          <p>
            This collector does not serve <code>/api/alerts/rules</code> yet: rules, their state and
            history will show here once it does.
          </p>
        </div>
      ) : (
        <>
          <h2>Current state</h2>
          <StatesTable states={data.states} rules={data.rules} />
          <h2>Rules</h2>
          <RulesTable rules={data.rules} onChange={reload} />
          <h2>New rule</h2>
          <NewRuleForm onCreated={reload} />
          <h2>History</h2>
          <HistoryTable history={data.history} />
        </>
      )}
    </section>
  );
}

function StatusLabel(props: { status: string }) {
  const icon = { firing: '▲', pending: '●', resolved: '✓', ok: '✓' }[props.status] ?? '';
  return <span class={`badge alert-${props.status}`}>{`${icon} ${props.status}`}</span>;
}

function StatesTable(props: { states: AlertState[]; rules: Rule[] }) {
  if (props.states.length === 0) return <p class="muted">No rule has been evaluated yet.</p>;
  const name = (id: string) => props.rules.find((r) => r.id === id)?.name ?? id;
  const order = { firing: 0, pending: 1, resolved: 2, ok: 3 };
  const sorted = [...props.states].sort((a, b) => order[a.status] - order[b.status]);
  return (
    <div class="table-wrap">
      <table class="alert-states">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Group</th>
            <th scope="col">Status</th>
            <th scope="col">Severity</th>
            <th scope="col" class="num">
              Last value
            </th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => (
            <tr key={`${s.ruleId}/${s.group}`}>
              <td>{name(s.ruleId)}</td>
              <td>{s.group || DASH}</td>
              <td>
                <StatusLabel status={s.status} />
              </td>
              <td>{s.severity ?? DASH}</td>
              <td class="num">{fmtValue(s.value)}</td>
              <td>{fmtTime(new Date(s.sinceMs).toISOString())}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RulesTable(props: { rules: Rule[]; onChange: () => void }) {
  if (props.rules.length === 0) return <p class="muted">No rules yet: create one below.</p>;
  return (
    <div class="table-wrap">
      <table class="alert-rules">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Metric</th>
            <th scope="col">Condition</th>
            <th scope="col">Window</th>
            <th scope="col">Filters</th>
            <th scope="col">Group by</th>
            <th scope="col">Enabled</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.rules.map((r) => (
            <RuleRow key={r.id} rule={r} onChange={props.onChange} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RuleRow(props: { rule: Rule; onChange: () => void }) {
  const r = props.rule;
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const fromFile = r.source === 'file';
  const put = async (changes: Partial<Rule>) => {
    setProblem(null);
    try {
      await sendJson('PUT', `/api/alerts/rules/${encodeURIComponent(r.id)}`, {
        ...ruleBody(r),
        ...changes,
      });
      setEditing(false);
      props.onChange();
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  const filters = Object.entries(r.filters ?? {})
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  return (
    <tr data-rule-id={r.id}>
      <td>
        {r.name ?? r.id}
        {fromFile ? <span class="muted"> (config file)</span> : null}
      </td>
      <td>{r.metric}</td>
      <td>
        {editing ? (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const v = Number(new FormData(e.currentTarget).get('threshold'));
              void put({ threshold: v });
            }}
          >
            {r.comparator}{' '}
            <input
              name="threshold"
              type="number"
              step="any"
              defaultValue={String(r.threshold)}
              aria-label={`Threshold of ${r.name ?? r.id}`}
              required
            />
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          `${r.comparator} ${r.threshold}${r.warningThreshold === undefined ? '' : ` (warning ${r.warningThreshold})`}`
        )}
        {problem ? (
          <div class="field-error" role="alert">
            {problem}
          </div>
        ) : null}
      </td>
      <td>{fmtWindow(r.windowSec)}</td>
      <td>{filters || DASH}</td>
      <td>{r.groupBy ?? DASH}</td>
      <td>{r.enabled ? 'yes' : 'muted'}</td>
      <td>
        {fromFile ? (
          <span class="muted">edit the config file</span>
        ) : (
          <div class="actions">
            <button type="button" onClick={() => setEditing(true)} disabled={editing}>
              Edit
            </button>
            <button type="button" onClick={() => void put({ enabled: !r.enabled })}>
              {r.enabled ? 'Mute' : 'Unmute'}
            </button>
            {confirmDelete ? (
              <button
                type="button"
                class="danger"
                onClick={async () => {
                  try {
                    await sendJson('DELETE', `/api/alerts/rules/${encodeURIComponent(r.id)}`);
                    props.onChange();
                  } catch (e) {
                    setProblem(e instanceof Error ? e.message : String(e));
                  }
                }}
              >
                Really delete
              </button>
            ) : (
              <button type="button" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

function NewRuleForm(props: { onCreated: () => void }) {
  const [problem, setProblem] = useState<ApiError | Error | null>(null);
  return (
    <form
      class="rule-form"
      aria-label="New alert rule"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const d = new FormData(form);
        const text = (k: string) => String(d.get(k) ?? '').trim();
        const body: Record<string, unknown> = {
          name: text('name'),
          metric: text('metric'),
          comparator: text('comparator'),
          threshold: Number(text('threshold')),
          windowSec: Math.round(Number(text('windowMin')) * 60),
          minCalls: Number(text('minCalls') || '0'),
        };
        if (text('groupBy')) body.groupBy = text('groupBy');
        if (text('model')) body.filters = { model: text('model') };
        setProblem(null);
        try {
          await sendJson('POST', '/api/alerts/rules', body);
          form.reset();
          props.onCreated();
        } catch (err) {
          setProblem(err instanceof Error ? err : new Error(String(err)));
        }
      }}
    >
      <label>
        Name
        <input name="name" required maxLength={200} />
      </label>
      <label>
        Metric
        <select name="metric">
          {METRICS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        Comparator
        <select name="comparator">
          {COMPARATORS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label>
        Threshold
        <input name="threshold" type="number" step="any" required />
      </label>
      <label>
        Window (minutes)
        <input
          name="windowMin"
          type="number"
          min="1"
          max="10080"
          step="1"
          defaultValue="5"
          required
        />
      </label>
      <label>
        Minimum calls
        <input name="minCalls" type="number" min="0" step="1" defaultValue="0" />
      </label>
      <label>
        Group by
        <select name="groupBy">
          {GROUPS.map((g) => (
            <option key={g} value={g}>
              {g || 'none'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Model filter
        <input name="model" placeholder="any model" />
      </label>
      <button type="submit">Create rule</button>
      {problem ? (
        <div class="field-error" role="alert">
          {problem instanceof ApiError && problem.issues.length > 0 ? (
            <>
              The collector refused the rule:
              <ul>
                {problem.issues.map((i) => (
                  <li key={`${i.path}:${i.message}`}>
                    <code>{i.path}</code>: {i.message}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            problem.message
          )}
        </div>
      ) : null}
    </form>
  );
}

function HistoryTable(props: { history: HistoryEntry[] }) {
  if (props.history.length === 0) return <p class="muted">No transitions yet.</p>;
  return (
    <div class="table-wrap">
      <table class="alert-history">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Rule</th>
            <th scope="col">Group</th>
            <th scope="col">Transition</th>
            <th scope="col">Reason</th>
            <th scope="col" class="num">
              Value
            </th>
            <th scope="col">Threshold</th>
            <th scope="col">Window</th>
          </tr>
        </thead>
        <tbody>
          {props.history.map(({ seq, transition: t }) => (
            <tr key={seq}>
              <td>{fmtTime(new Date(t.atMs).toISOString())}</td>
              <td>{t.ruleId}</td>
              <td>{t.group || DASH}</td>
              <td>
                {t.from} → <StatusLabel status={t.to} />
              </td>
              <td>{t.reason}</td>
              <td class="num">{fmtValue(t.value)}</td>
              <td>{t.threshold === null ? DASH : `${t.comparator} ${t.threshold}`}</td>
              <td>{fmtWindow(t.windowSec)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
