import type { AuditEntry } from '../../audit/audit-record.ts';
import type { ArchiveIndex } from '../../index/archive-index.ts';
import { WorklistEntryError, normalizeWorklistEntry, type StoredWorklistEntry } from '../../index/worklist-entry.ts';
import type { SourceLogger } from '../../util/log.ts';
import { acknowledgment, type AckCode } from './ack.ts';
import { Hl7Error, parseMessage, type Hl7Message } from './message.ts';
import { english, msg, saidOf, type Message } from '../../../common/message.ts';
import { readOrders, type OrderAction } from './orders.ts';
import { orderColumns } from './order-columns.ts';
import { readPatientMessage } from './patients.ts';
import type { StudyEditor } from '../../edit/study-editor.ts';
import { EditError, checkPatientChanges, type PatientChanges } from '../../edit/edit-requests.ts';

/** What one message did, for the log and the monitor. */
export interface Hl7Outcome {
  type: string;
  controlId: string;
  code: AckCode;
  /** What changed, or why nothing did: in English, and as a message. */
  text: string;
  said: Message;
  ack: Buffer;
}

/**
 * Applies HL7 messages to the archive: orders to the worklist, patient updates and merges to the index. Every message
 * gets its ACK; one that cannot be read or applied changes nothing and gets AR (unreadable, not a message we take) or
 * AE (an application error: a field missing, an order unknown), with the reason.
 */
export class Hl7Inbox {
  private readonly index: ArchiveIndex;
  private readonly log: SourceLogger;
  private readonly settings: () => { defaultCharset: string; ourApplication: string };
  private readonly editor?: Pick<StudyEditor, 'editPatient'>;
  private readonly audit: (entry: AuditEntry) => void;
  /** Each worklist entry an order made (a prefetch rule's "on order"). */
  onScheduled: (entry: StoredWorklistEntry) => void = () => undefined;

  /**
   * `editor`: patient updates and merges rewrite the stored objects too (edit jobs), not only the index. `audit`: each
   * patient the hospital changes is recorded with what changed (as ATNA and dcm4chee record them).
   */
  constructor(
    index: ArchiveIndex,
    settings: () => { defaultCharset: string; ourApplication: string },
    log: SourceLogger,
    editor?: Pick<StudyEditor, 'editPatient'>,
    audit: (entry: AuditEntry) => void = () => undefined,
  ) {
    this.index = index;
    this.settings = settings;
    this.log = log;
    this.editor = editor;
    this.audit = audit;
  }

  async receive(bytes: Buffer, from: string): Promise<Hl7Outcome> {
    const { defaultCharset, ourApplication } = this.settings();
    let message: Hl7Message | undefined;
    try {
      message = parseMessage(bytes, defaultCharset);
      const said = await this.apply(message, from);
      return this.outcome(message, 'AA', said, 0, ourApplication);
    } catch (err) {
      const known = err instanceof Hl7Error || err instanceof WorklistEntryError;
      if (!known) this.log.error(`HL7 from ${from}: ${(err as Error).stack ?? err}`);
      const code: AckCode =
        !message || (err instanceof Hl7Error && (err.code === 200 || err.code === 100 || err.code === 102))
          ? 'AR'
          : 'AE';
      const errorCode = err instanceof Hl7Error ? err.code : 207;
      return this.outcome(message, code, saidOf(err), errorCode, ourApplication);
    }
  }

  /** The answer: the acknowledgment says it in English (MSA-3), the Monitor in the user's language. */
  private outcome(
    message: Hl7Message | undefined,
    code: AckCode,
    said: Message,
    errorCode: number,
    ourApplication: string,
  ): Hl7Outcome {
    const text = english(said);
    return {
      type: message ? `${message.type}^${message.trigger}` : '?',
      controlId: message?.controlId ?? '',
      code,
      text,
      said,
      ack: acknowledgment(message, code, text, errorCode, ourApplication),
    };
  }

  private async apply(message: Hl7Message, from: string): Promise<Message> {
    const kind = `${message.type}^${message.trigger}`;
    if (kind === 'ORM^O01' || kind === 'OMI^O23') {
      // dicom.sql's WorkList HL7 fields, where it gives them, replace our mapping of those columns.
      return this.orders(readOrders(message, orderColumns(this.index.schema)));
    }
    if (message.type === 'ADT') {
      const action = readPatientMessage(message);
      const { patientId, patientName, birthDate, sex } = action;
      // Values the stored files cannot hold (a control character, an over-long name, a date that is none) are refused
      // before anything changes: the index and the files never disagree.
      try {
        checkPatientChanges({ patientId, patientName, birthDate, sex });
      } catch (err) {
        if (err instanceof EditError)
          throw new Hl7Error(207, msg('the archive cannot store these values: {reason}', { reason: err.said }));
        throw err;
      }
      // The stored files follow through an edit job (queued first: it takes the objects as the index has them now);
      // the index and the worklist change at once, so C-FIND answers the new values before the files are rewritten.
      if (action.kind === 'update') {
        // A hospital sends A08 at every visit: the files are rewritten only when a value differs from what is stored.
        const stored = await this.index.findPatient(patientId);
        const differs =
          stored && (stored.patientName !== patientName || stored.birthDate !== birthDate || stored.sex !== sex);
        const rewrite = differs ? await this.rewrite(patientId, { patientName, birthDate, sex }) : '';
        const known = await this.index.updatePatient({ patientId, patientName, birthDate, sex });
        if (differs) {
          const changed = [
            ['name', stored.patientName, patientName],
            ['birth date', stored.birthDate, birthDate],
            ['sex', stored.sex, sex],
          ]
            .filter(([, before, after]) => before !== after)
            .map(([what, before, after]) => `${what} "${before}" -> "${after}"`)
            .join(', ');
          this.recordChange(message, from, patientId, `${kind} ${changed}${rewrite ? ` (job ${rewrite})` : ''}`);
        }
        const done = known
          ? msg('patient {id} updated', { id: patientId })
          : msg('patient {id} is not in the archive (its worklist entries, if any, updated)', { id: patientId });
        return rewrite ? msg('{done}; its files are rewritten by job {job}', { done, job: rewrite }) : done;
      }
      const rewrite = await this.rewrite(action.priorPatientId, { patientId, patientName, birthDate, sex });
      const moved = await this.index.mergePatients(
        action.priorPatientId,
        { patientId, patientName, birthDate, sex },
        `HL7 ${from} ${message.controlId}`,
      );
      // Both patients touched: the one that ends and the one that takes its studies.
      for (const id of [action.priorPatientId, patientId]) {
        this.recordChange(
          message,
          from,
          id,
          `${kind} patient ${action.priorPatientId} merged into ${patientId} ("${patientName}"), ${moved} study(ies) moved${rewrite ? ` (job ${rewrite})` : ''}`,
        );
      }
      const done = msg('patient {prior} merged into {id}: {n, plural, one {# study} other {# studies}} moved', {
        prior: action.priorPatientId,
        id: patientId,
        n: moved,
      });
      return rewrite ? msg('{done}; its files are rewritten by job {job}', { done, job: rewrite }) : done;
    }
    throw new Hl7Error(
      200,
      msg('{kind} is not a message this archive takes (ORM^O01, OMI^O23, ADT^A08, ADT^A31, ADT^A40)', { kind }),
    );
  }

  private recordChange(message: Hl7Message, from: string, patientId: string, detail: string): void {
    const sender = [message.sendingApplication, message.sendingFacility].filter(Boolean).join('/') || 'HL7';
    this.audit({
      user: sender,
      source: from,
      action: 'edit',
      patientId,
      detail: `HL7 ${message.controlId}: ${detail}`,
    });
  }

  /** Queue the files' rewrite for a patient's new values; the job's number ('' when there is nothing to rewrite). */
  private async rewrite(patientId: string, changes: PatientChanges): Promise<string> {
    if (!this.editor) return '';
    try {
      const job = await this.editor.editPatient(patientId, changes);
      return String(job.id);
    } catch (err) {
      if (err instanceof EditError) return ''; // no object of that patient here, or a value an object cannot hold
      throw err;
    }
  }

  /**
   * The ORC groups of one message: all are checked first (the order known or not, the entry complete), then applied, so
   * a message that cannot be applied whole changes nothing.
   */
  private async orders(orders: OrderAction[]): Promise<Message> {
    const planned: { order: OrderAction; existing: StoredWorklistEntry[] }[] = [];
    for (const order of orders) {
      const existing = await this.index.worklistByOrder(order.placerOrder);
      if (order.control === 'new' && existing.length)
        throw new Hl7Error(
          207,
          msg('order {placerOrder} is already in the worklist (send XO to change it)', {
            placerOrder: order.placerOrder,
          }),
        );
      if (order.control !== 'new' && !existing.length)
        throw new Hl7Error(207, msg('order {placerOrder} is not in the worklist', { placerOrder: order.placerOrder }));
      if (order.control === 'new') normalizeWorklistEntry(order.entry);
      for (const e of order.control === 'change' ? existing : [])
        normalizeWorklistEntry({ ...e, ...given(order.entry) });
      planned.push({ order, existing });
    }
    const done: Message[] = [];
    for (const { order, existing } of planned) {
      if (order.control === 'new') this.onScheduled(await this.index.addWorklistEntry(order.entry));
      for (const e of existing) {
        if (order.control === 'change') await this.index.updateWorklistEntry(e.id, given(order.entry));
        if (order.control === 'cancel') await this.index.deleteWorklistEntry(e.id);
        if (order.control === 'discontinue') await this.index.updateWorklistEntry(e.id, { stepStatus: 'DISCONTINUED' });
      }
      const order_ = order.placerOrder;
      done.push(
        {
          new: msg('order {order} scheduled', { order: order_ }),
          change: msg('order {order} changed', { order: order_ }),
          cancel: msg('order {order} cancelled', { order: order_ }),
          discontinue: msg('order {order} discontinued', { order: order_ }),
        }[order.control],
      );
    }
    return done.reduce((all, one) => msg('{all}; {one}', { all, one }));
  }
}

/** A change keeps what the message leaves empty (an XO without a Study Instance UID keeps the entry's). */
function given<T extends object>(entry: T): Partial<T> {
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== '' && v !== undefined)) as Partial<T>;
}
