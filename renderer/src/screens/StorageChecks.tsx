import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import type { StorageProblemDto } from '../../../main/api/contract.ts';
import { useCallback } from 'react';
import { api } from '../api.ts';
import { ActionButton, ErrorText, Section } from '../components.tsx';
import { bytes, dateTime } from '../format.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';
import { useMay } from '../permissions.ts';

const PROBLEMS: Record<StorageProblemDto['problem'], string> = {
  missing: 'file missing',
  size: 'size changed',
  checksum: 'bytes changed',
  unreadable: 'cannot be read',
};
const STATES: Record<StorageProblemDto['state'], string> = {
  damaged: 'damaged',
  repairing: 'being repaired',
  repaired: 'repaired',
  unrepairable: 'no copy found',
};

/**
 * The Monitor's verification of the stored objects (VerifyStorage): the last complete run, the one running, "Verify
 * now", and each object found damaged with where its repair stands; "Repair" asks VerifyRepairFrom's nodes for copies.
 */
export function StorageChecks() {
  const state = useLoad(() => api(ENDPOINTS.verification), []);
  const reload = useCallback(() => state.reload(), [state.reload]);
  useInterval(reload, 5_000);
  const mayConfigure = useMay('configure');
  const v = state.data;
  if (state.error) return <ErrorText error={state.error} />;
  if (!v) return null;
  const open = v.problems.filter((p) => p.state !== 'repaired');
  return (
    <Section title={t('Verification of the stored objects')}>
      <div className={`verification${open.length ? ' warning' : ''}`} data-testid="verification">
        {v.running
          ? t('Verifying: {n} objects ({size}) read so far', { n: v.running.checked, size: bytes(v.running.bytes) })
          : v.lastCompleteAt
            ? t('Last complete verification {when}', { when: dateTime(v.lastCompleteAt) })
            : t('No verification has completed yet')}
        {v.last && !v.running && (
          <span>
            {' '}
            {t('(last run: {n} objects, {found} problems found)', { n: v.last.checked, found: v.last.found })}
          </span>
        )}
        {v.lastError && <span className="error"> {v.lastError}</span>}{' '}
        {mayConfigure && !v.running && (
          <ActionButton onClick={() => api(ENDPOINTS.verifyNow).then(reload)}>{t('Verify now')}</ActionButton>
        )}{' '}
        {mayConfigure && open.some((p) => p.state !== 'repairing') && (
          <ActionButton onClick={() => api(ENDPOINTS.repairObjects, { body: {} }).then(reload)}>
            {t('Repair')}
          </ActionButton>
        )}
      </div>
      {v.problems.length > 0 && (
        <table className="storage-problems" data-testid="storage-problems">
          <thead>
            <tr>
              <th>{t('Found')}</th>
              <th>{t('Patient ID')}</th>
              <th>{t('File')}</th>
              <th>{t('Problem')}</th>
              <th>{t('State')}</th>
            </tr>
          </thead>
          <tbody>
            {v.problems.map((p) => (
              <tr key={p.sopInstanceUid} data-state={p.state} title={p.sopInstanceUid}>
                <td>{dateTime(p.foundAt)}</td>
                <td>{p.patientId}</td>
                <td>
                  <code>{p.file}</code>
                </td>
                <td>{t(PROBLEMS[p.problem])}</td>
                <td title={p.detail}>{t(STATES[p.state])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
