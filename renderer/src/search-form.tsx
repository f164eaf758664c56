import { useState } from 'react';
import { toDicomDate } from './format.ts';
import { t } from './i18n.ts';
import { DateField } from './date-field.tsx';

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
export const STUDY_RETURN_KEYS = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'StudyDescription',
  'ModalitiesInStudy',
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
  'StudyInstanceUID',
];

/** A text field's value as a key: as typed when it has wildcards, otherwise what begins with it (the form says so). */
function beginsWith(text: string): string {
  const v = text.trim();
  return /[*?]/.test(v) ? v : `${v}*`;
}

export function studyKeys(v: SearchValues): Record<string, string> {
  const keys: Record<string, string> = Object.fromEntries(STUDY_RETURN_KEYS.map((k) => [k, '']));
  if (v.name.trim()) keys.PatientName = beginsWith(v.name);
  if (v.patientId.trim()) keys.PatientID = beginsWith(v.patientId);
  if (v.from || v.to)
    keys.StudyDate = v.from === v.to ? toDicomDate(v.from) : `${toDicomDate(v.from)}-${toDicomDate(v.to)}`;
  if (v.modality.trim()) keys.ModalitiesInStudy = v.modality.trim().toUpperCase();
  if (v.accession.trim()) keys.AccessionNumber = beginsWith(v.accession);
  return keys;
}

/** Quick study date filters: [label, days back of the last day, days long]. */
const QUICK_DATES: [string, number, number][] = [
  ['Today', 0, 1],
  ['Yesterday', 1, 1],
  ['Last 7 days', 0, 7],
];

/** The local date `offset` days from today, as an <input type=date> value. */
function isoDay(offset: number): string {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** `onCancel`, when given, offers a Cancel button while `busy` (a search on a remote node may wait for it). */
export function SearchForm({
  onSearch,
  busy,
  onCancel,
  children,
  after,
  onClear,
}: {
  onSearch: (v: SearchValues) => void;
  busy: boolean;
  onCancel?: () => void;
  children?: React.ReactNode;
  /** Fields after ours, before the buttons (the Studies screen's keys from dicom.sql). */
  after?: React.ReactNode;
  /** Clear was pressed (after `onSearch` of the empty search): fields of `after` empty too. */
  onClear?: () => void;
}) {
  const [v, setV] = useState(EMPTY_SEARCH);
  const field = (key: keyof SearchValues, label: string, type = 'text', size = 14, placeholder = '') => (
    <label className="field compact">
      <span className="label">{t(label)}</span>
      {type === 'date' ? (
        <DateField name={key} value={v[key]} onChange={(iso) => setV({ ...v, [key]: iso })} />
      ) : (
        <input
          name={key}
          type={type}
          size={size}
          value={v[key]}
          placeholder={placeholder}
          onChange={(e) => setV({ ...v, [key]: e.target.value })}
        />
      )}
    </label>
  );
  const starts = t('begins with…');
  return (
    <form
      className="search-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(v);
      }}
    >
      {children}
      {field('name', 'Patient name', 'text', 18, starts)}
      {field('patientId', 'Patient ID', 'text', 14, starts)}
      {field('from', 'Study date from', 'date', 10)}
      {field('to', 'to', 'date', 10)}
      <span className="quick-dates" role="group" aria-label={t('Study date')}>
        {QUICK_DATES.map(([label, back, days]) => (
          <button
            type="button"
            key={label}
            onClick={() => {
              const next = { ...v, from: isoDay(-back - days + 1), to: isoDay(-back) };
              setV(next);
              onSearch(next);
            }}
          >
            {t(label)}
          </button>
        ))}
      </span>
      {field('modality', 'Modality', 'text', 5)}
      {field('accession', 'Accession', 'text', 12, starts)}
      {after}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('Searching…') : t('Search')}
      </button>
      {busy && onCancel && (
        <button type="button" onClick={onCancel}>
          {t('Cancel')}
        </button>
      )}
      <button
        type="button"
        onClick={() => {
          setV(EMPTY_SEARCH);
          onSearch(EMPTY_SEARCH);
          onClear?.();
        }}
      >
        {t('Clear')}
      </button>
      <p className="help search-help">
        {t(
          'Name, patient ID and accession find what begins with what you type (* and ? are wildcards), here whatever the case and diacritics; another node matches as it does.',
        )}
      </p>
    </form>
  );
}
