import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useEffect, useState } from 'react';
import type { ListenerRestarted, SettingEffect, SettingsSaved } from '../../../main/api/contract.ts';
import { api, ApiError } from '../api.ts';
import { ActionButton, ErrorText, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { lineOfKey, setKey, valueOfKey } from '../../../common/dicom-ini-text.ts';
import { COMPRESSION_CHOICES } from '../../../common/compression-code.ts';
import { ForwardingRules } from '../forwarding-rules.tsx';
import { t } from '../i18n.ts';
import {
  MAG_DEVICE_HELP,
  MAG_DEVICE_LABEL,
  MIRROR_DEVICE_HELP,
  MIRROR_DEVICE_LABEL,
  VIRTUAL_SERIES_HELP,
  VIRTUAL_SERIES_LABEL,
  VIRTUAL_SERVER_HELP,
  VIRTUAL_SERVER_LABEL,
} from '../setting-labels.ts';
import { PrefetchRulesForm } from './PrefetchRulesForm.tsx';
import { useUnsavedGuard } from '../hooks.ts';
import { why } from '../format.ts';
import type { Message } from '../../../common/message.ts';

/** dicom.ini as a grouped form with help for each key, and as raw text; checked by the server before it is saved. */

/** A compression code's list: each code, and the words shown for it. */
const compression = COMPRESSION_CHOICES.map(({ code, words }): [string, string?] => [code, `${code}: ${t(words)}`]);
const EFFECT_TEXT: Record<SettingEffect, string> = {
  live: 'applied now',
  listener: 'applies when the DICOM listener restarts',
  restart: 'applies at the next start of the program',
  unused: 'kept in the file; this server does not read it',
};

type Problem = { line: number; reason: string; message?: Message };

export function Settings({ onServerChanged }: { onServerChanged: () => void }) {
  const loaded = useLoad(() => api(ENDPOINTS.settings), []);
  const nodes = useLoad(() => api(ENDPOINTS.nodes), []);
  const [text, setText] = useState('');
  const [mode, setMode] = useState<'form' | 'text'>('form');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState<SettingsSaved>();
  const [restarted, setRestarted] = useState<ListenerRestarted>();
  // The text as loaded, set with the text in one go: the form is unsaved only where the user changed it.
  const [base, setBase] = useState<string>();
  useEffect(() => {
    if (loaded.data) {
      setText(loaded.data.text);
      setBase(loaded.data.text);
    }
  }, [loaded.data]);
  useUnsavedGuard(base !== undefined && text !== base, t('dicom.ini has unsaved changes. Leave without saving them?'));
  if (!loaded.data) return <ErrorText error={loaded.error} />;
  const keys = loaded.data.keys;
  const dirty = text !== loaded.data.text;

  const save = async () => {
    setProblems([]);
    setError('');
    setSaved(undefined);
    setRestarted(undefined);
    try {
      const result = await api(ENDPOINTS.saveSettings, { body: { text } });
      setSaved(result);
      loaded.reload();
      onServerChanged();
    } catch (e) {
      if (e instanceof ApiError && e.problems.length) setProblems(e.problems);
      else setError((e as Error).message);
    }
  };
  const problemFor = (key: string) => {
    const line = lineOfKey(text, key);
    return problems.find((p) => (line && p.line === line) || p.reason.startsWith(`${key}:`));
  };
  const needsListener = saved?.changed.some((c) => c.effect === 'listener');

  const input = (key: string) => {
    const spec = keys.find((k) => k.key === key);
    if (!spec) return null;
    // Written in the file as Conquest spells it (MAGDeviceThreshHold): that line is the one edited.
    const name = spec.spelling;
    const value = valueOfKey(text, name) ?? spec.default;
    const set = (v: string) => setText(setKey(text, name, v));
    const problem = problemFor(name);
    const device = /^MAGDevice\d+$/.test(key) ? key.slice(9) : undefined;
    const mirror = /^MIRRORDevice\d+$/.test(key) ? key.slice(12) : undefined;
    const upstream = /^VirtualServerFor\d$/.test(key) ? key.slice(16) : undefined;
    const perSeries = /^VirtualServerPerSeries\d$/.test(key) ? key.slice(22) : undefined;
    const words =
      device !== undefined
        ? t(MAG_DEVICE_LABEL, { n: device })
        : mirror !== undefined
          ? t(MIRROR_DEVICE_LABEL, { n: mirror })
          : upstream !== undefined
            ? t(VIRTUAL_SERVER_LABEL, { n: upstream })
            : perSeries !== undefined
              ? t(VIRTUAL_SERIES_LABEL, { n: perSeries })
              : spec.label
                ? t(spec.label)
                : '';
    // A list to choose from: the core's (each value shown as it is), or the compression codes with their words.
    const choices: [string, string?][] | undefined =
      spec.input === 'compression' ? compression : spec.choices?.map((c): [string, string?] => [c]);
    // A storage folder's help is the same for each (the server numbers it): said here in the UI's language.
    const help =
      device !== undefined
        ? t(MAG_DEVICE_HELP, { n: device })
        : mirror !== undefined
          ? t(MIRROR_DEVICE_HELP, { n: mirror })
          : upstream !== undefined
            ? t(VIRTUAL_SERVER_HELP, { n: upstream })
            : perSeries !== undefined
              ? t(VIRTUAL_SERIES_HELP, { n: perSeries })
              : t(spec.help ?? '');
    // A form of its own (the prefetch rules' rows) holds labels of its own: not inside one.
    const Wrap = spec.input === 'prefetch-rules' ? 'div' : 'label';
    return (
      <Wrap key={key} className={`setting ${problem ? 'invalid' : ''}`} data-key={key}>
        {/* Plain words first, the key beside them (as it is written in dicom.ini). */}
        <span className="label">
          {words ? (
            <>
              {words} <code>{name}</code>
            </>
          ) : (
            <code>{name}</code>
          )}
        </span>
        {spec.input === 'yes-no' ? (
          <span className="switch" role="radiogroup" aria-label={words || key}>
            <label>
              <input type="radio" name={`yes-no-${key}`} checked={value === '1'} onChange={() => set('1')} /> {t('yes')}
            </label>
            <label>
              <input type="radio" name={`yes-no-${key}`} checked={value !== '1'} onChange={() => set('0')} /> {t('no')}
            </label>
          </span>
        ) : spec.input === 'prefetch-rules' ? (
          <PrefetchRulesForm value={value} onChange={set} />
        ) : choices ? (
          <select value={value} onChange={(e) => set(e.target.value)}>
            {/* A value written by hand that the list lacks (a Conquest code, in another case) stays shown as it is. */}
            {!choices.some(([c]) => c === value) && <option value={value}>{value}</option>}
            {choices.map(([c, words]) => (
              <option key={c} value={c}>
                {words ?? c}
              </option>
            ))}
          </select>
        ) : (
          <input
            type={spec.input === 'secret' ? 'password' : 'text'}
            value={value}
            onChange={(e) => set(e.target.value)}
          />
        )}
        <span className="help">
          {withCode(help)}{' '}
          <i>
            {t('Default {value}', { value: spec.default || t('(empty)') })}; {t(EFFECT_TEXT[spec.effect])}.
          </i>
        </span>
        {problem && (
          <span className="error inline">
            {t('Line {n}', { n: String(problem.line) })}: {why(problem.reason, problem.message)}
          </span>
        )}
      </Wrap>
    );
  };

  return (
    <div className="settings">
      <Section
        title={t('dicom.ini')}
        actions={
          <>
            <button type="button" className={mode === 'form' ? 'active' : ''} onClick={() => setMode('form')}>
              {t('Form')}
            </button>
            <button type="button" className={mode === 'text' ? 'active' : ''} onClick={() => setMode('text')}>
              {t('Text')}
            </button>
          </>
        }
      >
        <div className="settings-bar">
          <div className="form-actions">
            <button type="button" className="primary" disabled={!dirty} onClick={() => void save()}>
              {t('Save')}
            </button>
            <button
              type="button"
              disabled={!dirty}
              onClick={() => {
                setText(loaded.data!.text);
                setProblems([]);
              }}
            >
              {t('Undo changes')}
            </button>
          </div>
          {problems.length > 0 && (
            <div className="problems" role="alert">
              <p className="error">
                {problems.length > 1
                  ? t('Not saved: dicom.ini has {n, plural, one {# problem} other {# problems}}.', {
                      n: problems.length,
                    })
                  : t('Not saved: dicom.ini has a problem.')}
              </p>
              <ul>
                {problems.map((p, i) => (
                  <li key={i}>
                    {t('Line {n}', { n: String(p.line) })}: {why(p.reason, p.message)}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <ErrorText error={error} />
          {saved && (
            <div className="saved" role="status">
              <p className="ok">
                {t('Saved.')} {saved.changed.length ? '' : t('Nothing changed.')}
              </p>
              <ul>
                {saved.changed.map((c) => (
                  <li key={c.key}>
                    <b>{c.key}</b>: {t(EFFECT_TEXT[c.effect])}
                  </li>
                ))}
              </ul>
              {needsListener && !restarted && (
                <ActionButton
                  kind="primary"
                  onClick={async () => {
                    setRestarted(await api(ENDPOINTS.restartListener));
                    onServerChanged();
                  }}
                >
                  {t('Restart the DICOM listener now (open associations are dropped)')}
                </ActionButton>
              )}
              {restarted && (
                <p className="ok">
                  {t('Listener restarted: {ae} on port {port}.', {
                    ae: restarted.aeTitle,
                    port: String(restarted.dicomPort),
                  })}
                </p>
              )}
            </div>
          )}
        </div>
        {mode === 'form' ? (
          <div className="setting-groups">
            {loaded.data.groups.map(({ title, keys: names }) => (
              <fieldset key={title}>
                <legend>{t(title)}</legend>
                {names.map(input)}
              </fieldset>
            ))}
            <ForwardingRules text={text} setText={setText} nodes={nodes.data ?? []} />
          </div>
        ) : (
          <textarea
            className="ini-text"
            spellCheck={false}
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={Math.min(40, text.split('\n').length + 2)}
          />
        )}
      </Section>
    </div>
  );
}

/** A help text with its `quoted` parts (what is typed as it is: a rule's words, an example) shown as code. */
function withCode(text: string) {
  return text.split('`').map((part, n) => (n % 2 ? <code key={n}>{part}</code> : part));
}
