import { useState } from 'react';
import { API_ROUTES, type AuditDto } from '../../../main/api/contract.ts';
import { auditCsvUrl, call } from '../api.ts';
import { ErrorText, Field, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';

const ACTIONS = ['', 'login', 'login-failed', 'logout', 'setup', 'password-changed', 'user-created', 'user-changed', 'user-deleted', 'settings-changed',
  'nodes-changed', 'association-accepted', 'association-rejected', 'query', 'retrieve', 'send', 'import', 'export', 'delete', 'edit', 'view', 'refused', 'application-start', 'application-stop'];

/** The audit trail, for administrators: who did what to which patient's data, filtered, and as CSV to keep. */
export function Audit() {
  const [filter, setFilter] = useState({ user: '', patient: '', action: '', from: '', to: '' });
  const [applied, setApplied] = useState(filter);
  const params = Object.fromEntries(Object.entries(applied).filter(([, v]) => v));
  const records = useLoad(() => call<AuditDto[]>('GET', `${API_ROUTES.audit}?${new URLSearchParams({ ...params, limit: '500' })}`), [JSON.stringify(applied)]);
  const set = (k: keyof typeof filter) => (e: { target: { value: string } }) => setFilter({ ...filter, [k]: e.target.value });
  return (
    <Section title="Audit trail" actions={<a className="button" href={auditCsvUrl(params)} download>Export CSV</a>}>
      <form className="inline-form" onSubmit={(e) => { e.preventDefault(); setApplied(filter); }}>
        <Field label="User or AE"><input name="audit-user" value={filter.user} onChange={set('user')} /></Field>
        <Field label="Patient ID"><input name="audit-patient" value={filter.patient} onChange={set('patient')} /></Field>
        <Field label="Action"><select name="audit-action" value={filter.action} onChange={set('action')}>{ACTIONS.map((a) => <option key={a} value={a}>{a || 'any'}</option>)}</select></Field>
        <Field label="From"><input name="audit-from" type="date" value={filter.from} onChange={set('from')} /></Field>
        <Field label="To"><input name="audit-to" type="date" value={filter.to} onChange={set('to')} /></Field>
        <button type="submit" className="primary">Filter</button>
      </form>
      <ErrorText error={records.error} />
      <table className="list audit">
        <thead><tr><th>When</th><th>User</th><th>From</th><th>Action</th><th>Outcome</th><th>Patient</th><th>Study</th><th>Detail</th></tr></thead>
        <tbody>
          {records.data?.map((r) => (
            <tr key={r.id} className={r.outcome === 'success' ? '' : 'failed'}>
              <td>{new Date(r.at).toLocaleString()}</td><td>{r.user}</td><td>{r.source}</td><td>{r.action}</td><td>{r.outcome}</td>
              <td>{r.patientId}</td><td title={r.studyUid}>{r.studyUid ? `…${r.studyUid.slice(-12)}` : ''}</td><td className="detail">{r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {records.data?.length === 500 && <p>Showing the newest 500 records: narrow the filter, or export CSV for all.</p>}
    </Section>
  );
}
