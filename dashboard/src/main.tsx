// The dashboard shell: login gate, navigation and hash routes.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { checkSession, get, login, logout, type Status, token } from './api.js';
import { Banned } from './pages/banned.js';
import { Clients } from './pages/clients.js';
import { Connectors } from './pages/connectors.js';
import { Nodes, NotClustered } from './pages/nodes.js';
import { Overview } from './pages/overview.js';
import { Retained } from './pages/retained.js';
import { Rules } from './pages/rules.js';
import { Subscriptions } from './pages/subscriptions.js';
import { Trace } from './pages/trace.js';
import { WsClient } from './pages/wsclient.js';
import './styles.css';

// `cluster`: only for a node in a cluster; elsewhere hidden from the navigation.
const PAGES = [
  { path: 'overview', title: 'Overview', view: Overview },
  { path: 'nodes', title: 'Nodes', view: Nodes, cluster: true },
  { path: 'clients', title: 'Clients', view: Clients },
  { path: 'subscriptions', title: 'Subscriptions', view: Subscriptions },
  { path: 'retained', title: 'Retained', view: Retained },
  { path: 'banned', title: 'Banned', view: Banned },
  { path: 'rules', title: 'Rules', view: Rules },
  { path: 'connectors', title: 'Connectors', view: Connectors },
  { path: 'websocket', title: 'WebSocket client', view: WsClient },
  { path: 'trace', title: 'Live trace', view: Trace },
] as const;

function useHash(): string {
  const read = () => location.hash.replace(/^#\/?/, '') || 'overview';
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const onChange = () => setHash(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/**
 * Whether the broker is in a cluster (undefined until known), from GET /status: asking
 * /cluster/nodes would log a 404 in the console of every single-node dashboard.
 */
function useClustered(loggedIn: boolean | undefined): boolean | undefined {
  const [clustered, setClustered] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    if (!loggedIn) return;
    get<Status>('/status').then(
      (s) => setClustered(s.cluster),
      () => setClustered(false),
    );
  }, [loggedIn]);
  return clustered;
}

function Login({ onLogin }: { onLogin: () => void }) {
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try {
      await login(String(form.get('username')), String(form.get('password')));
      onLogin();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="login" onSubmit={submit} data-testid="login-form">
      <h1>Culex</h1>
      <label>
        Username <input name="username" autocomplete="username" required />
      </label>
      <label>
        Password <input name="password" type="password" autocomplete="current-password" />
      </label>
      <button type="submit">Log in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function App() {
  // A stored token is checked before any page asks the API with it: undefined until then.
  const [loggedIn, setLoggedIn] = useState<boolean | undefined>(
    token() === null ? false : undefined,
  );
  const hash = useHash();
  const clustered = useClustered(loggedIn);
  useEffect(() => {
    if (loggedIn === undefined) checkSession().then(setLoggedIn, () => setLoggedIn(false));
    const out = () => setLoggedIn(false);
    window.addEventListener('culex:logout', out);
    return () => window.removeEventListener('culex:logout', out);
  }, []);
  if (loggedIn === undefined) return null;
  if (!loggedIn) return <Login onLogin={() => setLoggedIn(true)} />;
  const page = PAGES.find((p) => p.path === hash.split('/')[0]) ?? PAGES[0];
  const clusterOnly = 'cluster' in page && page.cluster;
  // A cluster page waits for the answer, then says when the broker is not in a cluster.
  const View = clusterOnly && clustered !== true ? NotClustered : page.view;
  return (
    <div class="shell">
      <nav>
        <div class="brand">Culex</div>
        {PAGES.filter((p) => !('cluster' in p) || clustered).map((p) => (
          <a key={p.path} href={`#/${p.path}`} class={p === page ? 'active' : ''}>
            {p.title}
          </a>
        ))}
        <button type="button" class="link" onClick={logout}>
          Log out
        </button>
      </nav>
      <main>
        <h2>{page.title}</h2>
        {clusterOnly && clustered === undefined ? null : <View />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
