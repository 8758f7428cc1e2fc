// The sign-in view of a collector that requires API keys, and the header's project badge.
import { useEffect, useRef, useState } from 'preact/hooks';
import { checkKey, listSpans } from './api.js';

/** Why the sign-in view is showing. */
export type SignInReason =
  /** The collector asked for a key and this tab has none. */
  | { kind: 'missing'; message: string }
  /** The key this tab was using stopped working; it has been forgotten. */
  | { kind: 'rejected' }
  /** The user signed out. */
  | { kind: 'signed-out' };

const REJECTED_MESSAGE =
  'The collector no longer accepts the key this tab was using: it may have been revoked or ' +
  'replaced. Sign in with a current key for the project.';

/**
 * Asks for a project API key, checks it against the collector before keeping it, and
 * shows why it was refused. The key stays in the password input only: it is handed to
 * `onSignIn` and never rendered.
 */
export function SignIn(props: {
  reason: SignInReason;
  onSignIn: (key: string, projectId: string | null) => void;
}) {
  const [checking, setChecking] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const key = input.current?.value.trim() ?? '';
    if (key === '' || checking) return;
    setChecking(true);
    setRefusal(null);
    const result = await checkKey(key);
    setChecking(false);
    if (result.ok) {
      props.onSignIn(key, result.projectId);
      return;
    }
    setRefusal(result.message);
    input.current?.select();
  };

  const { reason } = props;
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to this collector</h1>
      {reason.kind === 'rejected' ? (
        <p class="state error-box" role="alert">
          {REJECTED_MESSAGE}
        </p>
      ) : reason.kind === 'signed-out' ? (
        <p class="notice" role="status">
          Signed out: this tab has forgotten the key.
        </p>
      ) : null}
      <p>
        This collector requires an API key, and shows the calls of the key's project only. Ask
        whoever runs it for a project key, or create one on the collector's machine:
      </p>
      <pre class="command">
        {'pilotlight projects create NAME\npilotlight keys create --project NAME'}
      </pre>
      <p class="muted">
        The key is kept in this browser tab only (session storage): a reload keeps you signed in,
        closing the tab or signing out forgets it. It is sent to this collector alone, as{' '}
        <code>Authorization: Bearer</code>.
      </p>
      {reason.kind === 'missing' && reason.message !== '' ? (
        <p class="muted">Collector: {reason.message}</p>
      ) : null}
      <form onSubmit={submit}>
        <label>
          Project API key
          <input
            ref={input}
            name="key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            size={48}
            aria-describedby={refusal === null ? undefined : 'sign-in-refusal'}
          />
        </label>{' '}
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {refusal === null ? null : (
        <p id="sign-in-refusal" class="state error-box" role="alert">
          {refusal}
        </p>
      )}
    </section>
  );
}

/**
 * The project the dashboard shows. The API does not name a key's project, so it is read
 * from the newest call (every record carries its `projectId`); with no key the collector
 * is in zero-config local mode, whose project is `default`. Until the project has a call
 * with a key, it says so.
 */
export function ProjectBadge(props: { keyed: boolean; knownId: string | null; nowMs: number }) {
  const [projectId, setProjectId] = useState<string | null>(props.knownId);
  useEffect(() => setProjectId(props.knownId), [props.knownId]);
  useEffect(() => {
    if (projectId !== null) return;
    const ac = new AbortController();
    listSpans({ limit: 1 }, ac.signal).then(
      (page) => {
        const found = page.data[0]?.projectId;
        if (found !== undefined) setProjectId(found);
        else if (!props.keyed) setProjectId('default');
      },
      () => {
        // The page shows the error; the badge just stays unknown.
      },
    );
    return () => ac.abort();
  }, [projectId, props.keyed, props.nowMs]);
  if (projectId === null) {
    return props.keyed ? (
      <span class="project" title="The project is shown once it has a call">
        Project: (no calls yet)
      </span>
    ) : null;
  }
  return (
    <span class="project" title="Every call shown belongs to this project">
      Project: <strong>{projectId}</strong>
    </span>
  );
}
