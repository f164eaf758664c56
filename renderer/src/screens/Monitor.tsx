import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useCallback, useEffect } from 'react';
import type { AssociationSummary, JobDto, JobStudy } from '../../../main/api/contract.ts';
import { api } from '../api.ts';
import { ActionButton, ErrorText, Progress, Section } from '../components.tsx';
import { bytes, commitmentText, date, milliseconds, personName, rate, time, why } from '../format.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { useLive } from '../live.ts';
import { t } from '../i18n.ts';
import { BackupFact } from './BackupFact.tsx';
import { LogFiles } from './LogFiles.tsx';
import { StorageChecks } from './StorageChecks.tsx';
import { EmptyStorage } from './EmptyStorage.tsx';

/** Live associations and transfers, the job queue with cancel/retry, storage, and recent errors. */

function AssociationRow({ a }: { a: AssociationSummary }) {
  const seconds = Math.max(((a.closedAt ?? a.lastAt) - a.openedAt) / 1000, 0.001);
  const direction = a.role === 'acceptor' ? t('{ae} → us', { ae: a.callingAe }) : t('us → {ae}', { ae: a.calledAe });
  return (
    <tr>
      <td>{direction}</td>
      <td>{a.peer}</td>
      <td className="num">
        {a.objects}
        {a.failed ? <span className="error inline"> ({t('{n} failed', { n: a.failed })})</span> : null}
      </td>
      <td className="num">{bytes(a.bytes)}</td>
      <td className="num">{a.bytes ? rate(a.bytes / seconds) : ''}</td>
      <td className="num" data-testid="ms-per-object">
        {a.msPerObject === undefined ? '' : t('{ms} ms', { ms: milliseconds(a.msPerObject) })}
      </td>
      <td>
        {time(a.openedAt)}
        {a.closedAt ? ` – ${time(a.closedAt)}` : ''}
      </td>
      {a.closedAt !== undefined && <td>{a.reason}</td>}
    </tr>
  );
}

function AssociationTable({ rows, closed }: { rows: AssociationSummary[]; closed?: boolean }) {
  if (!rows.length) return <p className="empty">{closed ? t('None yet.') : t('No association is open.')}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>{t('Direction')}</th>
          <th>{t('Peer')}</th>
          <th>{t('Objects')}</th>
          <th>{t('Data')}</th>
          <th>{t('Speed')}</th>
          <th title={t('Median time from a C-STORE request to its response: a slow peer shows here at once')}>
            {t('Per object')}
          </th>
          <th>{t('Time')}</th>
          {closed && <th>{t('Ended')}</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <AssociationRow key={a.id} a={a} />
        ))}
      </tbody>
    </table>
  );
}

/** The patient and study a job is about; a link to the viewer once the study is here. */
function JobStudyCell({ study }: { study?: JobStudy }) {
  if (!study) return null;
  const text = study.patientName
    ? `${personName(study.patientName)}${study.description ? ` · ${study.description}` : ''}`
    : study.uid;
  return study.here ? (
    <a href={`#/viewer/${encodeURIComponent(study.uid)}`} title={study.uid}>
      {text}
    </a>
  ) : (
    <span title={study.uid}>{text}</span>
  );
}

export function JobTable({ jobs, reload }: { jobs: JobDto[]; reload: () => void }) {
  const live = useLive();
  if (!jobs.length) return <p className="empty">{t('No jobs.')}</p>;
  return (
    <table className="jobs">
      <thead>
        <tr>
          <th>#</th>
          <th>{t('Kind')}</th>
          <th>{t('Study')}</th>
          <th>{t('From')}</th>
          <th>{t('To')}</th>
          <th>{t('State')}</th>
          <th>{t('Progress')}</th>
          <th>{t('Speed')}</th>
          <th>{t('Error')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {jobs.map((listed) => {
          const j = { ...listed, ...live.jobs[listed.id] } as JobDto & { rate?: number };
          return (
            <tr key={j.id} className={`job-${j.state}`}>
              <td className="num">{j.id}</td>
              <td>{t(j.kind)}</td>
              <td className="job-study">
                <JobStudyCell study={listed.study} />
              </td>
              <td>{j.source || t('here')}</td>
              <td>{j.destination || t('here')}</td>
              <td className="state">
                {t(j.state)}
                {commitmentText(j.commitment) && (
                  <span className={`commitment ${j.commitment}`}> · {commitmentText(j.commitment)}</span>
                )}
              </td>
              <td>
                <Progress done={j.done} failed={j.failed} total={j.total} />
              </td>
              <td className="num">{j.state === 'running' && j.rate ? rate(j.rate) : j.bytes ? bytes(j.bytes) : ''}</td>
              <td className="error-cell">{why(j.error, j.errorMessage)}</td>
              <td>
                {(j.state === 'queued' || j.state === 'running') && (
                  <ActionButton onClick={() => api(ENDPOINTS.cancelJob, { params: [j.id] }).then(reload)}>
                    {t('Cancel')}
                  </ActionButton>
                )}
                {(j.state === 'failed' || j.state === 'cancelled') && (
                  <ActionButton onClick={() => api(ENDPOINTS.retryJob, { params: [j.id] }).then(reload)}>
                    {t('Retry')}
                  </ActionButton>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The job list, fetched again whenever a job event arrives. */
export function useJobs() {
  const live = useLive();
  const jobs = useLoad(() => api(ENDPOINTS.jobs), []);
  const { reload } = jobs;
  useEffect(() => {
    if (live.jobVersion) reload();
  }, [live.jobVersion, reload]);
  return jobs;
}

export function Monitor() {
  const live = useLive();
  const status = useLoad(() => api(ENDPOINTS.status), []);
  const refresh = useCallback(() => status.reload(), [status.reload]);
  useInterval(refresh, 5000);
  const jobs = useJobs();
  const deletions = useLoad(() => api(ENDPOINTS.deletions, { query: { limit: '50' } }), []);
  const refreshDeletions = useCallback(() => deletions.reload(), [deletions.reload]);
  useInterval(refreshDeletions, 10_000);
  const s = status.data;
  return (
    <div className="monitor">
      <Section title={t('Archive')}>
        <ErrorText error={status.error} />
        {s && (
          <div className="facts">
            <div>
              <b>{s.counts.patients}</b> {t('patients')}
            </div>
            <div>
              <b>{s.counts.studies}</b> {t('studies')}
            </div>
            <div>
              <b>{s.counts.series}</b> {t('series')}
            </div>
            <div>
              <b>{s.counts.instances}</b> {t('objects')}
            </div>
            <div data-testid="archive-size">
              {t('The archive takes')} <b>{bytes(s.archiveBytes)}</b>
            </div>
            {s.storage.map((d) => (
              <div
                key={d.path}
                className={`storage${d.present ? '' : ' warning'}`}
                title={d.path}
                data-testid={`${d.mirror ? 'mirror' : 'storage'}-${d.device}`}
              >
                {d.mirror ? t('Mirror of MAG{n}', { n: d.device }) : t('Storage')}{' '}
                {!d.present && <b>{t('not there (unmounted?)')} </b>}
                <b>{bytes(d.totalBytes - d.freeBytes)}</b> {t('used,')} <b>{bytes(d.freeBytes)}</b> {t('free')}
                <span className="bar">
                  <span
                    style={{
                      width: `${Math.round((100 * (d.totalBytes - d.freeBytes)) / Math.max(d.totalBytes, 1))}%`,
                    }}
                  />
                </span>
                {!d.mirror && (
                  <EmptyStorage device={d.device} devices={s.storage.filter((x) => !x.mirror).map((x) => x.device)} />
                )}
              </div>
            ))}
            {s.copiesOwed > 0 && (
              <div className="warning" data-testid="copies-owed">
                {t('{n} objects still to be copied to their mirror or back', { n: s.copiesOwed })}
              </div>
            )}
            <BackupFact />
            {s.https && (
              <div className="https" title={t('Compare with the certificate your browser shows for this address')}>
                {s.https.selfSigned ? t('HTTPS certificate (self-signed): SHA-256') : t('HTTPS certificate: SHA-256')}{' '}
                <code>{s.https.fingerprint}</code>
              </div>
            )}
          </div>
        )}
      </Section>
      <Section title={t('Open associations ({n})', { n: live.activity.open.length })}>
        <AssociationTable rows={live.activity.open} />
      </Section>
      <Section
        title={t('Jobs')}
        actions={
          <button type="button" onClick={jobs.reload}>
            {t('Refresh')}
          </button>
        }
      >
        <ErrorText error={jobs.error} />
        <JobTable jobs={[...(jobs.data ?? [])].reverse()} reload={jobs.reload} />
      </Section>
      <Section title={t('HL7 messages received')}>
        {live.activity.hl7.length ? (
          <table className="hl7">
            <thead>
              <tr>
                <th>{t('Time')}</th>
                <th>{t('From')}</th>
                <th>{t('Message')}</th>
                <th>{t('Control ID')}</th>
                <th>{t('Answer')}</th>
                <th>{t('What it did')}</th>
              </tr>
            </thead>
            <tbody>
              {live.activity.hl7.map((m, i) => (
                <tr key={i} className={m.code === 'AA' ? '' : 'hl7-refused'}>
                  <td>{time(m.at)}</td>
                  <td>{m.peer}</td>
                  <td>{m.type}</td>
                  <td>{m.controlId}</td>
                  <td>{m.code}</td>
                  <td>{why(m.text, m.message)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty">{t('None since the server started (HL7Listener in Settings turns the listener on).')}</p>
        )}
      </Section>
      <Section
        title={t('Deleted studies')}
        actions={
          <button type="button" onClick={deletions.reload}>
            {t('Refresh')}
          </button>
        }
      >
        <ErrorText error={deletions.error} />
        {deletions.data?.length ? (
          <table className="deletions">
            <thead>
              <tr>
                <th>{t('Time')}</th>
                <th>{t('Patient')}</th>
                <th>{t('Study')}</th>
                <th>{t('Objects')}</th>
                <th>{t('Size')}</th>
                <th>{t('Why')}</th>
              </tr>
            </thead>
            <tbody>
              {deletions.data.map((d) => (
                <tr key={d.id}>
                  <td>{time(d.at)}</td>
                  <td>
                    {personName(d.patientName)} ({d.patientId})
                  </td>
                  <td title={d.studyUid}>
                    {date(d.studyDate)} {d.description}
                  </td>
                  <td className="num">{d.objects}</td>
                  <td className="num">{bytes(d.bytes)}</td>
                  <td>
                    {d.reason}
                    {d.state === 'pending' ? ` ${t('(files being deleted)')}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty">{t('No study has been deleted.')}</p>
        )}
      </Section>
      <Section title={t('Recently closed associations')}>
        <AssociationTable rows={live.activity.recent} closed />
      </Section>
      <Section title={t('Recent errors')}>
        {live.activity.errors.length ? (
          <ul className="errors">
            {live.activity.errors.map((e, i) => (
              <li key={i}>
                <time>{time(e.at)}</time> {why(e.text, e.message)}
              </li>
            ))}
          </ul>
        ) : (
          <p className="empty">{t('No errors since the server started.')}</p>
        )}
      </Section>
      <StorageChecks />
      <LogFiles />
    </div>
  );
}
