import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { t } from './i18n.ts';

/**
 * A line of text asked for in the page, as window.prompt would, which Electron's windows do not have (there it returns
 * nothing, so what needs it would silently not happen). A modal <dialog>: Enter or OK gives the text, Escape or Cancel
 * gives null.
 */
export function askText(question: string, options: { value?: string; secret?: boolean } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.append(host);
    const root = createRoot(host);
    const done = (value: string | null) => {
      root.unmount();
      host.remove();
      resolve(value);
    };
    root.render(
      <AskText question={question} initial={options.value ?? ''} secret={options.secret ?? false} done={done} />,
    );
  });
}

function AskText({
  question,
  initial,
  secret,
  done,
}: {
  question: string;
  initial: string;
  secret: boolean;
  done: (value: string | null) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState(initial);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="ask-text"
      onCancel={(e) => {
        e.preventDefault();
        done(null);
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          done(value);
        }}
      >
        <label>
          <span>{question}</span>
          <input
            autoFocus
            type={secret ? 'password' : 'text'}
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
        <div className="buttons">
          <button type="submit" className="primary">
            {t('OK')}
          </button>
          <button type="button" onClick={() => done(null)}>
            {t('Cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
