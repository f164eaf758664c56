import { ENDPOINTS, pathOf } from '../../../main/api/endpoints.ts';
import { useEffect, useState } from 'react';
import type { FindAnswer, RetrieveRequest } from '../../../main/api/contract.ts';
import { api, Cancelled } from '../api.ts';
import { ActionButton, ErrorText, Section } from '../components.tsx';
import { date, personName } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { nodeLabel, useRemoteNodes, type RemoteNode } from '../remote-nodes.ts';
import { Picture } from '../picture.tsx';
import { SearchForm, studyKeys, type SearchValues } from '../search-form.tsx';
import { JobTable, useJobs } from './Monitor.tsx';
import { useLive } from '../live.ts';
import { t } from '../i18n.ts';

/** Search another node (C-FIND), see studies then their series, and retrieve them here (C-MOVE/C-GET) or to a third node. */

const SERIES_KEYS = {
  SeriesInstanceUID: '',
  SeriesNumber: '',
  Modality: '',
  SeriesDescription: '',
  NumberOfSeriesRelatedInstances: '',
  BodyPartExamined: '',
};

function RetrieveButtons({
  node,
  nodes,
  level,
  keys,
  study,
}: {
  node: string;
  nodes: RemoteNode[];
  level: 'STUDY' | 'SERIES';
  keys: Record<string, string>;
  study: FindAnswer;
}) {
  const [how, setHow] = useState<'move' | 'get'>('move');
  const [to, setTo] = useState('');
  const web = nodes.find((n) => n.ae === node)?.web;
  // This archive with its upstreams: a C-MOVE from it to it fetches what only they hold (a C-GET would copy what is
  // here onto itself).
  const everywhere = !nodes.some((n) => n.ae === node);
  // A DICOMweb node gives objects to us (WADO-RS) and nowhere else.
  const retrieve = () =>
    api(ENDPOINTS.retrieve, {
      body: {
        source: node,
        how: web ? 'get' : everywhere ? 'move' : how,
        destination: web ? '' : to,
        query: { level, keys },
        patientId: study.PatientID ?? '',
        about: { patientName: study.PatientName ?? '', description: study.StudyDescription ?? '' },
      } satisfies RetrieveRequest,
    });
  if (web)
    return (
      <span className="retrieve">
        <ActionButton kind="primary" onClick={retrieve}>
          {t('Retrieve here')}
        </ActionButton>
      </span>
    );
  return (
    <span className="retrieve">
      <select
        hidden={everywhere}
        aria-label={t('How')}
        value={how}
        onChange={(e) => setHow(e.target.value as 'move' | 'get')}
        title={t('C-MOVE: the node sends to us on a new association; C-GET: on this association')}
      >
        <option value="move">{t('C-MOVE')}</option>
        <option value="get">{t('C-GET')}</option>
      </select>
      <select
        aria-label={t('To')}
        value={to}
        onChange={(e) => {
          setTo(e.target.value);
          if (e.target.value) setHow('move');
        }}
      >
        <option value="">{t('to here')}</option>
        {nodes
          .filter((n) => n.ae !== node && !n.web)
          .map((n) => (
            <option key={n.ae} value={n.ae}>
              {t('to {ae}', { ae: n.ae })}
            </option>
          ))}
      </select>
      <ActionButton kind="primary" onClick={retrieve}>
        {t('Retrieve')}
      </ActionButton>
    </span>
  );
}

function SeriesRows({ node, nodes, study }: { node: string; nodes: RemoteNode[]; study: FindAnswer }) {
  const series = useLoad(
    () =>
      api(ENDPOINTS.remoteFind, {
        params: [node],
        body: { level: 'SERIES', keys: { StudyInstanceUID: study.StudyInstanceUID!, ...SERIES_KEYS } },
      }),
    [node, study.StudyInstanceUID],
  );
  return (
    <tr className="series-rows">
      <td colSpan={9}>
        <ErrorText error={series.error} />
        {series.loading ? (
          t('Searching series…')
        ) : (
          <table className="inner">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('Modality')}</th>
                <th>{t('Description')}</th>
                <th>{t('Body part')}</th>
                <th>{t('Images')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {[...(series.data ?? [])]
                .sort((a, b) => Number(a.SeriesNumber) - Number(b.SeriesNumber))
                .map((s) => (
                  <tr key={s.SeriesInstanceUID}>
                    <td className="num">{s.SeriesNumber}</td>
                    <td>{s.Modality}</td>
                    <td>{s.SeriesDescription}</td>
                    <td>{s.BodyPartExamined}</td>
                    <td className="num">{s.NumberOfSeriesRelatedInstances}</td>
                    <td>
                      <RetrieveButtons
                        node={node}
                        nodes={nodes}
                        level="SERIES"
                        keys={{ StudyInstanceUID: study.StudyInstanceUID!, SeriesInstanceUID: s.SeriesInstanceUID! }}
                        study={study}
                      />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </td>
    </tr>
  );
}

/** Which of these studies this archive holds already (one local search by UID list). */
async function studiesHere(uids: string[]): Promise<Set<string>> {
  const wanted = uids.filter((u) => u && !u.includes('\\'));
  if (!wanted.length) return new Set();
  const rows = await api(ENDPOINTS.studies, {
    body: { level: 'STUDY', keys: { StudyInstanceUID: wanted.join('\\') } },
  });
  return new Set(rows.map((r) => r.StudyInstanceUID!));
}

export function QueryRetrieve() {
  const nodes = useRemoteNodes();
  const [node, setNode] = useState('');
  /** Studies of the results that are in this archive already. */
  const [here, setHere] = useState<Set<string>>(new Set());
  const [results, setResults] = useState<FindAnswer[]>();
  const [open, setOpen] = useState<string>();
  const [searching, setSearching] = useState<AbortController>();
  const [error, setError] = useState('');
  const jobs = useJobs();
  // With virtual servers, this archive itself comes first: searched, its answer merges its upstreams' (one search).
  const choices = nodes.data ? [...(nodes.self ? [nodes.self] : []), ...nodes.data] : undefined;
  const chosen = node || choices?.[0]?.ae || '';

  const search = async (v: SearchValues) => {
    if (!chosen) {
      setError(t('Add a node first (Nodes screen).'));
      return;
    }
    const controller = new AbortController();
    setSearching(controller);
    setError('');
    setOpen(undefined);
    try {
      const found = await api(ENDPOINTS.remoteFind, {
        params: [chosen],
        body: { level: 'STUDY', keys: studyKeys(v) },
        signal: controller.signal,
      });
      setResults(found);
      setHere(await studiesHere(found.map((r) => r.StudyInstanceUID ?? '')));
    } catch (e) {
      setError(e instanceof Cancelled ? t('Search cancelled.') : (e as Error).message);
      setResults(undefined);
    } finally {
      setSearching(undefined);
    }
  };
  // A retrieve that ends (or a study arriving otherwise) may bring a study of the results here: look again.
  const { jobVersion } = useLive();
  useEffect(() => {
    if (results?.length) void studiesHere(results.map((r) => r.StudyInstanceUID ?? '')).then(setHere, () => undefined);
  }, [jobVersion]);
  const retrieveJobs = (jobs.data ?? [])
    .filter((j) => j.kind === 'move' || j.kind === 'get')
    .reverse()
    .slice(0, 10);

  return (
    <div className="query">
      <Section title={t('Search a node')}>
        <SearchForm onSearch={(v) => void search(v)} busy={searching !== undefined} onCancel={() => searching?.abort()}>
          <label className="field compact">
            <span className="label">{t('Node')}</span>
            <select
              name="node"
              value={chosen}
              onChange={(e) => {
                setNode(e.target.value);
                setResults(undefined);
              }}
            >
              {(choices ?? []).map((n) => (
                <option key={n.ae} value={n.ae}>
                  {nodeLabel(n)}
                </option>
              ))}
            </select>
          </label>
        </SearchForm>
        <ErrorText error={error || nodes.error} />
        {results && (
          <table className="results">
            <thead>
              <tr>
                <th />
                <th>{t('Patient')}</th>
                <th>{t('ID')}</th>
                <th>{t('Date')}</th>
                <th>{t('Modalities')}</th>
                <th>{t('Description')}</th>
                <th>{t('Accession')}</th>
                <th>{t('Series/Images')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {results.length === 0 && (
                <tr>
                  <td colSpan={9} className="empty">
                    {t('No study matches.')}
                  </td>
                </tr>
              )}
              {results.map((r) => {
                const uid = r.StudyInstanceUID!;
                return [
                  <tr key={uid} className={open === uid ? 'open' : ''}>
                    <td>
                      <button
                        type="button"
                        className="expand"
                        aria-label={t('Series')}
                        onClick={() => setOpen(open === uid ? undefined : uid)}
                      >
                        {open === uid ? '▾' : '▸'}
                      </button>
                    </td>
                    <td>
                      {personName(r.PatientName ?? '')}
                      {here.has(uid) && (
                        <>
                          {' '}
                          <a
                            className="here"
                            href={`#/viewer/${encodeURIComponent(uid)}`}
                            title={t('This study is in this archive already: open it')}
                          >
                            {t('here')}
                          </a>
                          <Picture
                            className="here-thumb"
                            route={pathOf(ENDPOINTS.studyThumbnail, [uid], { size: '40' })}
                            alt={t('here')}
                            size={40}
                          />
                        </>
                      )}
                    </td>
                    <td>{r.PatientID}</td>
                    <td>{date(r.StudyDate ?? '')}</td>
                    <td>{r.ModalitiesInStudy}</td>
                    <td>{r.StudyDescription}</td>
                    <td>{r.AccessionNumber}</td>
                    <td className="num">
                      {r.NumberOfStudyRelatedSeries}/{r.NumberOfStudyRelatedInstances}
                    </td>
                    <td>
                      <RetrieveButtons
                        node={chosen}
                        nodes={nodes.data ?? []}
                        level="STUDY"
                        keys={{ StudyInstanceUID: uid }}
                        study={r}
                      />
                    </td>
                  </tr>,
                  open === uid && <SeriesRows key={`${uid}-series`} node={chosen} nodes={nodes.data ?? []} study={r} />,
                ];
              })}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('Retrieves')}>
        <JobTable jobs={retrieveJobs} reload={jobs.reload} />
      </Section>
    </div>
  );
}
