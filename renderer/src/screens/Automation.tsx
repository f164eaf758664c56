import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import type { CheckedKind, ConverterDto, ConverterTryDto, LuaHookDto } from '../../../main/api/contract.ts';
import { useEffect, useState } from 'react';
import { api, upload } from '../api.ts';
import { ActionButton, ErrorText, Field, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { useFileDrop } from '../file-drop.ts';
import { t } from '../i18n.ts';

/**
 * The Automation screen (admin): Conquest's import and export converters of dicom.ini in the order they run, with their
 * filters; each line edited with a check as it is typed (the column and reason of the first problem), switched on or
 * off, and saved at once (checked as a start would check it, audited, applied without a restart); the `[lua]` hooks
 * edited the same way; and "Try on an object": what every converter would do to a stored object, without doing it.
 */
export function Automation({ studyUid }: { studyUid?: string }) {
  const list = useLoad(() => api(ENDPOINTS.automation), []);
  const converters = list.data?.converters ?? [];
  const [tried, setTried] = useState<ConverterTryDto>();
  const [sop, setSop] = useState('');
  const [error, setError] = useState('');
  // Opened from a study's row (#/automation/<study>): tried on the study's first object at once.
  useEffect(() => {
    if (!studyUid) return;
    api(ENDPOINTS.tryConverters, { body: { studyInstanceUid: studyUid } })
      .then((t) => {
        setTried(t);
        setSop(t.sopInstanceUid);
      })
      .catch((e: Error) => setError(e.message));
  }, [studyUid]);
  return (
    <>
      <Section title={t('Converters')}>
        <p className="help">
          {t(
            'Import converters run in order on each object before it is stored; export converters on each object once stored. A change is checked and applied when saved.',
          )}
        </p>
        <ErrorText error={list.error} />
        {!converters.length && !list.loading && <p>{t('No converters in dicom.ini.')}</p>}
        {converters.map((c) => (
          <ConverterEditor key={`${c.key}:${c.text}:${c.enabled}`} converter={c} onSaved={list.reload} />
        ))}
        {list.data && (
          <div className="row">
            {(['import', 'export'] as const).map((kind) => (
              <ActionButton
                key={kind}
                onClick={async () => {
                  const prefix = kind === 'import' ? 'Import' : 'Export';
                  const next = Math.max(-1, ...converters.filter((c) => c.kind === kind).map((c) => c.index)) + 1;
                  await api(ENDPOINTS.saveConverter, {
                    params: [`${prefix}Converter${next}`],
                    body: { text: 'nop', enabled: true },
                  });
                  list.reload();
                }}
              >
                {kind === 'import' ? t('Add an import converter') : t('Add an export converter')}
              </ActionButton>
            ))}
          </div>
        )}
      </Section>
      <Section title={t('Lua hooks')}>
        <p className="help">
          {t(
            "dicom.ini's [lua] section: a Lua chunk run at each event, or require('name') to run name.lua from beside dicom.ini. Empty: not run.",
          )}
        </p>
        {(list.data?.hooks ?? []).map((h) => (
          <HookEditor key={`${h.name}:${h.text}`} hook={h} onSaved={list.reload} />
        ))}
      </Section>
      <Section title={t('Try on an object')}>
        <p className="help">
          {t(
            'What each converter would do to a stored object, as if it had just arrived from its sender. Nothing is changed, written or sent.',
          )}
        </p>
        <div className="row">
          <Field label={t('SOP Instance UID')}>
            <input value={sop} onChange={(e) => setSop(e.target.value.trim())} />
          </Field>
          <ActionButton
            kind="primary"
            onClick={async () => setTried(await api(ENDPOINTS.tryConverters, { body: { sopInstanceUid: sop } }))}
          >
            {t('Try')}
          </ActionButton>
        </div>
        <TryFile
          onTried={(t) => {
            setError('');
            setTried(t);
            setSop(t.sopInstanceUid);
          }}
          onError={setError}
        />
        <ErrorText error={error} />
        {tried && <Trial tried={tried} />}
      </Section>
    </>
  );
}

function ConverterEditor({ converter, onSaved }: { converter: ConverterDto; onSaved: () => void }) {
  const [text, setText] = useState(converter.text);
  const [enabled, setEnabled] = useState(converter.enabled);
  const changed = text !== converter.text || enabled !== converter.enabled;
  return (
    <div className={`converter ${enabled ? '' : 'off'}`} data-converter={converter.key}>
      <div className="row">
        <strong>{converter.key}</strong>
        <span className="muted">
          {converter.kind === 'import' ? t('before it is stored') : t('once stored')}
          {converter.line ? ` · dicom.ini ${converter.line}` : ''}
        </span>
        {Object.entries(converter.filters).map(([key, value]) => (
          <code key={key}>
            {key} = {value}
          </code>
        ))}
        <label>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t('on')}
        </label>
      </div>
      <LineBox
        label={converter.key}
        kind={converter.kind}
        text={text}
        onText={setText}
        changed={changed}
        onSave={async () => {
          await api(ENDPOINTS.saveConverter, { params: [converter.key], body: { text, enabled } });
          onSaved();
        }}
      />
    </div>
  );
}

/** A DICOM file picked or dropped here, tried as if the node named had just sent it (nothing is stored). */
function TryFile({ onTried, onError }: { onTried: (t: ConverterTryDto) => void; onError: (e: string) => void }) {
  const [callingAe, setCallingAe] = useState('');
  const run = async (file: File | undefined) => {
    if (!file) return;
    try {
      onTried(await upload(ENDPOINTS.tryConvertersOnFile, file, { callingAe }));
    } catch (e) {
      onError((e as Error).message);
    }
  };
  const drop = useFileDrop((dropped) => void run(dropped.files[0]));
  return (
    <div className={`row drop-zone ${drop.over ? 'drop-target' : ''}`} data-testid="try-drop" {...drop.handlers}>
      <Field label={t('Or a DICOM file (pick or drop it here)')}>
        <input
          type="file"
          aria-label={t('A DICOM file to try')}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            void run(file);
          }}
        />
      </Field>
      <Field label={t('As sent by (calling AE title)')}>
        <input value={callingAe} onChange={(e) => setCallingAe(e.target.value.trim())} />
      </Field>
    </div>
  );
}

/** A line (or a hook's chunk) checked by the server as it is typed: '' when fine, else the column and reason. */
function useLineCheck(kind: CheckedKind, text: string): string {
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api(ENDPOINTS.checkConverter, { body: { kind, text }, signal: controller.signal })
        .then((r) =>
          setProblem(r.ok ? '' : t('column {column}: {reason}', { column: String(r.column), reason: r.reason })),
        )
        .catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, kind]);
  return problem;
}

/** When a hook runs, in the user's language. */
function hookWhen(name: string): string {
  switch (name) {
    case 'startup':
      return t('once the archive serves');
    case 'association':
      return t('when a peer asks for an association (reject() refuses it)');
    case 'command':
      return t('for each request on an association');
    case 'endassociation':
      return t('when an association ends');
    case 'clienterror':
      return t('when an association ends in an error');
    case 'nightly':
      return t('at 03:00');
    case 'background':
      return t('about once a second');
    default:
      return '';
  }
}

function HookEditor({ hook, onSaved }: { hook: LuaHookDto; onSaved: () => void }) {
  const [text, setText] = useState(hook.text);
  return (
    <div className={`converter ${hook.text ? '' : 'off'}`} data-hook={hook.name}>
      <div className="row">
        <strong>[lua] {hook.name}</strong>
        <span className="muted">
          {hookWhen(hook.name)}
          {hook.line ? ` · dicom.ini ${hook.line}` : ''}
        </span>
      </div>
      <LineBox
        label={`[lua] ${hook.name}`}
        kind="lua"
        text={text}
        onText={setText}
        changed={text !== hook.text}
        onSave={async () => {
          await api(ENDPOINTS.saveConverter, { params: [`lua.${hook.name}`], body: { text, enabled: true } });
          onSaved();
        }}
      />
    </div>
  );
}

/** One dicom.ini line being edited: its box, the server's check as it is typed, and Save once it changed. */
function LineBox(props: {
  label: string;
  kind: CheckedKind;
  text: string;
  onText: (text: string) => void;
  changed: boolean;
  onSave: () => Promise<void>;
}) {
  const problem = useLineCheck(props.kind, props.text);
  return (
    <>
      <textarea
        aria-label={props.label}
        value={props.text}
        rows={Math.min(6, Math.max(1, Math.ceil(props.text.length / 100)))}
        spellCheck={false}
        onChange={(e) => props.onText(e.target.value.replace(/\r?\n/g, ' '))}
      />
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {props.changed && (
        <ActionButton kind="primary" onClick={props.onSave}>
          {t('Save')}
        </ActionButton>
      )}
    </>
  );
}

function Trial({ tried }: { tried: ConverterTryDto }) {
  const outcome = {
    store: t('would be stored'),
    destroy: t('would be dropped (the sender hears success)'),
    reject: t('would be refused (the sender hears a failure)'),
  }[tried.outcome];
  return (
    <div className="trial" data-testid="trial">
      <p>
        <strong>{tried.patientName || tried.sopInstanceUid}</strong> · {tried.modality} · {outcome}
      </p>
      {tried.changes.length > 0 ? (
        <table className="changes">
          <thead>
            <tr>
              <th>{t('Attribute')}</th>
              <th>{t('Before')}</th>
              <th>{t('After')}</th>
            </tr>
          </thead>
          <tbody>
            {tried.changes.map((c) => (
              <tr key={c.tag} data-tag={c.tag}>
                <td>
                  <code>{c.tag}</code> {c.name}
                </td>
                <td>{c.before}</td>
                <td>{c.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{t('No attribute would change.')}</p>
      )}
      <table className="converters">
        <tbody>
          {tried.converters.map((c) => (
            <tr key={c.key} data-trial={c.key}>
              <td>
                <code>{c.key}</code>
              </td>
              <td>
                {!c.ran && t('not run: {reason}', { reason: c.skipped ?? '' })}
                {c.error && <span className="error">{c.error}</span>}
                {c.ran && !c.error && c.decision && c.decision !== 'store' && <strong>{c.decision}</strong>}
                {c.actions.map((a) => (
                  <div key={a}>
                    <code>{a}</code>
                  </div>
                ))}
                {c.prints.map((p, i) => (
                  <div key={`${i}:${p}`} className="muted">
                    {p}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
