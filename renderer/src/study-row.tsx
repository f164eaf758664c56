import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import type { FindAnswer, JobDto, NodeDto, PatientNamesDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { ActionButton, DeleteButton } from './components.tsx';
import { date, personName } from './format.ts';
import { go } from './hooks.ts';
import { Picture } from './picture.tsx';
import { NameConflict } from './name-conflict.tsx';
import { ExportLinks } from './export-links.tsx';
import { MenuButton } from './menu-button.tsx';
import { JobState, SendStudy } from './study-actions.tsx';
import { useMay } from './permissions.ts';
import { t } from './i18n.ts';

/**
 * One study of the Studies screen on one line (a laptop's 1366x768 shows a page of them): long names and descriptions
 * cut with their whole text on hover; View as a link (Ctrl+click or the middle button opens it in a window of its own,
 * for a second monitor) and Send at hand; editing, export, protection and deletion under More.
 */
export function StudyRow({
  r,
  names,
  cachedFrom,
  nodes,
  isProtected,
  editing,
  onEdit,
  onChanged,
}: {
  r: FindAnswer;
  names: PatientNamesDto | undefined;
  /** The upstream node this study was fetched from through this archive (a virtual server's cache). */
  cachedFrom?: string;
  nodes: NodeDto[];
  isProtected: boolean;
  editing: boolean;
  onEdit: () => void;
  onChanged: (what: 'protection' | 'studies') => void;
}) {
  const [mayEdit, mayTransfer, mayDelete, mayConfigure] = [
    useMay('edit'),
    useMay('transfer'),
    useMay('delete'),
    useMay('configure'),
  ];
  const [sent, setSent] = useState<JobDto>();
  const uid = r.StudyInstanceUID!;
  const name = personName(r.PatientName ?? '');
  return (
    // A double click opens the study, as in peers' study lists.
    <tr
      data-study={uid}
      onDoubleClick={(e) => {
        if (!(e.target as HTMLElement).closest('button, select, input, a, .menu-panel')) go('viewer', uid);
      }}
    >
      <td className="study-thumb">
        <Picture route={pathOf(ENDPOINTS.studyThumbnail, [uid], { size: '48' })} alt={t('study')} size={48} />
      </td>
      <td className="patient-name">
        <span className="clip" title={name}>
          {name}
        </span>
        {names && <NameConflict names={names} mayEdit={mayEdit} onDone={() => onChanged('studies')} />}
      </td>
      <td>{r.PatientID}</td>
      <td>{date(r.PatientBirthDate ?? '')}</td>
      <td>{r.PatientSex}</td>
      <td>{date(r.StudyDate ?? '')}</td>
      <td>{r.ModalitiesInStudy}</td>
      <td className="description">
        <span className="clip" title={r.StudyDescription}>
          {r.StudyDescription}
        </span>
        {cachedFrom && <span className="badge cached">{t('cached from {node}', { node: cachedFrom })}</span>}
      </td>
      <td>{r.AccessionNumber}</td>
      <td className="num">{r.NumberOfStudyRelatedSeries}</td>
      <td className="num">{r.NumberOfStudyRelatedInstances}</td>
      <td className="row-actions">
        <div className="actions-line">
          <a className="button primary" href={`#/viewer/${encodeURIComponent(uid)}`}>
            {t('View')}
          </a>
          {mayTransfer && <SendStudy studyUid={uid} nodes={nodes} onSent={setSent} />}
          {(mayEdit || mayTransfer || mayDelete || mayConfigure) && (
            <MenuButton label={t('More')} className="more">
              {(close) => (
                <>
                  {mayEdit && (
                    <div className="menu-line">
                      <button
                        type="button"
                        aria-expanded={editing}
                        onClick={() => {
                          onEdit();
                          close();
                        }}
                      >
                        {t('Edit')}
                      </button>
                    </div>
                  )}
                  {mayConfigure && (
                    <div className="menu-line">
                      <a href={`#/automation/${encodeURIComponent(uid)}`} onClick={() => close()}>
                        {t('Try the converters')}
                      </a>
                    </div>
                  )}
                  {mayTransfer && (
                    <div className="menu-line">
                      <span className="label">{t('Export')}</span>
                      <ExportLinks studyUid={uid} />
                    </div>
                  )}
                  {mayDelete && (
                    <div className="menu-line">
                      <ActionButton
                        pressed={isProtected}
                        title={t(
                          'A protected study is never deleted by the clean-up when the disk fills (MAGDeviceThreshold), nor by Delete',
                        )}
                        onClick={async () => {
                          await api(ENDPOINTS.studyProtection, { params: [uid], body: { protected: !isProtected } });
                          onChanged('protection');
                        }}
                      >
                        {isProtected ? t('Protected') : t('Protect')}
                      </ActionButton>
                      {isProtected ? (
                        <button
                          type="button"
                          className="danger"
                          disabled
                          title={t('A protected study cannot be deleted: remove its protection first')}
                        >
                          {t('Delete')}
                        </button>
                      ) : (
                        <DeleteButton
                          question={t(
                            'Delete the study of {name} from {date} ({n, plural, one {# image} other {# images}}) from this archive? This cannot be undone.',
                            { name, date: date(r.StudyDate ?? ''), n: r.NumberOfStudyRelatedInstances ?? '' },
                          )}
                          endpoint={ENDPOINTS.study}
                          params={[uid]}
                          onDeleted={(done) => {
                            if (done.filesNotDeleted)
                              alert(
                                t(
                                  '{n, plural, one {# file} other {# files}} could not be deleted from the disk yet (another program holds them): they are deleted later.',
                                  { n: done.filesNotDeleted },
                                ),
                              );
                            onChanged('studies');
                          }}
                        />
                      )}
                    </div>
                  )}
                </>
              )}
            </MenuButton>
          )}
        </div>
        {sent && (
          <div className="row-job">
            <JobState job={sent} />
          </div>
        )}
      </td>
    </tr>
  );
}
