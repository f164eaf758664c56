import type { Association, IncomingMessage } from '../protocol/association.ts';
import { CommandField } from '../protocol/command.ts';
import { isSequence, parseDataSet, textOf } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { encodingOf, QrSopClass } from '../../common/uids.ts';
import type { AuditEntry } from './audit-record.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * The DICOM side of the audit trail: associations peers open to us (accepted, or rejected and why), and the queries and
 * retrieves they ask for, with the keys they gave. Stores are not recorded one by one (the association and the index
 * say what came); what we send and retrieve is recorded where the job is asked for.
 */

const who = (assoc: Association) => ({ user: assoc.callingAe, source: `${assoc.callingAe}@${assoc.remoteAddress}` });

export function auditAssociation(assoc: Association, record: (e: AuditEntry) => void): void {
  assoc.once('established', () => {
    if (assoc.role !== 'acceptor') return;
    record({
      ...who(assoc),
      action: 'association-accepted',
      detail: `called ${assoc.calledAe}, ${assoc.contexts.size} presentation contexts accepted`,
    });
  });
  assoc.once('rejected', (r: { why: string }) => {
    record({
      ...who(assoc),
      action: 'association-rejected',
      outcome: 'refused',
      detail: `called ${assoc.calledAe}: ${r.why}`,
    });
  });
}

/** The keys of an identifier that carry a value ("PatientName=SMITH*"), sequences left out. */
function keysOf(data: Buffer, transferSyntax: string): { text: string; patientId: string; studyUid: string } {
  try {
    const ds = parseDataSet(data, encodingOf(transferSyntax));
    const keys: string[] = [];
    for (const [tag, e] of ds) {
      if (isSequence(e)) continue;
      const value = textOf(e);
      if (value && tag !== Tag.SpecificCharacterSet)
        keys.push(`${keywordOf(tag) || tag.toString(16).padStart(8, '0')}=${value}`);
    }
    return {
      text: keys.join(' ').slice(0, 1000),
      patientId: textOf(ds.get(Tag.PatientID)),
      studyUid: textOf(ds.get(Tag.StudyInstanceUID)),
    };
  } catch {
    return { text: '(identifier not readable)', patientId: '', studyUid: '' };
  }
}

const ACTIONS: Partial<Record<number, { action: AuditEntry['action']; what: string }>> = {
  [CommandField.CFindRQ]: { action: 'query', what: 'C-FIND' },
  [CommandField.CMoveRQ]: { action: 'retrieve', what: 'C-MOVE' },
  [CommandField.CGetRQ]: { action: 'retrieve', what: 'C-GET' },
};

export function auditRequest(
  assoc: Association,
  msg: IncomingMessage,
  data: Buffer | undefined,
  record: (e: AuditEntry) => void,
): void {
  const kind = ACTIONS[msg.command.commandField];
  if (!kind || !data) return;
  const keys = keysOf(data, msg.context.transferSyntax);
  const destination =
    msg.command.commandField === CommandField.CMoveRQ ? ` to ${msg.command.moveDestination ?? ''}` : '';
  const model = msg.context.abstractSyntax === QrSopClass.ModalityWorklistFind ? ' worklist' : '';
  record({
    ...who(assoc),
    action: kind.action,
    patientId: keys.patientId,
    studyUid: keys.studyUid,
    detail: `${kind.what}${model}${destination}: ${keys.text}`,
  });
}
