import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { QrSopClass } from '../../common/uids.ts';
import { LEVEL_NAMES, QR_ATTRIBUTES } from '../query/attributes.ts';
import { IdentifierError, SPECIFIC_CHARACTER_SET, qrRequestFrom } from '../query/identifier.ts';
import { identifierFromKeywords, KeywordError } from '../scu/identifiers.ts';
import { withFoldedNames } from '../query/condition.ts';
import { searchWebNode } from '../scu/dicomweb-client.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { NodeService } from './services.ts';
import type { FindRequest, FindAnswer, JobDto } from './contract.ts';
import type { Job } from '../jobs/job.ts';

/** A query the UI states with keywords, refused with the reason when it is not one the archive can run. */
export class QueryRefused extends Error {}

/** The keys a level answers with, when the request names none: all the archive supports up to that level. */
function defaultKeys(level: number): Record<string, string> {
  return Object.fromEntries(QR_ATTRIBUTES.filter((a) => a.level <= level).map((a) => [a.keyword, '']));
}

function checked(request: Partial<FindRequest>): { level: number; keys: Record<string, string> } {
  const level = LEVEL_NAMES.indexOf(String(request.level) as (typeof LEVEL_NAMES)[number]);
  if (level < 0) throw new QueryRefused('level must be PATIENT, STUDY, SERIES or IMAGE');
  const keys = request.keys ?? {};
  if (typeof keys !== 'object' || Object.values(keys).some((v) => typeof v !== 'string')) throw new QueryRefused('keys must map keywords to text');
  // Keys with empty values are what to return; a request naming none gets every key the level answers.
  const namesReturnKeys = Object.values(keys).some((v) => v === '');
  return { level, keys: namesReturnKeys ? keys : { ...defaultKeys(level), ...keys } };
}

/** Search the local archive, as a C-FIND in the Patient Root model would (the answers' keys by keyword). */
export async function findLocal(index: Pick<ArchiveIndex, 'queryArchive'>, request: Partial<FindRequest>): Promise<FindAnswer[]> {
  const { level, keys } = checked(request);
  try {
    // Values come as JavaScript text, written in UTF-8: the identifier says so.
    const q = qrRequestFrom(identifierFromKeywords({ ...keys, SpecificCharacterSet: 'ISO_IR 192' }, LEVEL_NAMES[level]), 'PATIENT');
    const limit = request.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new QueryRefused('limit must be a whole number above 0');
    // People search the way they type: "dvorak" finds Dvořák, "mueller" Müller.
    const rows = await index.queryArchive(q.level, q.returns, withFoldedNames(q.conditions), limit);
    return rows.map((row) => Object.fromEntries(q.returns.map((a) => [a.keyword, row[a.keyword] === null || row[a.keyword] === undefined ? '' : String(row[a.keyword])])));
  } catch (err) {
    if (err instanceof IdentifierError || err instanceof KeywordError) throw new QueryRefused(err.message);
    throw err;
  }
}

/** Search a remote node with C-FIND (Study Root, Patient Root for the PATIENT level); answers decoded to text. */
export async function findRemote(nodes: NodeService, ae: string, request: Partial<FindRequest>, signal?: AbortSignal): Promise<FindAnswer[]> {
  const { level, keys } = checked(request);
  const web = nodes.transfers.webNode(ae);
  if (web) {
    // A DICOMweb node: QIDO-RS has no patient level; its studies are searched instead.
    if (level === 0) throw new QueryRefused(`${ae} is a DICOMweb node: search its studies (QIDO-RS has no patient level)`);
    return searchWebNode(web, LEVEL_NAMES[level] as 'STUDY' | 'SERIES' | 'IMAGE', keys, signal);
  }
  const node = nodes.transfers.node(ae);
  if (!node) throw new QueryRefused(`${ae} is not in acrnema.map`);
  let identifier: DataSet;
  try {
    identifier = identifierFromKeywords({ ...keys, SpecificCharacterSet: 'ISO_IR 192' }, LEVEL_NAMES[level]);
  } catch (err) {
    throw new QueryRefused((err as Error).message);
  }
  const answers = await nodes.transfers.client.find(node, level === 0 ? QrSopClass.PatientRootFind : QrSopClass.StudyRootFind, identifier, signal);
  return answers.map((ds) => {
    const charset = new CharacterSet(textOf(ds.get(SPECIFIC_CHARACTER_SET)));
    const out: FindAnswer = {};
    for (const keyword of Object.keys(keys)) {
      const tag = keywordTag(keyword)?.tag;
      const e = tag === undefined ? undefined : ds.get(tag);
      out[keyword] = e && !isSequence(e) ? textOf(e, (b) => charset.decode(b)) : '';
    }
    return out;
  });
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
    return { ...j, study: { uid, patientName: row?.PatientName ?? '', description: row?.StudyDescription ?? '', here: row !== undefined } };
  });
}
