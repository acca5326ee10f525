/** The app: workspace and key, the header, and the page the URL names. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadWorkspaces, needsKey, setApiKey, workspace, workspaces } from './api.ts';
import { timeZone, toggleTimeZone, zoneLabel } from './format.ts';
import { helpOpen, onKeyDown, SHORTCUTS } from './keys.ts';
import { EventsPage } from './pages/Events.tsx';
import { RunPage } from './pages/Run.tsx';
import { RunsPage } from './pages/Runs.tsx';
import { ErrorBox, Loading } from './parts/common.tsx';
import { location$, navigate, onLinkClick } from './router.ts';
import { nextTheme, theme } from './settings.ts';
import './styles.css';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function KeyPrompt() {
  const [key, setKey] = useState('');
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setApiKey(key.trim());
          location.reload();
        }}
      >
        <h2 id="key-title">This server asks for an API key</h2>
        <p>
          Paste a key made with <code>sightline keys create</code>. It is kept in this browser only.
        </p>
        <label>
          API key
          <input type="password" autoComplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!key.trim()}>
          Use this key
        </button>
      </form>
    </div>
  );
}

function Help() {
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <div class="help">
        <h2 id="help-title">Keyboard</h2>
        <dl>
          {SHORTCUTS.map(([k, what]) => (
            <>
              <dt key={`k${k}`}>
                <kbd>{k}</kbd>
              </dt>
              <dd key={`d${k}`}>{what}</dd>
            </>
          ))}
        </dl>
        <button type="button" onClick={() => (helpOpen.value = false)}>
          Close
        </button>
      </div>
    </div>
  );
}

function Page() {
  const path = location$.value.path.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/runs') return <RunsPage />;
  if (path === '/events') return <EventsPage />;
  const m = /^\/runs\/([^/]+)(\/logs|\/trace)?$/.exec(path);
  if (m && UUID.test(m[1])) return <RunPage id={m[1].toLowerCase()} tab={m[2]?.slice(1)} />;
  return (
    <section class="page">
      <h1>Not found</h1>
      <p>
        Nothing is here. <a href="/runs">See the runs.</a>
      </p>
    </section>
  );
}

function App() {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    loadWorkspaces().catch(setError);
  }, []);
  const ws = workspace.value;
  const list = workspaces.value;
  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="/runs">
          Sightline
        </a>
        <nav>
          <a href="/runs">Runs</a>
          <a href="/events">Events</a>
        </nav>
        <span class="spacer" />
        {list.length > 1 && (
          <label>
            Workspace{' '}
            <select
              value={ws?.workspace_id}
              onChange={(e) => {
                const id = e.currentTarget.value;
                workspace.value = list.find((w) => w.workspace_id === id);
                navigate(`/runs?workspace=${id}`);
              }}
            >
              {list.map((w) => (
                <option key={w.workspace_id} value={w.workspace_id}>
                  {w.account_name} / {w.workspace_name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" onClick={nextTheme} title="Theme: follow the system, light or dark">
          theme: {theme.value}
        </button>
        <button type="button" onClick={() => (helpOpen.value = true)} title="Keyboard shortcuts (?)">
          ?
        </button>
        <button type="button" class="zone-toggle" onClick={toggleTimeZone} title="Show times in UTC or local time">
          {timeZone.value === 'UTC' ? 'UTC' : `local (${zoneLabel()})`}
        </button>
      </header>
      <main>
        {needsKey.value ? null : error ? <ErrorBox error={error} /> : ws ? <Page /> : <Loading what="workspaces" />}
      </main>
      {needsKey.value && <KeyPrompt />}
      {helpOpen.value && <Help />}
    </div>
  );
}

document.addEventListener('click', onLinkClick);
document.addEventListener('keydown', onKeyDown);
render(<App />, document.getElementById('app')!);
