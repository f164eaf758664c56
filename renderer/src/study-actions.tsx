import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import type { JobDto, NodeDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { ActionButton } from './components.tsx';
import { commitmentText, time, why } from './format.ts';
import { useLive } from './live.ts';
import { MenuButton } from './menu-button.tsx';
import { t } from './i18n.ts';

/**
 * A study's send on the Studies screen: the node and Storage Commitment chosen in a small menu, and the job's state on
 * the row as it changes, with the reason when an attempt failed and it waits to try again (not only on the Monitor).
 */

/** A job's state in a few words, as it changes (live job events). */
export function JobState({ job }: { job: JobDto }) {
  const live = useLive().jobs[job.id];
  const j = { ...job, ...live };
  const counts = j.total ? ` ${j.done}${j.failed ? ` + ${t('{n} failed', { n: j.failed })}` : ''} / ${j.total}` : '';
  const waiting = j.state === 'queued' && !!j.error;
  const kind = j.state === 'failed' ? 'error' : waiting ? 'warning' : j.state === 'done' ? 'ok' : 'pending';
  const commitment = commitmentText(j.commitment) ? `, ${commitmentText(j.commitment)}` : '';
  const reason = (j.state === 'failed' || waiting) && j.error ? `: ${why(j.error, j.errorMessage)}` : '';
  const retry = waiting && j.nextAttemptAt ? ` ${t('(next try at {time})', { time: time(j.nextAttemptAt) })}` : '';
  return (
    <span className={`${kind} inline job-state`} role="status" title={why(j.error, j.errorMessage)}>
      {t('job {id}', { id: String(j.id) })} {t(j.state)}
      {counts}
      {commitment}
      {reason}
      {retry}
    </span>
  );
}

/** "Send ▾": to which node, with or without Storage Commitment; the job queued shows on the row. */
export function SendStudy({
  studyUid,
  nodes,
  onSent,
}: {
  studyUid: string;
  nodes: NodeDto[];
  onSent: (job: JobDto) => void;
}) {
  const [to, setTo] = useState('');
  const [commit, setCommit] = useState(false);
  const target = to || nodes[0]?.ae || '';
  if (!nodes.length) return null;
  return (
    <MenuButton label={t('Send')} className="send">
      {(close) => (
        <>
          <select aria-label={t('Send to')} value={target} onChange={(e) => setTo(e.target.value)}>
            {nodes.map((n) => (
              <option key={n.ae} value={n.ae}>
                {n.ae}
              </option>
            ))}
          </select>
          <label
            className="inline"
            title={t('Ask the node to confirm it keeps every object (DICOM Storage Commitment)')}
          >
            <input type="checkbox" checked={commit} onChange={(e) => setCommit(e.target.checked)} /> {t('commit')}
          </label>
          <ActionButton
            kind="primary"
            onClick={async () => {
              onSent(
                await api(ENDPOINTS.send, { body: { destination: target, level: 'STUDY', uid: studyUid, commit } }),
              );
              close();
            }}
          >
            {t('Send now')}
          </ActionButton>
        </>
      )}
    </MenuButton>
  );
}
