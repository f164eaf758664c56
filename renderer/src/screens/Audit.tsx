import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import { api, downloadLink } from '../api.ts';
import { ErrorText, Field, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { dateTime, personName } from '../format.ts';
import { locale, t } from '../i18n.ts';
import { DateField } from '../date-field.tsx';

/** Spreadsheets in a language that writes 1,5 for one and a half split CSV fields at semicolons. */
function csvSeparator(): string {
  return (1.5).toLocaleString(locale()).includes(',') ? ';' : ',';
}

const ACTIONS = [
  '',
  'login',
  'login-failed',
  'logout',
  'setup',
  'password-changed',
  'user-created',
  'user-changed',
  'user-deleted',
  'key-created',
  'key-revoked',
  'settings-changed',
  'nodes-changed',
  'association-accepted',
  'association-rejected',
  'query',
  'retrieve',
  'send',
  'import',
  'export',
  'delete',
  'edit',
  'view',
  'refused',
  'application-start',
  'application-stop',
  'converter-command',
  'storage-damaged',
  'storage-repaired',
];

/** The audit trail, for administrators: who did what to which patient's data, filtered, and as CSV to keep. */
export function Audit() {
  const [filter, setFilter] = useState({ user: '', patient: '', action: '', from: '', to: '' });
  const [applied, setApplied] = useState(filter);
  const params = Object.fromEntries(Object.entries(applied).filter(([, v]) => v));
  const records = useLoad(
    () => api(ENDPOINTS.audit, { query: { ...params, limit: '500' } }),
    [JSON.stringify(applied)],
  );
  const set = (k: keyof typeof filter) => (e: { target: { value: string } }) =>
    setFilter({ ...filter, [k]: e.target.value });
  return (
    <Section
      title={t('Audit trail')}
      actions={
        <a className="button" {...downloadLink(ENDPOINTS.auditCsv, { ...params, sep: csvSeparator() })} download>
          {t('Export CSV')}
        </a>
      }
    >
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filter);
        }}
      >
        <Field label={t('User or AE')}>
          <input name="audit-user" value={filter.user} onChange={set('user')} />
        </Field>
        <Field label={t('Patient (ID or name)')}>
          <input name="audit-patient" value={filter.patient} onChange={set('patient')} />
        </Field>
        <Field label={t('Action')}>
          <select name="audit-action" value={filter.action} onChange={set('action')}>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a ? t(a) : t('any')}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('Since')}>
          <DateField name="audit-from" value={filter.from} onChange={(from) => setFilter({ ...filter, from })} />
        </Field>
        <Field label={t('Until')}>
          <DateField name="audit-to" value={filter.to} onChange={(to) => setFilter({ ...filter, to })} />
        </Field>
        <button type="submit" className="primary">
          {t('Filter')}
        </button>
      </form>
      <ErrorText error={records.error} />
      <table className="list audit">
        <thead>
          <tr>
            <th>{t('When')}</th>
            <th>{t('User')}</th>
            <th>{t('From')}</th>
            <th>{t('Action')}</th>
            <th>{t('Outcome')}</th>
            <th>{t('Patient')}</th>
            <th>{t('Study')}</th>
            <th>{t('Detail')}</th>
          </tr>
        </thead>
        <tbody>
          {records.data?.map((r) => (
            <tr key={r.id} className={r.outcome === 'success' ? '' : 'failed'}>
              <td>{dateTime(r.at)}</td>
              <td>{r.user}</td>
              <td>{r.source}</td>
              <td>{t(r.action)}</td>
              <td>{t(r.outcome)}</td>
              <td>{r.patientName ? `${personName(r.patientName)} (${r.patientId})` : r.patientId}</td>
              <td title={r.studyUid}>{r.studyUid ? `…${r.studyUid.slice(-12)}` : ''}</td>
              <td className="detail">{r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {records.data?.length === 500 && (
        <p>{t('Showing the newest 500 records: narrow the filter, or export CSV for all.')}</p>
      )}
    </Section>
  );
}
