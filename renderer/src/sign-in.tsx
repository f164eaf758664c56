import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import { api, currentToken, setToken, signInLinkProblem } from './api.ts';
import { ErrorText, Field } from './components.tsx';
import { t } from './i18n.ts';

/**
 * Signing in: with a user name and password; the first time, creating the first administrator through the one-time
 * set-up link the server printed (#setup=…); or, on the archive's own computer, with its local access key.
 */
export function SignIn({
  needsSetup,
  onDone,
  language,
}: {
  needsSetup: boolean;
  onDone: () => void;
  language?: React.ReactNode;
}) {
  const setupToken = new URLSearchParams(location.hash.replace(/^#/, '')).get('setup') ?? '';
  const setup = needsSetup && !!setupToken;
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError('');
    if (setup && password !== again) {
      setError(t('The two passwords differ.'));
      return;
    }
    setBusy(true);
    try {
      if (setup) {
        await api(ENDPOINTS.setup, { body: { token: setupToken, name, password } });
        history.replaceState(null, '', location.pathname + location.search);
      } else {
        await api(ENDPOINTS.login, { body: { name, password } });
      }
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <h1>{t('PACS Workstation')}</h1>
      {language}
      {currentToken() && (
        <p className="error" role="alert">
          {t("That access key was not accepted (it works only on the archive's own computer).")}
        </p>
      )}
      {signInLinkProblem && (
        <p className="error" role="alert">
          {signInLinkProblem}
        </p>
      )}
      {setup ? (
        <p>
          {t(
            'No one can sign in yet. Create the first administrator: choose a user name and a password of at least 12 characters.',
          )}
        </p>
      ) : needsSetup ? (
        <p>
          {t(
            "No user accounts exist yet. Open the set-up link the archive printed when it started (it ends in #setup=…), or use the access key on the archive's computer.",
          )}
        </p>
      ) : (
        <p>{t('Sign in with your user name and password.')}</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        className="sign-in"
      >
        <Field label={t('User name')}>
          <input
            name="username"
            autoComplete="username"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoFocus
          />
        </Field>
        <Field label={t('Password')}>
          <input
            name="password"
            type="password"
            autoComplete={setup ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        {setup && (
          <Field label={t('Password again')}>
            <input
              name="password-again"
              type="password"
              autoComplete="new-password"
              value={again}
              onChange={(e) => setAgain(e.target.value)}
            />
          </Field>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {setup ? t('Create administrator') : t('Sign in')}
        </button>
        <ErrorText error={error} />
      </form>
      {!setup && (
        <details className="local-key">
          <summary>{t("On the archive's computer: use its access key")}</summary>
          <p>
            {t(
              'The key is in the file api-secret in the data folder; or open the sign-in link the archive printed at start (cli.ts sign-in-link makes another). Both work only on that computer.',
            )}
          </p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setToken(key);
              onDone();
            }}
          >
            <input aria-label={t('Access key')} value={key} onChange={(e) => setKey(e.target.value)} size={50} />
            <button type="submit">{t('Open')}</button>
          </form>
        </details>
      )}
    </main>
  );
}

/** The signed-in user's name, a password change and signing out (none for the local access key). */
export function AccountMenu({
  user,
  role,
  local,
  onSignedOut,
}: {
  user: string;
  role: string;
  local: boolean;
  onSignedOut: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  return (
    <span className="account">
      {/* The role in the button's name and title, not on the top bar (a laptop's screen keeps it on one line). */}
      <button
        type="button"
        className="link"
        aria-expanded={open}
        aria-label={`${local ? t('local admin') : user} (${t(role)})`}
        title={`${local ? t('local admin') : user} (${t(role)})`}
        onClick={() => setOpen(!open)}
      >
        {local ? t('local admin') : user}
      </button>
      {open && (
        <div className="account-panel" role="dialog" aria-label={t('Account')}>
          {local ? (
            <p>{t("Signed in with this computer's access key.")}</p>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                setError('');
                api(ENDPOINTS.password, { body: { current, next } }).then(
                  () => {
                    setMessage(t('Password changed.'));
                    setCurrent('');
                    setNext('');
                  },
                  (err: Error) => setError(err.message),
                );
              }}
            >
              <Field label={t('Current password')}>
                <input
                  name="current-password"
                  type="password"
                  autoComplete="current-password"
                  value={current}
                  onChange={(e) => setCurrent(e.target.value)}
                />
              </Field>
              <Field label={t('New password')}>
                <input
                  name="new-password"
                  type="password"
                  autoComplete="new-password"
                  value={next}
                  onChange={(e) => setNext(e.target.value)}
                />
              </Field>
              <button type="submit">{t('Change password')}</button>
              {message && <p role="status">{message}</p>}
              <ErrorText error={error} />
            </form>
          )}
          <button
            type="button"
            onClick={() => {
              setToken('');
              void api(ENDPOINTS.logout)
                .catch(() => undefined)
                .finally(onSignedOut);
            }}
          >
            {t('Sign out')}
          </button>
        </div>
      )}
    </span>
  );
}
