import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { api, downloadLink } from '../api.ts';
import { ErrorText, Section } from '../components.tsx';
import { bytes, dateTime } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { t } from '../i18n.ts';
import { useMay } from '../permissions.ts';

/** The Monitor's log files (DATA/logs), newest first, each a download, for who may configure the archive. */
export function LogFiles() {
  if (!useMay('configure')) return null;
  return <LogFileList />;
}

function LogFileList() {
  const files = useLoad(() => api(ENDPOINTS.logFiles), []);
  return (
    <Section
      title={t('Log files')}
      actions={
        <button type="button" onClick={files.reload}>
          {t('Refresh')}
        </button>
      }
    >
      <ErrorText error={files.error} />
      <ul className="log-files" data-testid="log-files">
        {files.data?.map((f) => (
          <li key={f.name}>
            <a {...downloadLink(ENDPOINTS.logFile, { name: f.name })} download={f.name}>
              {f.name}
            </a>{' '}
            {bytes(f.size)}, {dateTime(f.modified)}
          </li>
        ))}
      </ul>
    </Section>
  );
}
