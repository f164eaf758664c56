import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import { api, downloadLink } from './api.ts';
import { ActionButton } from './components.tsx';
import { t } from './i18n.ts';
import { askText } from './ask-text.tsx';

/**
 * Exporting a study as DICOM media with its DICOMDIR: a ZIP or an ISO image (to burn) downloaded by the browser, or a
 * media set written to a folder of the archive's computer (a USB stick in it).
 */
export function ExportLinks({ studyUid }: { studyUid: string }) {
  const [result, setResult] = useState('');
  const link = (format: string) => downloadLink(ENDPOINTS.export, { level: 'STUDY', uid: studyUid, format });
  return (
    <span className="export">
      <a
        className="button"
        {...link('zip')}
        download
        title={t('The study as a ZIP of a DICOM media set with its DICOMDIR')}
      >
        {t('ZIP')}
      </a>
      <a
        className="button"
        {...link('iso')}
        download
        title={t('The study as an ISO 9660 image with its DICOMDIR, to burn on a CD or DVD')}
      >
        {t('ISO')}
      </a>
      <ActionButton
        title={t(
          "Write the study as a DICOM media set (DICOMDIR) into a folder of the archive's computer, e.g. a USB stick",
        )}
        onClick={async () => {
          const to = await askText(
            t(
              "Folder to write the study into (a full path on the archive's computer, e.g. a USB stick; empty, or without a DICOMDIR):",
            ),
          );
          if (!to) return;
          const s = await api(ENDPOINTS.exportTo, { body: { level: 'STUDY', uid: studyUid, to } });
          setResult(
            t('{n, plural, one {# object} other {# objects}} written to {folder}', { n: s.objects, folder: s.folder }),
          );
        }}
      >
        {t('To folder…')}
      </ActionButton>
      {result && (
        <span className="ok inline" role="status">
          {result}
        </span>
      )}
    </span>
  );
}
