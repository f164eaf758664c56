import { useState } from 'react';
import { API_ROUTES, type MppsDto, type NewWorklistEntryDto, type WorklistEntryDto } from '../../../main/api/contract.ts';
import { call } from '../api.ts';
import { DeleteButton, ErrorText, Field, Section } from '../components.tsx';
import { date, personName } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';

/** Scheduled procedure steps that modalities fetch with a Modality Worklist C-FIND: list, add, edit, delete. */

type Form = Record<keyof NewWorklistEntryDto & string, string>;

const today = () => new Date().toISOString().slice(0, 10);
const blank = (): Partial<Form> => ({ scheduledDate: today(), scheduledTime: '', modality: 'CT', sex: '' });

/** The form's fields: [field, label, help, input type]. */
const FIELDS: [keyof Form, string, string, string?][] = [
  ['patientName', 'Patient name', 'Family^Given, as DICOM writes it (e.g. Smith^John)'],
  ['patientId', 'Patient ID', ''],
  ['birthDate', 'Birth date', '', 'date'],
  ['sex', 'Sex', 'M, F or O'],
  ['accessionNumber', 'Accession number', ''],
  ['requestedProcedureDescription', 'Procedure', 'What is requested, e.g. CT head without contrast'],
  ['modality', 'Modality', 'CT, MR, US, CR, DX …'],
  ['scheduledAe', 'Scheduled station AE', 'The modality\'s AE title; empty: any'],
  ['scheduledDate', 'Date', '', 'date'],
  ['scheduledTime', 'Time', '', 'time'],
  ['performingPhysician', 'Performing physician', ''],
  ['referringPhysician', 'Referring physician', ''],
];

/** Dates and times as the API wants them (DICOM DA/TM). */
function toEntry(f: Partial<Form>): NewWorklistEntryDto {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    out[k] = k === 'scheduledDate' || k === 'birthDate' ? v.replaceAll('-', '') : k === 'scheduledTime' ? v.replaceAll(':', '') : v;
  }
  return out as NewWorklistEntryDto;
}

function toForm(e: WorklistEntryDto): Partial<Form> {
  const iso = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d);
  const hm = (t: string) => (/^\d{4}/.test(t) ? `${t.slice(0, 2)}:${t.slice(2, 4)}` : t);
  return { ...e, birthDate: iso(e.birthDate), scheduledDate: iso(e.scheduledDate), scheduledTime: hm(e.scheduledTime) } as unknown as Partial<Form>;
}

/** What the modality reported (MPPS): the state, and the series it made. */
function PerformedStep({ state, step }: { state: string; step?: MppsDto }) {
  if (!state) return <span className="empty">{t('not started')}</span>;
  const series = step?.series ?? [];
  const images = series.reduce((n, s) => n + s.images, 0);
  return (
    <span className={`mpps-${state.toLowerCase().replace(' ', '-')}`} title={series.map((s) => `${s.description || s.seriesUid}: ${t('{n} image(s)', { n: s.images })}`).join('\n')}>
      {t(state)}{series.length ? ` · ${t('{n} series, {images} image(s)', { n: series.length, images })}` : ''}{step?.callingAe ? ` · ${t('from {ae}', { ae: step.callingAe })}` : ''}
    </span>
  );
}

export function Worklist() {
  const entries = useLoad(() => call<WorklistEntryDto[]>('GET', API_ROUTES.worklist), []);
  const steps = useLoad(() => call<MppsDto[]>('GET', API_ROUTES.mpps), []);
  const performed = new Map((steps.data ?? []).map((s) => [s.sopInstanceUid, s]));
  const [form, setForm] = useState<Partial<Form>>(blank);
  const [editing, setEditing] = useState<number>();
  const [error, setError] = useState('');

  const save = async () => {
    setError('');
    try {
      if (editing !== undefined) await call('PUT', API_ROUTES.worklistEntry(editing), toEntry(form));
      else await call('POST', API_ROUTES.worklist, toEntry(form));
      setForm(blank());
      setEditing(undefined);
      entries.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="worklist">
      <Section title={t('Modality worklist')} actions={<button type="button" onClick={() => { entries.reload(); steps.reload(); }}>{t('Refresh')}</button>}>
        <ErrorText error={entries.error || steps.error} />
        <table>
          <thead><tr><th>{t('Date')}</th><th>{t('Time')}</th><th>{t('Patient')}</th><th>{t('ID')}</th><th>{t('Modality')}</th><th>{t('Station')}</th><th>{t('Procedure')}</th><th>{t('Accession')}</th><th>{t('Status')}</th><th>{t('Performed')}</th><th>{t('From')}</th><th /></tr></thead>
          <tbody>
            {(entries.data ?? []).length === 0 && <tr><td colSpan={12} className="empty">{t('Nothing scheduled.')}</td></tr>}
            {(entries.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>{date(e.scheduledDate)}</td><td>{e.scheduledTime.slice(0, 2)}{e.scheduledTime ? ':' : ''}{e.scheduledTime.slice(2, 4)}</td>
                <td>{personName(e.patientName)}</td><td>{e.patientId}</td><td>{e.modality}</td><td>{e.scheduledAe}</td>
                <td>{e.requestedProcedureDescription}</td><td>{e.accessionNumber}</td><td>{e.stepStatus}</td>
                <td className="mpps"><PerformedStep state={e.mppsStatus} step={performed.get(e.mppsUid)} /></td>
                <td>{e.source === 'HL7' ? t('HL7 order {order}', { order: e.placerOrder }) : t('typed')}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => { setEditing(e.id); setForm(toForm(e)); setError(''); }}>{t('Edit')}</button>
                  <DeleteButton question={t('Delete the scheduled step of {name}?', { name: personName(e.patientName) })} route={API_ROUTES.worklistEntry(e.id)} onDeleted={entries.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={editing !== undefined ? t('Edit scheduled step {id}', { id: editing }) : t('Schedule a procedure step')}>
        <form className="grid-form" onSubmit={(e) => { e.preventDefault(); void save(); }}>
          {FIELDS.map(([key, label, help, type]) => (
            <Field key={key} label={t(label)} help={help ? t(help) : undefined}>
              <input name={key} type={type ?? 'text'} value={form[key] ?? ''} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
            </Field>
          ))}
          <div className="form-actions">
            <button type="submit" className="primary">{editing !== undefined ? t('Save') : t('Add to worklist')}</button>
            {editing !== undefined && <button type="button" onClick={() => { setEditing(undefined); setForm(blank()); }}>{t('Cancel')}</button>}
          </div>
          <ErrorText error={error} />
        </form>
      </Section>
    </div>
  );
}
