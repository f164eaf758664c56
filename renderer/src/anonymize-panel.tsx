import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import { api, downloadLink } from './api.ts';
import { ActionButton, Field } from './components.tsx';
import { t } from './i18n.ts';

/**
 * De-identifying a study (PS3.15 Annex E Basic profile) on the Studies screen: the options a user needs, the new
 * patient's name and ID (made up when empty), and the result kept here as a new study or downloaded as a ZIP; what may
 * still identify the patient (text burned into the pixels) is said.
 */
const OPTIONS: [string, string, string][] = [
  ['retainLongitudinalFullDates', 'dates', 'Keep dates and times (Retain Longitudinal Temporal Information)'],
  ['retainPatientCharacteristics', 'characteristics', 'Keep sex, age, size, weight (Retain Patient Characteristics)'],
  ['cleanDescriptors', 'descriptors', 'Keep descriptions, without the name and ID (Clean Descriptors)'],
  ['keepPrivateTags', 'private', 'Keep private (vendor) attributes'],
];

export function AnonymizePanel({ studyUid }: { studyUid: string }) {
  const [options, setOptions] = useState<Record<string, boolean>>({});
  const [patientName, setPatientName] = useState('');
  const [patientId, setPatientId] = useState('');
  const [result, setResult] = useState('');
  const link = downloadLink(ENDPOINTS.export, {
    level: 'STUDY',
    uid: studyUid,
    format: 'zip',
    anonymize: '1',
    ...(patientName ? { patientName } : {}),
    ...(patientId ? { patientId } : {}),
    ...Object.fromEntries(OPTIONS.filter(([k]) => options[k]).map(([, q]) => [q, '1'])),
  });
  return (
    <fieldset className="anonymize">
      <legend>{t('Anonymize (DICOM PS3.15 Annex E, Basic profile)')}</legend>
      {OPTIONS.map(([key, , label]) => (
        <label key={key} className="inline">
          <input
            type="checkbox"
            checked={options[key] ?? false}
            onChange={(e) => setOptions({ ...options, [key]: e.target.checked })}
          />{' '}
          {t(label)}
        </label>
      ))}
      <div className="grid-form">
        <Field label={t('New patient name')} help={t('Empty: ANONYMOUS^ and a random code')}>
          <input name="anon-name" value={patientName} onChange={(e) => setPatientName(e.target.value)} />
        </Field>
        <Field label={t('New patient ID')} help={t('Empty: ANON and the same code')}>
          <input name="anon-id" value={patientId} onChange={(e) => setPatientId(e.target.value)} />
        </Field>
      </div>
      <ActionButton
        onClick={async () => {
          const r = await api(ENDPOINTS.anonymize, {
            body: {
              level: 'STUDY',
              uid: studyUid,
              options: { ...options, patientName: patientName || undefined, patientId: patientId || undefined },
            },
          });
          setResult(
            t(
              'A de-identified copy of {n, plural, one {# object} other {# objects}} is here as patient {id} ({name}).',
              { n: r.objects, id: r.patientId, name: r.patientName },
            ) + (r.warnings?.length ? ` ${t('Careful: {what}.', { what: r.warnings.join('; ') })}` : ''),
          );
        }}
      >
        {t('Copy as a new anonymized study')}
      </ActionButton>
      <a className="button" {...link} download>
        {t('Download anonymized ZIP')}
      </a>
      {result && (
        <p className="ok" role="status">
          {result}
        </p>
      )}
    </fieldset>
  );
}
