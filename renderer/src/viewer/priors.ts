import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import type { FindAnswer } from '../../../main/api/contract.ts';
import { api } from '../api.ts';

/** The patient's other studies in this archive, newest first (the priors a radiographer compares with). */
export async function patientStudies(studyUid: string): Promise<FindAnswer[]> {
  const rows = await api(ENDPOINTS.priors, { params: [studyUid] });
  return rows.sort((a, b) => (b.StudyDate ?? '').localeCompare(a.StudyDate ?? ''));
}

/** Frames per series of a study (a multi-frame object counts its frames), by Series Instance UID. */
export async function seriesFrames(studyUid: string): Promise<Map<string, number>> {
  const keys = { StudyInstanceUID: studyUid, SeriesInstanceUID: '', SOPInstanceUID: '', NumberOfFrames: '' };
  const rows = await api(ENDPOINTS.studies, { body: { level: 'IMAGE', keys } });
  const frames = new Map<string, number>();
  for (const r of rows)
    frames.set(r.SeriesInstanceUID!, (frames.get(r.SeriesInstanceUID!) ?? 0) + (Number(r.NumberOfFrames) || 1));
  return frames;
}
