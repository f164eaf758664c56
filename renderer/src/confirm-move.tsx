import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { date, personName } from './format.ts';
import { t } from './i18n.ts';

/**
 * Before objects change patient or study (merge a patient, merge a study, move a series), the source and the target side
 * by side: patient name, ID, birth date, study date and description. When the patients differ the dialog says so in
 * red and asks for the target patient's name to be typed (the family name will do, diacritics and case aside): merging
 * one patient's CT into another patient's ultrasound takes more than two clicks and OK.
 */
export interface MoveSide {
  patientName: string;
  patientId: string;
  birthDate: string;
  studyDate?: string;
  description?: string;
}

export function confirmMove(question: string, source: MoveSide, target: MoveSide): Promise<boolean> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.append(host);
    const root = createRoot(host);
    const done = (ok: boolean) => {
      root.unmount();
      host.remove();
      resolve(ok);
    };
    root.render(<ConfirmMove question={question} source={source} target={target} done={done} />);
  });
}

/** Letters only, lower case, without diacritics: how a typed name is compared. */
function folded(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether `typed` names the patient: the whole name or its family name. */
export function namesPatient(typed: string, patientName: string): boolean {
  const want = folded(typed);
  if (!want) return false;
  const [family = ''] = patientName.split('=')[0]!.split('^');
  return want === folded(patientName.split('=')[0]!) || want === folded(family);
}

function ConfirmMove({
  question,
  source,
  target,
  done,
}: {
  question: string;
  source: MoveSide;
  target: MoveSide;
  done: (ok: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const otherPatient = source.patientId !== target.patientId;
  const ready = !otherPatient || namesPatient(typed, target.patientName);
  const rows: [string, (s: MoveSide) => string, boolean][] = [
    [t('Patient'), (s) => personName(s.patientName), otherPatient],
    [t('Patient ID'), (s) => s.patientId, otherPatient],
    [t('Born'), (s) => date(s.birthDate), source.birthDate !== target.birthDate],
    ...(source.studyDate !== undefined
      ? [
          [t('Study date'), (s: MoveSide) => date(s.studyDate ?? ''), false] as [
            string,
            (s: MoveSide) => string,
            boolean,
          ],
        ]
      : []),
    ...(source.description !== undefined
      ? [[t('Description'), (s: MoveSide) => s.description ?? '', false] as [string, (s: MoveSide) => string, boolean]]
      : []),
  ];
  return (
    <dialog
      ref={dialog}
      className="confirm-move"
      onCancel={(e) => {
        e.preventDefault();
        done(false);
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) done(true);
        }}
      >
        <p>{question}</p>
        <table>
          <thead>
            <tr>
              <th />
              <th>{t('From')}</th>
              <th>{t('Into')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, value, differs]) => (
              <tr key={label} className={differs ? 'differs' : ''}>
                <th>{label}</th>
                <td>{value(source)}</td>
                <td>{value(target)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {otherPatient && (
          <div className="other-patient" role="alert">
            <p>
              <strong>{t('These are two different patients.')}</strong>{' '}
              {t('The objects will carry the name, ID, birth date and sex of {name}.', {
                name: personName(target.patientName),
              })}
            </p>
            <label>
              <span>
                {t('To go on, type the name of the patient they go to ({name}):', {
                  name: personName(target.patientName),
                })}
              </span>
              <input autoFocus name="confirm-patient-name" value={typed} onChange={(e) => setTyped(e.target.value)} />
            </label>
          </div>
        )}
        <div className="buttons">
          <button
            type="submit"
            className={otherPatient ? 'go-other' : 'primary'}
            disabled={!ready}
            autoFocus={!otherPatient}
          >
            {otherPatient ? t('Move to the other patient') : t('OK')}
          </button>
          <button type="button" onClick={() => done(false)}>
            {t('Cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
