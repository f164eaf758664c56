import { useState } from 'react';
import { toDicomDate } from './format.ts';
import { t } from './i18n.ts';

/** The search fields Query/Retrieve and Studies share, turned into C-FIND keys at the STUDY level. */

export interface SearchValues {
  name: string;
  patientId: string;
  from: string;
  to: string;
  modality: string;
  accession: string;
}

export const EMPTY_SEARCH: SearchValues = { name: '', patientId: '', from: '', to: '', modality: '', accession: '' };

/** What the study tables show. */
export const STUDY_RETURN_KEYS = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyDescription',
  'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'StudyInstanceUID'];

export function studyKeys(v: SearchValues): Record<string, string> {
  const keys: Record<string, string> = Object.fromEntries(STUDY_RETURN_KEYS.map((k) => [k, '']));
  const name = v.name.trim();
  // A name is matched as typed when it has wildcards; otherwise as the start of the name.
  if (name) keys.PatientName = /[*?]/.test(name) ? name : `${name}*`;
  if (v.patientId.trim()) keys.PatientID = v.patientId.trim();
  if (v.from || v.to) keys.StudyDate = v.from === v.to ? toDicomDate(v.from) : `${toDicomDate(v.from)}-${toDicomDate(v.to)}`;
  if (v.modality.trim()) keys.ModalitiesInStudy = v.modality.trim().toUpperCase();
  if (v.accession.trim()) keys.AccessionNumber = v.accession.trim();
  return keys;
}

/** Quick study date filters: [label, days back of the last day, days long]. */
const QUICK_DATES: [string, number, number][] = [['Today', 0, 1], ['Yesterday', 1, 1], ['Last 7 days', 0, 7]];

/** The local date `offset` days from today, as an <input type=date> value. */
function isoDay(offset: number): string {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** `onCancel`, when given, offers a Cancel button while `busy` (a search on a remote node may wait for it). */
export function SearchForm({ onSearch, busy, onCancel, children }: { onSearch: (v: SearchValues) => void; busy: boolean; onCancel?: () => void; children?: React.ReactNode }) {
  const [v, setV] = useState(EMPTY_SEARCH);
  const field = (key: keyof SearchValues, label: string, type = 'text', size = 14) => (
    <label className="field compact">
      <span className="label">{t(label)}</span>
      <input name={key} type={type} size={size} value={v[key]} onChange={(e) => setV({ ...v, [key]: e.target.value })} />
    </label>
  );
  return (
    <form className="search-form" onSubmit={(e) => { e.preventDefault(); onSearch(v); }}>
      {children}
      {field('name', 'Patient name', 'text', 18)}
      {field('patientId', 'Patient ID')}
      {field('from', 'Study date from', 'date', 10)}
      {field('to', 'to', 'date', 10)}
      <span className="quick-dates" role="group" aria-label={t('Study date')}>
        {QUICK_DATES.map(([label, back, days]) => (
          <button type="button" key={label} onClick={() => {
            const next = { ...v, from: isoDay(-back - days + 1), to: isoDay(-back) };
            setV(next);
            onSearch(next);
          }}>{t(label)}</button>
        ))}
      </span>
      {field('modality', 'Modality', 'text', 5)}
      {field('accession', 'Accession', 'text', 12)}
      <button type="submit" className="primary" disabled={busy}>{busy ? t('Searching…') : t('Search')}</button>
      {busy && onCancel && <button type="button" onClick={onCancel}>{t('Cancel')}</button>}
      <button type="button" onClick={() => { setV(EMPTY_SEARCH); onSearch(EMPTY_SEARCH); }}>{t('Clear')}</button>
    </form>
  );
}
