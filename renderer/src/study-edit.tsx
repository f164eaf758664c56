import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useEffect, useState } from 'react';
import type { FindAnswer, JobDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { ActionButton, ErrorText, Field } from './components.tsx';
import { useLive } from './live.ts';
import { AnonymizePanel } from './anonymize-panel.tsx';
import { t } from './i18n.ts';
import { date, personName, why } from './format.ts';
import { confirmMove, type MoveSide } from './confirm-move.tsx';
import { DateField } from './date-field.tsx';
import { SEXES, clockToTm, daToIso, isoToDa, nameParts, tmToClock, withNameParts } from './person-name.ts';

/** A study as the merge and move dialogs compare it. */
function sideOf(r: FindAnswer, withStudy = true): MoveSide {
  return {
    patientName: r.PatientName ?? '',
    patientId: r.PatientID ?? '',
    birthDate: r.PatientBirthDate ?? '',
    ...(withStudy ? { studyDate: r.StudyDate ?? '', description: r.StudyDescription ?? '' } : {}),
  };
}

/** Another study as a choice: who and what, the patient's own studies first. */
function StudyOptions({ others, patientId }: { others: FindAnswer[]; patientId: string }) {
  const label = (o: FindAnswer) =>
    `${date(o.StudyDate ?? '')} · ${personName(o.PatientName ?? '')} (${o.PatientID ?? ''}) · ${o.StudyDescription ?? ''}`;
  const same = others.filter((o) => o.PatientID === patientId);
  const different = others.filter((o) => o.PatientID !== patientId);
  return (
    <>
      {same.length > 0 && (
        <optgroup label={t('Same patient')}>
          {same.map((o) => (
            <option key={o.StudyInstanceUID} value={o.StudyInstanceUID}>
              {label(o)}
            </option>
          ))}
        </optgroup>
      )}
      {different.length > 0 && (
        <optgroup label={t('Other patients')}>
          {different.map((o) => (
            <option key={o.StudyInstanceUID} value={o.StudyInstanceUID}>
              {label(o)}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

/**
 * Correcting a study on the Studies screen (issue 17): the patient's and the study's attributes in a form, saved as edit
 * jobs after a confirmation that says what changes where; merging the patient into another or the study into another;
 * once done, the correction sent to the nodes the study had gone to.
 */

const PATIENT: [string, string, string][] = [
  ['PatientName', 'patientName', 'Patient name'],
  ['PatientID', 'patientId', 'Patient ID'],
  ['PatientBirthDate', 'birthDate', 'Birth date'],
  ['PatientSex', 'sex', 'Sex'],
];
const STUDY: [string, string, string][] = [
  ['StudyDescription', 'description', 'Study description'],
  ['AccessionNumber', 'accessionNumber', 'Accession number'],
  ['ReferringPhysicianName', 'referringPhysician', 'Referring physician'],
  ['StudyDate', 'studyDate', 'Study date'],
  ['StudyTime', 'studyTime', 'Study time'],
];

/** A value as the confirmation says it: names, dates, times and sex as people write them, not DICOM's formats. */
function shown(key: string, value: string): string {
  if (key === 'PatientName' || key === 'ReferringPhysicianName') return personName(value);
  if (key === 'PatientBirthDate' || key === 'StudyDate') return date(value);
  if (key === 'StudyTime') return tmToClock(value);
  if (key === 'PatientSex') return t(SEXES.find(([code]) => code === value)?.[1] ?? value);
  return value;
}

/**
 * One field of the form, as people write it: a name as family and given names, dates in the UI's language, the sex
 * from a list, a time as a clock does; the form holds DICOM's values (Müller^Jürgen, 19561203, M, 101500).
 */
function EditField({
  name,
  label,
  value,
  onChange,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  if (name === 'PatientName' || name === 'ReferringPhysicianName') {
    const { family, given } = nameParts(value);
    return (
      <fieldset className="name-field">
        <legend>{label}</legend>
        <Field label={t('Family name')}>
          <input
            name={`edit-${name}-family`}
            value={family}
            onChange={(e) => onChange(withNameParts(value, e.target.value, given))}
          />
        </Field>
        <Field label={t('Given name')}>
          <input
            name={`edit-${name}-given`}
            value={given}
            onChange={(e) => onChange(withNameParts(value, family, e.target.value))}
          />
        </Field>
      </fieldset>
    );
  }
  let input: React.ReactNode;
  if (name === 'PatientBirthDate' || name === 'StudyDate')
    input = <DateField name={`edit-${name}`} value={daToIso(value)} onChange={(iso) => onChange(isoToDa(iso))} />;
  else if (name === 'PatientSex') {
    const known = SEXES.some(([code]) => code === value);
    input = (
      <select name={`edit-${name}`} value={value} onChange={(e) => onChange(e.target.value)}>
        {SEXES.map(([code, word]) => (
          <option key={code} value={code}>
            {t(word)}
          </option>
        ))}
        {!known && <option value={value}>{value}</option>}
      </select>
    );
  } else if (name === 'StudyTime')
    input = (
      <input
        name={`edit-${name}`}
        type="time"
        step={1}
        value={tmToClock(value)}
        onChange={(e) => onChange(clockToTm(e.target.value))}
      />
    );
  else input = <input name={`edit-${name}`} value={value} onChange={(e) => onChange(e.target.value)} />;
  return <Field label={label}>{input}</Field>;
}

function changed(
  fields: [string, string, string][],
  before: FindAnswer,
  after: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    fields
      .filter(([key]) => (after[key] ?? '') !== (before[key] ?? ''))
      .map(([key, field]) => [field, after[key] ?? '']),
  );
}

function words(fields: [string, string, string][], before: FindAnswer, after: Record<string, string>): string[] {
  return fields
    .filter(([key]) => (after[key] ?? '') !== (before[key] ?? ''))
    .map(([key, , label]) => `${t(label)}: "${shown(key, before[key] ?? '')}" → "${shown(key, after[key] ?? '')}"`);
}

/** The jobs' state in words, and the nodes the correction can follow to once they are done. */
function EditJobs({ jobs, studyUid, onDone }: { jobs: JobDto[]; studyUid: string; onDone: () => void }) {
  const live = useLive();
  const states = jobs.map((j) => ({ ...j, ...live.jobs[j.id] }));
  const done = states.every((j) => j.state === 'done');
  useEffect(() => {
    if (done) onDone();
  }, [done]);
  const [destinations, setDestinations] = useState<string[]>([]);
  const [sent, setSent] = useState<Record<string, string>>({});
  useEffect(() => {
    if (done) void api(ENDPOINTS.destinations, { params: [studyUid] }).then(setDestinations, () => undefined);
  }, [done, studyUid]);
  return (
    <div className="edit-result" role="status">
      {states.map((j) => (
        <div key={j.id} className={j.state === 'failed' ? 'error' : j.state === 'done' ? 'ok' : 'pending'}>
          {t('job {id}', { id: String(j.id) })}: {t(j.state)} {j.done}/{j.total}
          {j.error ? ` (${why(j.error, j.errorMessage)})` : ''}
        </div>
      ))}
      {done && destinations.length > 0 && (
        <div className="send-correction">
          {t(
            "This study was sent to {nodes}. Send the correction there too (the same SOP Instance UIDs: each node's duplicate policy decides):",
            { nodes: destinations.join(', ') },
          )}
          {destinations.map((ae) => (
            <ActionButton
              key={ae}
              onClick={async () => {
                const job = await api(ENDPOINTS.send, { body: { destination: ae, level: 'STUDY', uid: studyUid } });
                setSent({ ...sent, [ae]: t('job {id} queued', { id: String(job.id) }) });
              }}
            >
              {sent[ae] ?? t('Send to {ae}', { ae })}
            </ActionButton>
          ))}
        </div>
      )}
    </div>
  );
}

export function StudyEdit({ study, others, onDone }: { study: FindAnswer; others: FindAnswer[]; onDone: () => void }) {
  const uid = study.StudyInstanceUID!;
  const [before, setBefore] = useState<FindAnswer>();
  const [form, setForm] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const [jobs, setJobs] = useState<JobDto[]>([]);
  const [mergePatient, setMergePatient] = useState('');
  const [mergeStudy, setMergeStudy] = useState('');
  useEffect(() => {
    const keys = Object.fromEntries([...PATIENT, ...STUDY].map(([k]) => [k, ''] as const));
    api(ENDPOINTS.studies, { body: { level: 'STUDY', keys: { ...keys, StudyInstanceUID: uid } } }).then(
      ([row]) => {
        setBefore(row ?? study);
        setForm({ ...(row ?? study) });
      },
      (e: Error) => setError(e.message),
    );
  }, [uid]);
  if (!before) return <ErrorText error={error} />;

  const run = async (what: string | (() => Promise<boolean>), requests: (() => Promise<JobDto>)[]) => {
    setError('');
    if (!requests.length) {
      setError(t('Nothing has changed.'));
      return;
    }
    if (!(typeof what === 'string' ? confirm(what) : await what())) return;
    const queued: JobDto[] = [];
    for (const request of requests) queued.push(await request());
    setJobs(queued);
  };
  const save = () => {
    const patient = changed(PATIENT, before, form);
    const studyChanges = changed(STUDY, before, form);
    const requests: (() => Promise<JobDto>)[] = [];
    if (Object.keys(patient).length)
      requests.push(() =>
        api(ENDPOINTS.editPatient, { body: { patientId: before.PatientID ?? '', changes: patient } }),
      );
    if (Object.keys(studyChanges).length)
      requests.push(() => api(ENDPOINTS.editStudy, { body: { studyUid: uid, changes: studyChanges } }));
    const lines = [
      ...words(PATIENT, before, form).map(
        (w) => `${w} ${t('(every study of patient {id})', { id: before.PatientID ?? '' })}`,
      ),
      ...words(STUDY, before, form),
    ];
    return run(`${t('Rewrite the stored objects with:')}\n${lines.join('\n')}`, requests);
  };
  return (
    <div className="study-edit">
      <div className="grid-form">
        {[...PATIENT, ...STUDY].map(([key, , label]) => (
          <EditField
            key={key}
            name={key}
            label={t(label)}
            value={form[key] ?? ''}
            onChange={(value) => setForm((f) => ({ ...f, [key]: value }))}
          />
        ))}
      </div>
      <div className="form-actions">
        <ActionButton kind="primary" onClick={save}>
          {t('Save corrections')}
        </ActionButton>
        <span className="merge">
          <input
            aria-label={t('Merge into patient ID')}
            placeholder={t('patient ID')}
            value={mergePatient}
            onChange={(e) => setMergePatient(e.target.value)}
          />
          <ActionButton
            onClick={async () => {
              const keys = { PatientID: mergePatient.trim(), PatientName: '', PatientBirthDate: '' };
              const [target] = mergePatient.trim()
                ? await api(ENDPOINTS.studies, { body: { level: 'PATIENT', keys } })
                : [];
              if (mergePatient.trim() && !target) {
                setError(t('Patient {id} is not in this archive.', { id: mergePatient.trim() }));
                return;
              }
              await run(
                () =>
                  confirmMove(
                    t(
                      "Move every study of patient {from} to patient {to}, with that patient's name, birth date and sex?",
                      { from: before.PatientID ?? '', to: mergePatient.trim() },
                    ),
                    sideOf(before, false),
                    sideOf(target!, false),
                  ),
                target
                  ? [
                      () =>
                        api(ENDPOINTS.mergePatients, {
                          body: { from: before.PatientID ?? '', into: target.PatientID ?? '' },
                        }),
                    ]
                  : [],
              );
            }}
          >
            {t('Merge patient into…')}
          </ActionButton>
        </span>
        {others.length > 0 && (
          <span className="merge">
            <select
              aria-label={t('Merge into study')}
              value={mergeStudy}
              onChange={(e) => setMergeStudy(e.target.value)}
            >
              <option value="">{t('another study…')}</option>
              <StudyOptions others={others} patientId={before.PatientID ?? ''} />
            </select>
            <ActionButton
              onClick={() => {
                const target = others.find((o) => o.StudyInstanceUID === mergeStudy);
                return run(
                  () =>
                    confirmMove(
                      t(
                        'Move every series of this study into the chosen study (its UID, date, description and patient)?',
                      ),
                      sideOf(before),
                      sideOf(target!),
                    ),
                  target ? [() => api(ENDPOINTS.mergeStudies, { body: { from: uid, into: mergeStudy } })] : [],
                );
              }}
            >
              {t('Merge study into…')}
            </ActionButton>
          </span>
        )}
      </div>
      <MoveSeries study={before} others={others} onMoved={(job) => setJobs([job])} />
      <AnonymizePanel studyUid={uid} />
      <ErrorText error={error} />
      {jobs.length > 0 && <EditJobs jobs={jobs} studyUid={mergeStudy || uid} onDone={onDone} />}
    </div>
  );
}

/** Each series of the study, movable to another study of the list or to a new study of its own. */
function MoveSeries({
  study,
  others,
  onMoved,
}: {
  study: FindAnswer;
  others: FindAnswer[];
  onMoved: (job: JobDto) => void;
}) {
  const studyUid = study.StudyInstanceUID!;
  const [series, setSeries] = useState<FindAnswer[]>([]);
  const [target, setTarget] = useState<Record<string, string>>({});
  useEffect(() => {
    void api(ENDPOINTS.studies, {
      body: {
        level: 'SERIES',
        keys: {
          StudyInstanceUID: studyUid,
          SeriesInstanceUID: '',
          SeriesNumber: '',
          SeriesDescription: '',
          Modality: '',
          NumberOfSeriesRelatedInstances: '',
        },
      },
    }).then(setSeries, () => undefined);
  }, [studyUid]);
  if (series.length < 1) return null;
  return (
    <fieldset className="move-series">
      <legend>{t('Series')}</legend>
      {series.map((s) => (
        <div key={s.SeriesInstanceUID} data-series={s.SeriesInstanceUID}>
          {s.SeriesNumber} {s.Modality} {s.SeriesDescription} (
          {t('{n, plural, one {# image} other {# images}}', { n: s.NumberOfSeriesRelatedInstances ?? '' })})
          <select
            aria-label={t('Move series to')}
            value={target[s.SeriesInstanceUID!] ?? 'new'}
            onChange={(e) => setTarget({ ...target, [s.SeriesInstanceUID!]: e.target.value })}
          >
            <option value="new">{t('a new study')}</option>
            <StudyOptions others={others} patientId={study.PatientID ?? ''} />
          </select>
          <ActionButton
            onClick={async () => {
              const into = target[s.SeriesInstanceUID!] ?? 'new';
              const question = t('Move series {series} to {where}?', {
                series: `${s.SeriesNumber ?? ''} ${s.SeriesDescription ?? ''}`.trim(),
                where:
                  into === 'new'
                    ? t('a new study of the same patient')
                    : t('the chosen study (its UID, date, description and patient)'),
              });
              const chosen = others.find((o) => o.StudyInstanceUID === into);
              if (!(chosen ? await confirmMove(question, sideOf(study), sideOf(chosen)) : confirm(question))) return;
              onMoved(await api(ENDPOINTS.moveSeries, { body: { seriesUid: s.SeriesInstanceUID ?? '', into } }));
            }}
          >
            {t('Move series to…')}
          </ActionButton>
        </div>
      ))}
    </fieldset>
  );
}
