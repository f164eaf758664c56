import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import type { Permission } from '../../common/roles.ts';
import { api } from './api.ts';
import { useLoad, useRoute } from './hooks.ts';
import { useLive } from './live.ts';
import { Monitor } from './screens/Monitor.tsx';
import { Nodes } from './screens/Nodes.tsx';
import { Settings } from './screens/Settings.tsx';
import { QueryRetrieve } from './screens/QueryRetrieve.tsx';
import { Studies } from './screens/Studies.tsx';
import { Viewer } from './screens/Viewer.tsx';
import { Worklist } from './screens/Worklist.tsx';
import { Users } from './screens/Users.tsx';
import { Audit } from './screens/Audit.tsx';
import { Automation } from './screens/Automation.tsx';
import { AccountMenu, SignIn } from './sign-in.tsx';
import { PermissionsContext } from './permissions.ts';
import { useTheme } from './theme.ts';
import { LanguageSelect } from './language-select.tsx';
import { language } from './i18n.ts';
import { t } from './i18n.ts';

/** The screens, each with the permission it needs to be shown (the API checks again on every request). */
const SCREENS: [string, string, Permission][] = [
  ['monitor', 'Monitor', 'view'],
  ['studies', 'Studies', 'view'],
  ['query', 'Query/Retrieve', 'transfer'],
  ['worklist', 'Worklist', 'view'],
  ['nodes', 'Nodes', 'view'],
  ['settings', 'Settings', 'configure'],
  ['automation', 'Automation', 'configure'],
  ['users', 'Users', 'users'],
  ['audit', 'Audit', 'audit'],
];

export function App() {
  const [attempt, setAttempt] = useState(0);
  const session = useLoad(() => api(ENDPOINTS.session), [attempt]);
  const signedIn = !!session.data?.user;
  const status = useLoad(() => (signedIn ? api(ENDPOINTS.status) : Promise.resolve(undefined)), [attempt, signedIn]);
  const route = useRoute();
  const live = useLive(signedIn);
  const [theme, toggleTheme] = useTheme();
  // A new language draws the whole UI again.
  const [lang, setLang] = useState(language());
  if (session.loading && !session.data)
    return (
      <main className="login">
        <p>…</p>
      </main>
    );
  if (!session.data || !signedIn) {
    return (
      <SignIn
        key={lang}
        needsSetup={session.data?.needsSetup ?? false}
        onDone={() => setAttempt((a) => a + 1)}
        language={<LanguageSelect onChange={setLang} />}
      />
    );
  }
  const me = session.data;
  const allowed = SCREENS.filter(([, , p]) => me.permissions.includes(p));
  const screen = route[0] ?? 'monitor';
  const shown = screen === 'viewer' || allowed.some(([id]) => id === screen) ? screen : 'monitor';
  const s = status.data;
  return (
    <PermissionsContext.Provider value={me.permissions}>
      <div className="app" key={lang}>
        <nav className="top">
          <span className="brand">{t('PACS Workstation')}</span>
          {allowed.map(([id, label]) => (
            <a key={id} href={`#/${id}`} className={shown === id ? 'active' : ''}>
              {t(label)}
            </a>
          ))}
          <span className="spacer" />
          <span
            className={`server ${live.connected ? 'up' : 'down'}`}
            title={`${s ? t('{ae} · port {port}', { ae: s.aeTitle, port: String(s.dicomPort) }) : ''} · ${live.connected ? t('live events connected') : t('live events disconnected')}`}
          >
            {s ? `${s.aeTitle} · ${s.dicomPort}` : status.error || '…'}
          </span>
          <LanguageSelect onChange={setLang} />
          <button
            type="button"
            className="theme"
            aria-pressed={theme === 'dark'}
            onClick={toggleTheme}
            title={t('Light or dark look')}
            aria-label={theme === 'dark' ? t('Light') : t('Dark')}
          >
            <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
          </button>
          <AccountMenu user={me.user!} role={me.role!} local={me.local} onSignedOut={() => location.reload()} />
        </nav>
        <main className={`screen screen-${shown}`}>
          {shown === 'monitor' && <Monitor />}
          {shown === 'studies' && <Studies />}
          {shown === 'query' && <QueryRetrieve />}
          {shown === 'worklist' && <Worklist />}
          {shown === 'nodes' && <Nodes />}
          {shown === 'settings' && <Settings onServerChanged={() => setAttempt((a) => a + 1)} />}
          {shown === 'automation' && <Automation key={route[1] ?? ''} studyUid={route[1]} />}
          {shown === 'users' && <Users me={me.user!} />}
          {shown === 'audit' && <Audit />}
          {shown === 'viewer' && <Viewer key={route[1] ?? ''} studyUid={route[1] ?? ''} />}
        </main>
      </div>
    </PermissionsContext.Provider>
  );
}
