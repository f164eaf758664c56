import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { LookupRunner } from '../automation/converter-run.ts';
import { attributeValue, type Lookup } from '../automation/converter-vars.ts';
import { readObjectHead } from '../edit/object-rewrite.ts';
import { findLocal } from '../archive/local-find.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textElement, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordOf, vrOf } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { MWL_STEP_ATTRIBUTES } from '../query/attributes.ts';
import { worklistAnswer, worklistRequestFrom } from '../query/identifier.ts';

/**
 * What converters' `%R` and `%Q` read, as Conquest reads them: `%R` the old UID a new one stands for (newuids' and %E's
 * pairs, stage ''), `%QP`/`%QS`/`%QE` an attribute of the object's patient (by Patient ID), study (and Study Instance
 * UID) or series (and Series Instance UID) as the index holds it, `%QW` of the worklist entry with the object's
 * Accession Number, and any other letter `%QXgggg,eeee` the value replaced from `aliasfileqX.txt` beside dicom.ini
 * (`old<TAB>new` lines; the value itself when no line has it), and `%V(path)ref` an attribute of the stored object
 * whose SOP Instance UID this object's `path` gives (as read from its file). What is not found is ''.
 */
export function converterLookups(core: ArchiveCore): LookupRunner {
  return async (lookups) => {
    const out = new Map<string, string>();
    for (const l of lookups) out.set(l.key, await lookUp(core, l));
    return out;
  };
}

async function lookUp(core: ArchiveCore, l: Lookup): Promise<string> {
  if (l.kind === 'olduid') return (await core.index.uidMapStore().oldUids('', [l.uid])).get(l.uid) ?? '';
  if (l.kind === 'alias') return alias(core, l.letter, l.value);
  if (l.kind === 'object') {
    const stored = l.uid ? await core.index.findInstance(l.uid) : undefined;
    if (!stored) return '';
    const head = await readObjectHead(core.store.absolutePath(stored.location)).catch(() => undefined);
    return head ? attributeValue(head.dataSet, l.prefix, l.ref) : '';
  }
  const keyword = keywordOf(l.tag);
  if (!keyword) return '';
  const text = (tag: number) => {
    const e = l.dataSet.get(tag);
    if (!e || isSequence(e)) return '';
    return textOf(e, (b) => new CharacterSet(textOf(l.dataSet.get(Tag.SpecificCharacterSet)) || undefined).decode(b));
  };
  if (l.level === 'W') return worklistValue(core, text(Tag.AccessionNumber), l.tag);
  const patientId = text(Tag.PatientID);
  if (!patientId) return '';
  const keys: Record<string, string> = { PatientID: patientId, [keyword]: '' };
  const level = l.level === 'P' ? 'PATIENT' : l.level === 'S' ? 'STUDY' : 'SERIES';
  if (l.level !== 'P') keys.StudyInstanceUID = text(Tag.StudyInstanceUID);
  if (l.level === 'E') keys.SeriesInstanceUID = text(Tag.SeriesInstanceUID);
  if (Object.entries(keys).some(([k, v]) => k !== keyword && !v)) return '';
  const [row] = await findLocal(core.index, { level, keys }).catch(() => []);
  return String(row?.[keyword] ?? '');
}

/** One attribute of the worklist entry with this Accession Number, through the worklist's own query. */
async function worklistValue(core: ArchiveCore, accession: string, tag: number): Promise<string> {
  if (!accession) return '';
  const identifier: DataSet = new Map([
    [Tag.SpecificCharacterSet, textElement(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 192')],
    [Tag.AccessionNumber, textElement(Tag.AccessionNumber, 'SH', accession)],
  ]);
  const inStep = MWL_STEP_ATTRIBUTES.some((a) => a.tag === tag);
  if (inStep)
    identifier.set(Tag.ScheduledProcedureStepSequence, {
      tag: Tag.ScheduledProcedureStepSequence,
      vr: 'SQ',
      value: [new Map([[tag, textElement(tag, vrOf(tag), '')]])],
    });
  else if (tag !== Tag.AccessionNumber) identifier.set(tag, textElement(tag, vrOf(tag), ''));
  const request = worklistRequestFrom(new Map([...identifier].sort((a, b) => a[0] - b[0])));
  const [row] = await core.index.queryWorklist([...request.returns, ...request.stepReturns], request.conditions);
  if (!row) return '';
  const answer = worklistAnswer(row, request);
  const at = inStep ? (answer.get(Tag.ScheduledProcedureStepSequence)?.value as DataSet[] | undefined)?.[0] : answer;
  const e = at?.get(tag);
  if (!e || isSequence(e)) return '';
  const charset = new CharacterSet(textOf(answer.get(Tag.SpecificCharacterSet)) || undefined);
  return textOf(e, (b) => charset.decode(b));
}

/** `aliasfileq<letter>.txt` beside dicom.ini: the first line whose first column is the value (any case) gives the second. */
async function alias(core: ArchiveCore, letter: string, value: string): Promise<string> {
  const file = path.join(core.config.configDir, `aliasfileq${letter.toLowerCase()}.txt`);
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split(/\r?\n/)) {
    const cut = line.indexOf('\t');
    if (cut > 0 && line.slice(0, cut).toLowerCase() === value.toLowerCase()) return line.slice(cut + 1);
  }
  return value;
}
