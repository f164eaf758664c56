import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { QrSopClass } from '../../common/uids.ts';
import { LEVEL_NAMES } from '../query/attributes.ts';
import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import { searchWebNode } from '../scu/dicomweb-client.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { NodeService } from './services.ts';
import type { FindRequest, FindAnswer, JobDto, RetrievedStudyNames } from './contract.ts';
import type { Job } from '../jobs/job.ts';

export { QueryRefused, findLocal } from '../archive/local-find.ts';
import { QueryRefused, checkedFindRequest as checked, findLocal } from '../archive/local-find.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

/** Search a remote node with C-FIND (Study Root, Patient Root for the PATIENT level); answers decoded to text. */
export async function findRemote(
  nodes: NodeService,
  ae: string,
  request: Partial<FindRequest>,
  signal?: AbortSignal,
): Promise<FindAnswer[]> {
  const { level, keys } = checked(request);
  const web = nodes.transfers.webNode(ae);
  if (web) {
    // A DICOMweb node: QIDO-RS has no patient level; its studies are searched instead.
    if (level === 0)
      throw new QueryRefused(msg('{ae} is a DICOMweb node: search its studies (QIDO-RS has no patient level)', { ae }));
    return searchWebNode(web, LEVEL_NAMES[level] as 'STUDY' | 'SERIES' | 'IMAGE', keys, signal);
  }
  const node = nodes.transfers.node(ae);
  if (!node) throw new QueryRefused(msg('{ae} is not in acrnema.map', { ae }));
  let identifier: DataSet;
  try {
    identifier = identifierFromKeywords({ ...keys, SpecificCharacterSet: 'ISO_IR 192' }, LEVEL_NAMES[level]);
  } catch (err) {
    throw new QueryRefused((err as Error).message);
  }
  const answers = await nodes.transfers.client.find(
    node,
    level === 0 ? QrSopClass.PatientRootFind : QrSopClass.StudyRootFind,
    identifier,
    signal,
  );
  return answers.map((ds) => {
    const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)));
    const out: FindAnswer = {};
    for (const keyword of Object.keys(keys)) {
      const tag = keywordTag(keyword)?.tag;
      const e = tag === undefined ? undefined : ds.get(tag);
      out[keyword] = e && !isSequence(e) ? textOf(e, (b) => charset.decode(b)) : '';
    }
    return out;
  });
}

function aboutOf(j: Job): RetrievedStudyNames {
  if ((j.kind !== 'move' && j.kind !== 'get') || !j.detail.startsWith('{')) return {};
  try {
    return JSON.parse(j.detail) as RetrievedStudyNames;
  } catch {
    return {};
  }
}

/** The study each job is about (a send's or forward's study, a retrieve's StudyInstanceUID), with what this archive knows of it. */
export async function withJobStudies(index: Pick<ArchiveIndex, 'queryArchive'>, jobs: Job[]): Promise<JobDto[]> {
  const uidOf = (j: Job) => j.studyUid || j.query?.keys.StudyInstanceUID || '';
  const uids = [...new Set(jobs.map(uidOf).filter((u) => u && !u.includes('\\') && !/[*?]/.test(u)))];
  const known = new Map<string, FindAnswer>();
  for (let at = 0; at < uids.length; at += 500) {
    const keys = { StudyInstanceUID: uids.slice(at, at + 500).join('\\'), PatientName: '', StudyDescription: '' };
    for (const row of await findLocal(index, { level: 'STUDY', keys })) known.set(row.StudyInstanceUID!, row);
  }
  return jobs.map((j) => {
    const uid = uidOf(j);
    if (!uid) return j;
    const row = known.get(uid);
    // A retrieve's study not here yet: named as the node's search answer named it.
    const about = row ? {} : aboutOf(j);
    return {
      ...j,
      study: {
        uid,
        patientName: row?.PatientName ?? about.patientName ?? '',
        description: row?.StudyDescription ?? about.description ?? '',
        here: row !== undefined,
      },
    };
  });
}
