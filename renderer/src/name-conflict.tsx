import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useEffect, useState } from 'react';
import type { JobDto, PatientNamesDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { ActionButton } from './components.tsx';
import { personName } from './format.ts';
import { useLive } from './live.ts';
import { t } from './i18n.ts';

/**
 * A patient whose studies were received with different spellings of the name (a prior from another archive written
 * `DVORAK^JIRI`, the patient here `Dvořák^Jiří`): each study keeps its own and the list says so beside the name, with
 * every spelling; someone who may edit picks the right one, which every object of the patient then carries (the files
 * rewritten) and no arriving study changes again.
 */
export function NameConflict({
  names,
  mayEdit,
  onDone,
}: {
  names: PatientNamesDto;
  mayEdit: boolean;
  onDone: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState(names.name);
  const [job, setJob] = useState<JobDto>();
  const live = useLive().jobs[job?.id ?? -1];
  const state = live?.state ?? job?.state;
  useEffect(() => {
    if (state === 'done') onDone();
  }, [state]);
  const spellings = names.spellings
    .map(
      (s) =>
        `${personName(s.name) || t('(empty)')} (${t('{n, plural, one {# study} other {# studies}}', { n: s.studies })})`,
    )
    .join(', ');
  if (names.spellings.length < 2) return null;
  return (
    <span className="name-conflict">
      <span
        className="warning inline"
        title={t('The studies of patient {id} were received with different names: {names}', {
          id: names.patientId,
          names: spellings,
        })}
      >
        ⚠ {t('{n, plural, one {# spelling} other {# spellings}}', { n: names.spellings.length })}
      </span>
      {mayEdit && (
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('Reconcile…')}
        </button>
      )}
      {open && (
        <span
          className="reconcile"
          role="group"
          aria-label={t('The name patient {id} goes by', { id: names.patientId })}
        >
          {names.spellings.map((s) => (
            <label key={s.name} className="inline">
              <input
                type="radio"
                name={`name-${names.patientId}`}
                checked={chosen === s.name}
                onChange={() => setChosen(s.name)}
              />{' '}
              {s.name} ({t('{n, plural, one {# study} other {# studies}}', { n: s.studies })})
            </label>
          ))}
          <ActionButton
            kind="primary"
            onClick={async () => {
              if (
                !confirm(
                  t(
                    'Write "{name}" as the name of patient {id} into every one of its studies ({n})? The stored files are rewritten, and studies arriving later do not change the name again.',
                    { name: chosen, id: names.patientId, n: names.spellings.reduce((n, s) => n + s.studies, 0) },
                  ),
                )
              )
                return;
              setJob(await api(ENDPOINTS.reconcileName, { body: { patientId: names.patientId, patientName: chosen } }));
            }}
          >
            {t('Use this name in every study')}
          </ActionButton>
          {job && (
            <span className={state === 'failed' ? 'error inline' : 'pending inline'} role="status">
              {t('job {id}', { id: String(job.id) })} {t(state ?? '')}
            </span>
          )}
        </span>
      )}
    </span>
  );
}
