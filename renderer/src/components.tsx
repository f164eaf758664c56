import type { Endpoint, ResponseOf } from '../../main/api/endpoints.ts';
import { useState, type ReactNode } from 'react';
import { api } from './api.ts';
import { t } from './i18n.ts';

/** Small pieces every screen uses. */

export function ErrorText({ error }: { error: string }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="panel">
      <header>
        <h2>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/** A button that runs an async action, disabled while it runs, showing its error beside it. */
/** `pressed`: a toggle (aria-pressed), e.g. a study's protection. */
export function ActionButton({
  onClick,
  children,
  title,
  kind,
  pressed,
}: {
  onClick: () => Promise<unknown>;
  children: ReactNode;
  title?: string;
  kind?: 'danger' | 'primary';
  pressed?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  return (
    <span className="action">
      <button
        type="button"
        className={kind}
        title={title}
        disabled={busy}
        aria-pressed={pressed}
        onClick={() => {
          setBusy(true);
          setError('');
          onClick()
            .catch((e: Error) => setError(e.message))
            .finally(() => setBusy(false));
        }}
      >
        {children}
      </button>
      {error && <span className="error inline">{error}</span>}
    </span>
  );
}

export function Field({ label, children, help }: { label: string; children: ReactNode; help?: string }) {
  return (
    <label className="field">
      <span className="label">{label}</span>
      {children}
      {help && <span className="help">{help}</span>}
    </label>
  );
}

export function Progress({ done, failed, total }: { done: number; failed: number; total: number }) {
  const pct = total ? Math.round((100 * (done + failed)) / total) : 0;
  return (
    <span
      className="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={total || 1}
      aria-valuenow={done + failed}
      title={`${done} / ${total}`}
    >
      <span className="bar">
        <span style={{ width: `${pct}%` }} />
      </span>
      {done}
      {failed ? ` + ${t('{n} failed', { n: failed })}` : ''} / {total || '?'}
    </span>
  );
}

/** Delete something through the API after the user confirms `question`; `onDeleted` gets the API's answer. */
export function DeleteButton<E extends Endpoint<undefined, unknown>>({
  question,
  endpoint,
  params,
  onDeleted,
}: {
  question: string;
  endpoint: E;
  params: readonly (string | number)[];
  onDeleted: (answer: ResponseOf<E>) => void;
}) {
  return (
    <ActionButton
      kind="danger"
      onClick={async () => {
        if (!confirm(question)) return;
        onDeleted(await api(endpoint, { params }));
      }}
    >
      {t('Delete')}
    </ActionButton>
  );
}
