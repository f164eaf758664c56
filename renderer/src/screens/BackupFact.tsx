import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useCallback } from 'react';
import { api } from '../api.ts';
import { ActionButton, ErrorText } from '../components.tsx';
import { dateTime } from '../format.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';
import { useMay } from '../permissions.ts';

/**
 * The Monitor's line on the scheduled backup (BackupFolder): when the last one succeeded and where, a warning when it
 * is overdue (BackupWarnDays) or failed, and "Back up now" for who may configure the archive.
 */
export function BackupFact() {
  const state = useLoad(() => api(ENDPOINTS.backup), []);
  const reload = useCallback(() => state.reload(), [state.reload]);
  useInterval(reload, 10_000);
  const mayConfigure = useMay('configure');
  const b = state.data;
  if (state.error) return <ErrorText error={state.error} />;
  if (!b) return null;
  if (!b.folder)
    return (
      <div className="backup" data-testid="backup">
        {t('No scheduled backup: set BackupFolder in Settings')}
      </div>
    );
  return (
    <div className={`backup${b.overdue || b.lastError ? ' warning' : ''}`} data-testid="backup" title={b.folder}>
      {b.running
        ? t('A backup is running')
        : b.lastFinishedAt
          ? t('Last backup {when}', { when: dateTime(b.lastFinishedAt) })
          : t('No backup has succeeded yet')}
      {b.overdue && !b.running && <b> {t('(overdue)')}</b>}
      {b.lastError && <span className="error"> {t('The last backup failed: {reason}', { reason: b.lastError })}</span>}{' '}
      {mayConfigure && !b.running && (
        <ActionButton onClick={() => api(ENDPOINTS.backupNow).then(reload)}>{t('Back up now')}</ActionButton>
      )}
    </div>
  );
}
