import type { AttributeChanges } from './object-rewrite.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

/** What a user may correct, as the API and the Studies screen name it, and the checks the values must pass. */

export class EditError extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

export interface PatientChanges {
  patientId?: string;
  patientName?: string;
  /** YYYYMMDD, or '' for unknown. */
  birthDate?: string;
  /** M, F, O or ''. */
  sex?: string;
}

export interface StudyChanges {
  description?: string;
  accessionNumber?: string;
  referringPhysician?: string;
  /** YYYYMMDD. */
  studyDate?: string;
  /** HHMMSS (HH, HHMM and fractions too). */
  studyTime?: string;
}

const PATIENT_FIELDS: Record<keyof PatientChanges, number> = {
  patientId: Tag.PatientID,
  patientName: Tag.PatientName,
  birthDate: Tag.PatientBirthDate,
  sex: Tag.PatientSex,
};
const STUDY_FIELDS: Record<keyof StudyChanges, number> = {
  description: Tag.StudyDescription,
  accessionNumber: Tag.AccessionNumber,
  referringPhysician: Tag.ReferringPhysicianName,
  studyDate: Tag.StudyDate,
  studyTime: Tag.StudyTime,
};

/** Tag -> the field's name, for log lines and job descriptions. */
export const PATIENT_TAGS: Record<number, string> = Object.fromEntries(
  Object.entries(PATIENT_FIELDS).map(([k, t]) => [t, k]),
);
export const STUDY_TAGS: Record<number, string> = Object.fromEntries(
  Object.entries(STUDY_FIELDS).map(([k, t]) => [t, k]),
);

/** Longest value per field (PS3.5 6.2: LO 64, PN 64 per component group, SH 16, DA 8, TM 16). */
const MAX: Record<string, number> = {
  patientId: 64,
  patientName: 64 * 3,
  description: 64,
  accessionNumber: 16,
  referringPhysician: 64 * 3,
  studyTime: 16,
};

function collect<T extends object>(
  changes: T,
  fields: Record<string, number>,
  check: (field: string, value: string) => string | undefined,
): AttributeChanges {
  const out: AttributeChanges = new Map();
  const problems: string[] = [];
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (!(field in fields)) {
      problems.push(`${field} cannot be edited`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`${field} must be text`);
      continue;
    }
    const v = value.trim();
    if (/[\\\x00-\x1f\x7f]/.test(v)) {
      problems.push(`${field} may not hold a backslash, a line break or another control character`);
      continue;
    }
    if (v.length > (MAX[field] ?? 64)) {
      problems.push(`${field} is longer than ${MAX[field] ?? 64} characters`);
      continue;
    }
    const problem = check(field, v);
    if (problem) {
      problems.push(problem);
      continue;
    }
    out.set(fields[field]!, v);
  }
  if (problems.length) throw new EditError(problems.join('; '));
  if (!out.size) throw new EditError(msg('nothing to change'));
  return out;
}

export function checkPatientChanges(changes: PatientChanges): AttributeChanges {
  return collect(changes, PATIENT_FIELDS, (field, v) => {
    if (field === 'patientId' && !v) return 'patientId cannot be empty';
    if (field === 'birthDate' && v && !/^\d{8}$/.test(v)) return `birthDate "${v}" is not YYYYMMDD`;
    if (field === 'sex' && !['', 'M', 'F', 'O'].includes(v)) return `sex "${v}" is not M, F or O`;
    return undefined;
  });
}

export function checkStudyChanges(changes: StudyChanges): AttributeChanges {
  return collect(changes, STUDY_FIELDS, (field, v) => {
    if (field === 'studyDate' && v && !/^\d{8}$/.test(v)) return `studyDate "${v}" is not YYYYMMDD`;
    if (field === 'studyTime' && v && !/^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(v))
      return `studyTime "${v}" is not HHMMSS`;
    return undefined;
  });
}
