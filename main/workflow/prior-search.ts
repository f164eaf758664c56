import type { PrefetchRule } from '../../common/prefetch-rules.ts';

/** What finding and fetching priors needs of the archive. */
export interface PriorSearchDependencies {
  /** A C-FIND (or QIDO-RS) of a node: the answers' values by keyword, as text. */
  search(
    ae: string,
    level: 'STUDY' | 'SERIES',
    keys: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Record<string, string>[]>;
  /** Which of these studies this archive holds. */
  here(studyUids: string[]): Promise<Set<string>>;
  /** Queue a retrieve of a study from a node to this archive; its job's id. */
  retrieve(ae: string, studyUid: string, about: string): Promise<number>;
}

export interface PriorsFetched {
  /** The priors chosen (newest first) and what was done with each. */
  chosen: { ae: string; studyUid: string; studyDate: string; job?: number; here?: boolean }[];
  /** Nodes that could not be searched, and why. */
  errors: string[];
}

function yyyymmdd(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * A rule's priors of one patient: each source asked in turn for the patient's studies under each of its IDs (the
 * current one and those it was corrected from: other nodes may still file them so; C-FIND or QIDO-RS at STUDY
 * level, limited by age), those with a series of the rule's modalities and body parts kept (asked at SERIES level
 * where the study's answer does not say), the current study left out, the same study from two nodes taken once (from
 * the first); the `newest` of them chosen, and each not already here retrieved to this archive as a job.
 */
export async function fetchPriors(
  rule: PrefetchRule,
  patient: { patientIds: string[]; currentStudyUid: string },
  deps: PriorSearchDependencies,
  now: Date,
  signal?: AbortSignal,
): Promise<PriorsFetched> {
  const errors: string[] = [];
  const found = new Map<string, { ae: string; studyUid: string; studyDate: string; studyTime: string }>();
  const since = rule.maxAgeDays ? `${yyyymmdd(new Date(now.getTime() - rule.maxAgeDays * 86_400_000))}-` : '';
  for (const ae of rule.sources) {
    const studies: Record<string, string>[] = [];
    try {
      for (const id of patient.patientIds)
        studies.push(
          ...(await deps.search(
            ae,
            'STUDY',
            { PatientID: id, StudyInstanceUID: '', StudyDate: since, StudyTime: '', ModalitiesInStudy: '' },
            signal,
          )),
        );
    } catch (err) {
      errors.push(`${ae}: ${(err as Error).message}`);
      continue;
    }
    for (const s of studies) {
      const uid = s.StudyInstanceUID ?? '';
      if (!uid || uid === patient.currentStudyUid || found.has(uid)) continue;
      if (since && s.StudyDate && s.StudyDate < since.slice(0, 8)) continue;
      if (!(await matches(rule, ae, s, deps, signal).catch(() => false))) continue;
      found.set(uid, { ae, studyUid: uid, studyDate: s.StudyDate ?? '', studyTime: s.StudyTime ?? '' });
    }
  }
  const newest = [...found.values()]
    .sort((a, b) => `${b.studyDate}${b.studyTime}`.localeCompare(`${a.studyDate}${a.studyTime}`))
    .slice(0, rule.newest);
  const here = await deps.here(newest.map((s) => s.studyUid));
  const chosen: PriorsFetched['chosen'] = [];
  for (const s of newest) {
    if (here.has(s.studyUid)) {
      chosen.push({ ae: s.ae, studyUid: s.studyUid, studyDate: s.studyDate, here: true });
      continue;
    }
    const about = `prior of ${patient.patientIds[0]} (${rule.trigger}: ${rule.text})`;
    const job = await deps.retrieve(s.ae, s.studyUid, about);
    chosen.push({ ae: s.ae, studyUid: s.studyUid, studyDate: s.studyDate, job });
  }
  return { chosen, errors };
}

/** Whether a study has a series of the rule's modalities and body parts (any, when the rule names none). */
async function matches(
  rule: PrefetchRule,
  ae: string,
  study: Record<string, string>,
  deps: PriorSearchDependencies,
  signal?: AbortSignal,
): Promise<boolean> {
  const wanted = (values: string[], list: string[]) => !list.length || values.some((v) => list.includes(v));
  const studyModalities = (study.ModalitiesInStudy ?? '')
    .split('\\')
    .filter(Boolean)
    .map((m) => m.toUpperCase());
  if (!rule.bodyParts.length && studyModalities.length) return wanted(studyModalities, rule.modalities);
  if (!rule.bodyParts.length && !rule.modalities.length) return true;
  const series = await deps.search(
    ae,
    'SERIES',
    { StudyInstanceUID: study.StudyInstanceUID!, SeriesInstanceUID: '', Modality: '', BodyPartExamined: '' },
    signal,
  );
  return series.some(
    (s) =>
      wanted([(s.Modality ?? '').toUpperCase()], rule.modalities) &&
      wanted([(s.BodyPartExamined ?? '').toUpperCase()], rule.bodyParts),
  );
}
