import { useState } from 'react';
import { API_ROUTES, type StatusDto } from '../../main/api/contract.ts';
import { call, currentToken, setToken } from './api.ts';
import { useLoad, useRoute } from './hooks.ts';
import { useLive } from './live.ts';
import { Monitor } from './screens/Monitor.tsx';
import { Nodes } from './screens/Nodes.tsx';
import { Settings } from './screens/Settings.tsx';
import { QueryRetrieve } from './screens/QueryRetrieve.tsx';
import { Studies } from './screens/Studies.tsx';
import { Viewer } from './screens/Viewer.tsx';
import { Worklist } from './screens/Worklist.tsx';

const SCREENS = [
  ['monitor', 'Monitor'],
  ['studies', 'Studies'],
  ['query', 'Query/Retrieve'],
  ['worklist', 'Worklist'],
  ['nodes', 'Nodes'],
  ['settings', 'Settings'],
] as const;

/** Asks for the install's secret when the page was opened without one (or with a wrong one). */
function Login({ onDone, failed }: { onDone: () => void; failed: boolean }) {
  const [value, setValue] = useState('');
  return (
    <main className="login">
      <h1>PACS Workstation</h1>
      <p>{failed ? 'That key was not accepted.' : 'This archive asks for its access key.'} Open the address the server printed
        at start (it ends in <code>?token=…</code>), or paste the key from the file <code>api-secret</code> in the data folder.</p>
      <form onSubmit={(e) => { e.preventDefault(); setToken(value); onDone(); }}>
        <input aria-label="Access key" value={value} onChange={(e) => setValue(e.target.value)} autoFocus size={50} />
        <button type="submit" className="primary">Open</button>
      </form>
    </main>
  );
}

export function App() {
  const [attempt, setAttempt] = useState(0);
  const status = useLoad(() => call<StatusDto>('GET', API_ROUTES.status), [attempt]);
  const route = useRoute();
  const live = useLive();
  if (!currentToken() || status.errorStatus === 401) {
    return <Login failed={!!currentToken()} onDone={() => setAttempt((a) => a + 1)} />;
  }
  const screen = route[0] ?? 'monitor';
  const s = status.data;
  return (
    <div className="app">
      <nav className="top">
        <span className="brand">PACS Workstation</span>
        {SCREENS.map(([id, label]) => (
          <a key={id} href={`#/${id}`} className={screen === id ? 'active' : ''}>{label}</a>
        ))}
        <span className="spacer" />
        <span className={`server ${live.connected ? 'up' : 'down'}`} title={live.connected ? 'live events connected' : 'live events disconnected'}>
          {s ? `${s.aeTitle} · port ${s.dicomPort}` : status.error || '…'}
        </span>
      </nav>
      <main className={`screen screen-${screen}`}>
        {screen === 'monitor' && <Monitor />}
        {screen === 'studies' && <Studies />}
        {screen === 'query' && <QueryRetrieve />}
        {screen === 'worklist' && <Worklist />}
        {screen === 'nodes' && <Nodes />}
        {screen === 'settings' && <Settings onServerChanged={() => setAttempt((a) => a + 1)} />}
        {screen === 'viewer' && <Viewer key={route[1] ?? ''} studyUid={route[1] ?? ''} />}
      </main>
    </div>
  );
}

