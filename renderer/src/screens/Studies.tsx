import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { api, downloadLink } from '../api.ts';
import { ActionButton, ErrorText, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { DropImport, UploadFiles } from '../upload-files.tsx';
import { useRemoteNodes } from '../remote-nodes.ts';
import { StudyEdit } from '../study-edit.tsx';
import { StudyRow } from '../study-row.tsx';
import { useMay } from '../permissions.ts';
import { EMPTY_SEARCH, SearchForm, studyKeys, type SearchValues } from '../search-form.tsx';
import { t } from '../i18n.ts';
import { IndexKeyField, NO_INDEX_KEY, indexKeySearch, type IndexKeyValue } from '../index-key-field.tsx';

/** The local archive: search, sort, page; send a study to a node, delete it, open it in the viewer. */

const PAGE = 50;
/** The most recently stored studies a search shows; a narrower search finds the others. */
const SHOWN = 1000;
const COLUMNS: [string, string][] = [
  ['PatientName', 'Patient'],
  ['PatientID', 'ID'],
  ['PatientBirthDate', 'Born'],
  ['PatientSex', 'Sex'],
  ['StudyDate', 'Date'],
  ['ModalitiesInStudy', 'Modalities'],
  ['StudyDescription', 'Description'],
  ['AccessionNumber', 'Accession'],
  ['NumberOfStudyRelatedSeries', 'Series'],
  ['NumberOfStudyRelatedInstances', 'Images'],
];
const NUMERIC = new Set(['NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances']);

export function Studies() {
  const [search, setSearch] = useState<SearchValues>(EMPTY_SEARCH);
  // A key dicom.sql added (a series' protocol, an image's type): the field as typed, and as last searched.
  const indexKeys = useLoad(() => api(ENDPOINTS.indexKeys), []);
  const [indexKey, setIndexKey] = useState<IndexKeyValue>(NO_INDEX_KEY);
  const [searchedKey, setSearchedKey] = useState<IndexKeyValue>(NO_INDEX_KEY);
  const [tick, setTick] = useState(0);
  const studies = useLoad(
    () =>
      api(ENDPOINTS.studies, {
        body: { level: 'STUDY', keys: { ...studyKeys(search), ...indexKeySearch(searchedKey) }, limit: SHOWN + 1 },
      }),
    [search, searchedKey, tick],
  );
  const more = (studies.data?.length ?? 0) > SHOWN;
  // Each study shows its own spelling of the patient's name; a patient with several is marked (name-conflict.tsx).
  const names = useLoad(async () => {
    const ids = [...new Set((studies.data ?? []).map((r) => r.PatientID ?? ''))];
    return ids.length ? api(ENDPOINTS.patientNames, { body: { patientIds: ids } }) : [];
  }, [studies.data]);
  const namesOf = new Map((names.data ?? []).map((n) => [n.patientId, n]));
  // Studies fetched through this archive from the PACS it stands in front of (virtual servers): their cache here.
  const cached = useLoad(async () => {
    const uids = (studies.data ?? []).slice(0, SHOWN).map((r) => r.StudyInstanceUID ?? '');
    return uids.length ? api(ENDPOINTS.cachedStudies, { body: { studyUids: uids } }) : ({} as Record<string, string>);
  }, [studies.data]);
  const nodes = useRemoteNodes();
  const protectedList = useLoad(() => api(ENDPOINTS.protectedStudies), [tick]);
  const isProtected = new Set(protectedList.data ?? []);
  const [sort, setSort] = useState<{ key: string; up: boolean }>({ key: 'StudyDate', up: false });
  const [page, setPage] = useState(0);
  const [editing, setEditing] = useState<string>();
  useEffect(() => setPage(0), [search, sort]);
  const [mayEdit, mayTransfer] = [useMay('edit'), useMay('transfer')];

  const sorted = useMemo(() => {
    const rows = (studies.data ?? []).slice(0, SHOWN);
    const { key, up } = sort;
    rows.sort((a, b) => {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const c = NUMERIC.has(key)
        ? Number(x) - Number(y)
        : key === 'StudyDate'
          ? (x + (a.StudyTime ?? '')).localeCompare(y + (b.StudyTime ?? ''))
          : x.localeCompare(y, undefined, { sensitivity: 'base' });
      return up ? c : -c;
    });
    return rows;
  }, [studies.data, sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE));
  const shown = sorted.slice(page * PAGE, page * PAGE + PAGE);

  return (
    <DropImport enabled={mayEdit} onDone={() => setTick((t) => t + 1)}>
      <div className="studies">
        <Section
          title={t('Studies in this archive')}
          actions={
            <button type="button" onClick={() => setTick((t) => t + 1)}>
              {t('Refresh')}
            </button>
          }
        >
          <SearchForm
            onSearch={(v) => {
              setSearch(v);
              setSearchedKey(indexKey);
            }}
            onClear={() => {
              setIndexKey(NO_INDEX_KEY);
              setSearchedKey(NO_INDEX_KEY);
            }}
            busy={studies.loading}
            after={
              <IndexKeyField
                keys={(indexKeys.data ?? []).filter((k) => k.level !== 'WORKLIST')}
                value={indexKey}
                onChange={setIndexKey}
              />
            }
          />
          <ErrorText error={studies.error || nodes.error} />
          <table className="results">
            <thead>
              <tr>
                <th />
                {COLUMNS.map(([key, label]) => (
                  <th
                    key={key}
                    className="sortable"
                    aria-sort={sort.key === key ? (sort.up ? 'ascending' : 'descending') : 'none'}
                  >
                    <button
                      type="button"
                      className="sort"
                      onClick={() => setSort({ key, up: sort.key === key ? !sort.up : true })}
                    >
                      {t(label)}
                      {sort.key === key ? (sort.up ? ' ▲' : ' ▼') : ''}
                    </button>
                  </th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {!studies.loading && shown.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS.length + 2} className="empty">
                    {t('No study matches.')}
                  </td>
                </tr>
              )}
              {shown.map((r) => (
                <Fragment key={r.StudyInstanceUID}>
                  <StudyRow
                    r={r}
                    names={namesOf.get(r.PatientID ?? '')}
                    cachedFrom={cached.data?.[r.StudyInstanceUID!]}
                    nodes={nodes.data ?? []}
                    isProtected={isProtected.has(r.StudyInstanceUID!)}
                    editing={editing === r.StudyInstanceUID}
                    onEdit={() => setEditing(editing === r.StudyInstanceUID ? undefined : r.StudyInstanceUID)}
                    onChanged={(what) => (what === 'protection' ? protectedList.reload() : setTick((t) => t + 1))}
                  />
                  {editing === r.StudyInstanceUID && (
                    <tr className="edit-row" data-editing={r.StudyInstanceUID}>
                      <td colSpan={COLUMNS.length + 2}>
                        <StudyEdit
                          study={r}
                          others={sorted.filter((o) => o.StudyInstanceUID !== r.StudyInstanceUID)}
                          onDone={() => setTick((t) => t + 1)}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
          {mayTransfer && shown.length > 1 && (
            <p className="export-result">
              <a
                className="button"
                download
                title={t('The studies on this page as one ZIP of a DICOM media set with its DICOMDIR')}
                {...downloadLink(ENDPOINTS.export, {
                  level: 'STUDY',
                  format: 'zip',
                  uid: shown.map((r) => r.StudyInstanceUID).join(','),
                })}
              >
                {t('Export {n, plural, one {this study} other {these # studies}} as ZIP', { n: shown.length })}
              </a>
            </p>
          )}
          {more && (
            <p className="help">
              {t(
                'More than {n, plural, one {# study matches} other {# studies match}}: these are the {n} most recently received. Narrow the search to find others.',
                { n: SHOWN },
              )}
            </p>
          )}
          {pages > 1 && (
            <div className="pager">
              <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                {t('Previous')}
              </button>
              <span>
                {t('Page {page} of {pages} ({n, plural, one {# study} other {# studies}})', {
                  page: page + 1,
                  pages,
                  n: sorted.length,
                })}
              </span>
              <button type="button" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>
                {t('Next')}
              </button>
            </div>
          )}
          {mayEdit && (
            <div className="imports">
              <UploadFiles onDone={() => setTick((t) => t + 1)} />
              {window.pacs && <ImportFolder onDone={() => setTick((t) => t + 1)} />}
            </div>
          )}
        </Section>
      </div>
    </DropImport>
  );
}

/** Desktop only: pick a folder (a CD, a USB disk) in a native dialog; the shell imports it. */
function ImportFolder({ onDone }: { onDone: () => void }) {
  const [result, setResult] = useState('');
  return (
    <div className="import">
      <ActionButton
        onClick={async () => {
          const summary = await window.pacs!.importFolder();
          if (summary) {
            setResult(summary);
            onDone();
          }
        }}
      >
        {t('Import a folder or CD…')}
      </ActionButton>
      {result && <span className="ok inline">{result}</span>}
    </div>
  );
}
