import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import type { MppsDto, NewWorklistEntryDto, WorklistEntryDto } from '../../../main/api/contract.ts';
import { api } from '../api.ts';
import { DeleteButton, ErrorText, Field, Section } from '../components.tsx';
import { date, personName } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';
import { useLive } from '../live.ts';
import { DateField } from '../date-field.tsx';
import { SEXES, daToIso, nameParts, withNameParts } from '../person-name.ts';

/** Scheduled procedure steps that modalities fetch with a Modality Worklist C-FIND: list, add, edit, delete. */

/** The form: the entry's fields, with the patient's name as family and given names apart. */
type Form = Record<(keyof NewWorklistEntryDto & string) | 'familyName' | 'givenName', string>;

/** Today as this computer's calendar has it (not UTC's: at 00:30 in Prague that is still yesterday). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
const blank = (): Partial<Form> => ({ scheduledDate: today(), scheduledTime: '', modality: 'CT', sex: '' });

/** Modalities a worklist entry is scheduled for (PS3.3 C.7.3.1.1.1), the common ones. */
export const MODALITIES = ['CT', 'MR', 'US', 'CR', 'DX', 'MG', 'XA', 'RF', 'NM', 'PT', 'ES', 'OP', 'IO', 'PX', 'OT'];

/** The text fields: [field, label, help, input type]. */
const FIELDS: [keyof Form, string, string, string?][] = [
  ['patientId', 'Patient ID', ''],
  ['birthDate', 'Birth date', '', 'date'],
  ['accessionNumber', 'Accession number', ''],
  ['requestedProcedureDescription', 'Procedure', 'What is requested, e.g. CT head without contrast'],
  ['scheduledAe', 'Scheduled station AE', "The modality's AE title; empty: any"],
  ['scheduledDate', 'Date', '', 'date'],
  ['scheduledTime', 'Time', '', 'time'],
  ['performingPhysician', 'Performing physician', ''],
  ['referringPhysician', 'Referring physician', ''],
];

/** Dates and times as the API wants them (DICOM DA/TM), the name as DICOM writes it (Family^Given). */
function toEntry(f: Partial<Form>): NewWorklistEntryDto {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || k === 'familyName' || k === 'givenName') continue;
    out[k] =
      k === 'scheduledDate' || k === 'birthDate'
        ? v.replaceAll('-', '')
        : k === 'scheduledTime'
          ? v.replaceAll(':', '')
          : v;
  }
  out.patientName = withNameParts(f.patientName ?? '', f.familyName ?? '', f.givenName ?? '');
  return out as unknown as NewWorklistEntryDto;
}

function toForm(e: WorklistEntryDto): Partial<Form> {
  const hm = (t: string) => (/^\d{4}/.test(t) ? `${t.slice(0, 2)}:${t.slice(2, 4)}` : t);
  const { family: familyName, given: givenName } = nameParts(e.patientName);
  // The stored name too: its middle name, prefix, suffix and other groups are kept when the form writes it back.
  const { more: _more, ...fields } = e;
  return {
    ...fields,
    familyName,
    givenName,
    birthDate: daToIso(e.birthDate),
    scheduledDate: daToIso(e.scheduledDate),
    scheduledTime: hm(e.scheduledTime),
  } as unknown as Partial<Form>;
}

/** What the modality reported (MPPS): the state, the series it made, and any of their images not here. */
function PerformedStep({ state, step }: { state: string; step?: MppsDto }) {
  if (!state) return <span className="empty">{t('not started')}</span>;
  const series = step?.series ?? [];
  const images = series.reduce((n, s) => n + s.images, 0);
  const missing = series.reduce((n, s) => n + Math.max(0, s.images - s.here), 0);
  return (
    <span
      className={`mpps-${state.toLowerCase().replace(' ', '-')}`}
      title={series
        .map(
          (s) =>
            `${s.description || s.seriesUid}: ${t('{n, plural, one {# image} other {# images}}', { n: s.images })}, ${t('{n} here', { n: s.here })}`,
        )
        .join('\n')}
    >
      {t(state)}
      {series.length
        ? ` · ${t('{n} series, {images, plural, one {# image} other {# images}}', { n: series.length, images })}`
        : ''}
      {step?.callingAe ? ` · ${t('from {ae}', { ae: step.callingAe })}` : ''}
      {state === 'COMPLETED' && missing > 0 && (
        <span className="error inline missing-images" role="alert">
          ⚠{' '}
          {t(
            '{n, plural, one {# image the modality reported is not here} other {# images the modality reported are not here}}',
            { n: missing },
          )}
        </span>
      )}
    </span>
  );
}

export function Worklist() {
  const live = useLive();
  const entries = useLoad(() => api(ENDPOINTS.worklist), [live.worklistVersion]);
  const steps = useLoad(() => api(ENDPOINTS.mpps), [live.worklistVersion]);
  // dicom.sql's worklist columns beyond ours (a priority, medical alerts): shown with the procedure, by their names.
  const keys = useLoad(() => api(ENDPOINTS.indexKeys), []);
  const moreNames = new Map((keys.data ?? []).filter((k) => k.level === 'WORKLIST').map((k) => [k.column, k.name]));
  const performed = new Map((steps.data ?? []).map((s) => [s.sopInstanceUid, s]));
  const [form, setForm] = useState<Partial<Form>>(blank);
  // The values of dicom.sql's worklist columns in the form, by column.
  const [more, setMore] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<number>();
  const [error, setError] = useState('');

  const save = async () => {
    setError('');
    try {
      const body = { ...toEntry(form), more };
      if (editing !== undefined) await api(ENDPOINTS.worklistEntry, { params: [editing], body });
      else await api(ENDPOINTS.addWorklistEntry, { body });
      setForm(blank());
      setMore({});
      setEditing(undefined);
      entries.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="worklist">
      <Section
        title={t('Modality worklist')}
        actions={
          <button
            type="button"
            onClick={() => {
              entries.reload();
              steps.reload();
            }}
          >
            {t('Refresh')}
          </button>
        }
      >
        <ErrorText error={entries.error || steps.error} />
        <table>
          <thead>
            <tr>
              <th>{t('Date')}</th>
              <th>{t('Time')}</th>
              <th>{t('Patient')}</th>
              <th>{t('ID')}</th>
              <th>{t('Modality')}</th>
              <th>{t('Station')}</th>
              <th>{t('Procedure')}</th>
              <th>{t('Accession')}</th>
              <th>{t('Status')}</th>
              <th>{t('Performed')}</th>
              <th>{t('From')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(entries.data ?? []).length === 0 && (
              <tr>
                <td colSpan={12} className="empty">
                  {t('Nothing scheduled.')}
                </td>
              </tr>
            )}
            {(entries.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>{date(e.scheduledDate)}</td>
                <td>
                  {e.scheduledTime.slice(0, 2)}
                  {e.scheduledTime ? ':' : ''}
                  {e.scheduledTime.slice(2, 4)}
                </td>
                <td>{personName(e.patientName)}</td>
                <td>{e.patientId}</td>
                <td>{e.modality}</td>
                <td>{e.scheduledAe}</td>
                <td>
                  {e.requestedProcedureDescription}
                  {Object.entries(e.more ?? {})
                    .filter(([column, value]) => value && moreNames.has(column))
                    .map(([column, value]) => (
                      <span key={column} className="worklist-more">
                        {moreNames.get(column)}: {value}
                      </span>
                    ))}
                </td>
                <td>{e.accessionNumber}</td>
                <td>{t(e.stepStatus)}</td>
                <td className="mpps">
                  <PerformedStep state={e.mppsStatus} step={performed.get(e.mppsUid)} />
                </td>
                <td>{e.source === 'HL7' ? t('HL7 order {order}', { order: e.placerOrder }) : t('typed')}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(e.id);
                      setForm(toForm(e));
                      setMore(e.more ?? {});
                      setError('');
                    }}
                  >
                    {t('Edit')}
                  </button>
                  <DeleteButton
                    question={t('Delete the scheduled step of {name}?', { name: personName(e.patientName) })}
                    endpoint={ENDPOINTS.deleteWorklistEntry}
                    params={[e.id]}
                    onDeleted={entries.reload}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section
        title={
          editing !== undefined
            ? t('Edit scheduled step {id}', { id: String(editing) })
            : t('Schedule a procedure step')
        }
      >
        <form
          className="grid-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <Field label={t('Family name')}>
            <input
              name="familyName"
              value={form.familyName ?? ''}
              onChange={(e) => setForm({ ...form, familyName: e.target.value })}
            />
          </Field>
          <Field label={t('Given name')}>
            <input
              name="givenName"
              value={form.givenName ?? ''}
              onChange={(e) => setForm({ ...form, givenName: e.target.value })}
            />
          </Field>
          <Field label={t('Sex')}>
            <select name="sex" value={form.sex ?? ''} onChange={(e) => setForm({ ...form, sex: e.target.value })}>
              {SEXES.map(([code, label]) => (
                <option key={code} value={code}>
                  {t(label)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('Modality')}>
            <select
              name="modality"
              value={form.modality ?? 'CT'}
              onChange={(e) => setForm({ ...form, modality: e.target.value })}
            >
              {[...new Set([...MODALITIES, form.modality ?? 'CT'])].map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          {FIELDS.map(([key, label, help, type]) => (
            <Field key={key} label={t(label)} help={help ? t(help) : undefined}>
              {type === 'date' ? (
                <DateField name={key} value={form[key] ?? ''} onChange={(iso) => setForm({ ...form, [key]: iso })} />
              ) : (
                <input
                  name={key}
                  type={type ?? 'text'}
                  value={form[key] ?? ''}
                  onChange={(e) => setForm({ ...form, [key]: e.target.value })}
                />
              )}
            </Field>
          ))}
          {[...moreNames].map(([column, name]) => (
            <Field key={column} label={name}>
              <input
                name={column}
                value={more[column] ?? ''}
                onChange={(e) => setMore({ ...more, [column]: e.target.value })}
              />
            </Field>
          ))}
          <div className="form-actions">
            <button type="submit" className="primary">
              {editing !== undefined ? t('Save') : t('Add to worklist')}
            </button>
            {editing !== undefined && (
              <button
                type="button"
                onClick={() => {
                  setEditing(undefined);
                  setForm(blank());
                  setMore({});
                }}
              >
                {t('Cancel')}
              </button>
            )}
          </div>
          <ErrorText error={error} />
        </form>
      </Section>
    </div>
  );
}
