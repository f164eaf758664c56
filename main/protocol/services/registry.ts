import type { Association, AssociationHandler, IncomingMessage } from '../association.ts';
import { CommandField, commandName, isNormalized } from '../command.ts';
import { DimseError, Status, formatStatus } from '../../dicom/status.ts';
import type { SourceLogger } from '../../util/log.ts';
import { respond } from './responses.ts';

/**
 * DIMSE services registered by SOP class and command (as dcm4che's DicomServiceRegistry and pynetdicom's
 * uid_to_service_class): each request is routed through one lookup; a request no service takes gets the standard
 * status here, and a service that throws a DimseError has its response built here too. Adding a service (Storage
 * Commitment's N-ACTION, MPPS's N-CREATE/N-SET) is one object and one `register` call.
 */

export interface DimseService {
  /** For log lines: "C-FIND SCP", "Storage SCP". */
  readonly name: string;
  /** The SOP classes it answers; a function for open-ended families (every storage class). */
  readonly sopClasses: readonly string[] | ((sopClass: string) => boolean);
  /** The request command fields it answers (CommandField.CFindRQ, CommandField.NActionRQ, ...). */
  readonly commands: readonly number[];
  /**
   * The request's command set is complete and its data set is still to come: a service that streams the data set sets
   * `msg.dataSink` here (C-STORE). Services that do not stream leave it out and get the whole message in `handle`.
   */
  begin?(assoc: Association, msg: IncomingMessage): void;
  /** The whole request (its data set, if any, buffered); resolves when answered. A DimseError is answered here. */
  handle?(assoc: Association, msg: IncomingMessage, dataSet: Buffer | undefined): Promise<void>;
}

/** C-CANCEL-RQ is not a service of any SOP class: it names a running operation by message ID (PS3.7 9.3.2.3). */
export interface CancelTarget {
  cancel(assoc: Association, messageId: number): boolean;
}

/** The SOP class a request is about: Affected for C-commands, Requested for N-commands, else the context's. */
export function requestSopClass(msg: IncomingMessage): string {
  const c = msg.command;
  return (
    (isNormalized(c.commandField) ? (c.requestedSopClassUid ?? c.affectedSopClassUid) : c.affectedSopClassUid) ??
    msg.context.abstractSyntax
  );
}

export class ServiceRegistry {
  private readonly exact = new Map<string, DimseService[]>();
  private readonly families: DimseService[] = [];
  /** Lookups already made (every C-STORE asks, so the storage family is not searched each time). */
  private readonly found = new Map<string, DimseService | { status: number; why: string }>();
  private readonly log: SourceLogger;
  private readonly cancels: CancelTarget;
  private readonly observers: ((assoc: Association, msg: IncomingMessage, data: Buffer | undefined) => void)[] = [];

  constructor(log: SourceLogger, cancels: CancelTarget) {
    this.log = log;
    this.cancels = cancels;
  }

  register(service: DimseService): this {
    if (typeof service.sopClasses === 'function') this.families.push(service);
    else for (const uid of service.sopClasses) this.exact.set(uid, [...(this.exact.get(uid) ?? []), service]);
    this.found.clear();
    return this;
  }

  /** See every whole request before it is served (the audit trail); streamed ones (C-STORE) are not seen. */
  observe(observer: (assoc: Association, msg: IncomingMessage, data: Buffer | undefined) => void): this {
    this.observers.push(observer);
    return this;
  }

  /** The service for a SOP class and command; otherwise why not, as the status to answer. */
  lookup(sopClass: string, commandField: number): DimseService | { status: number; why: string } {
    const key = `${sopClass} ${commandField}`;
    let found = this.found.get(key);
    if (!found) {
      found = this.search(sopClass, commandField);
      if (this.found.size < 4096) this.found.set(key, found); // a peer cannot grow it without bound
    }
    return found;
  }

  private search(sopClass: string, commandField: number): DimseService | { status: number; why: string } {
    const candidates =
      this.exact.get(sopClass) ?? this.families.filter((s) => (s.sopClasses as (uid: string) => boolean)(sopClass));
    const service = candidates.find((s) => s.commands.includes(commandField));
    if (service) return service;
    if (candidates.length)
      return {
        status: Status.UnrecognizedOperation,
        why: `${commandName(commandField)} is not an operation of ${sopClass}`,
      };
    return isNormalized(commandField)
      ? { status: Status.NoSuchSopClass, why: `no service for SOP class ${sopClass}` }
      : { status: Status.SopClassNotSupported, why: `no service for SOP class ${sopClass}` };
  }

  /** The association handler's request side: every request of every association comes through here. */
  handlers(): Pick<AssociationHandler, 'onCommand' | 'onMessage'> {
    return {
      onCommand: (assoc, msg) => {
        const found = this.lookup(requestSopClass(msg), msg.command.commandField);
        if ('begin' in found && found.begin) found.begin(assoc, msg);
      },
      onMessage: (assoc, msg, data) => void this.dispatch(assoc, msg, data),
    };
  }

  private async dispatch(assoc: Association, msg: IncomingMessage, data: Buffer | undefined): Promise<void> {
    const field = msg.command.commandField;
    if (field === CommandField.CCancelRQ) {
      const id = msg.command.messageIdBeingRespondedTo ?? -1;
      if (this.cancels.cancel(assoc, id)) this.log.info(`${assoc.label}: C-CANCEL of message ${id}`);
      else this.log.debug(`${assoc.label}: C-CANCEL of message ${id}, which no longer runs`);
      return;
    }
    for (const observe of this.observers) {
      try {
        observe(assoc, msg, data);
      } catch (err) {
        this.log.error(`${assoc.label}: observer failed: ${(err as Error).message}`);
      }
    }
    const sopClass = requestSopClass(msg);
    const found = this.lookup(sopClass, field);
    if (!('name' in found)) {
      this.log.warn(
        `${assoc.label}: ${commandName(field)} on ${sopClass}: ${found.why} -> ${formatStatus(found.status)}`,
      );
      return this.answer(assoc, msg, new DimseError(found.status, found.why));
    }
    if (!found.handle) return; // a streaming service answers when its data set is complete
    try {
      await found.handle(assoc, msg, data);
    } catch (err) {
      if (err instanceof DimseError) return this.answer(assoc, msg, err);
      this.log.error(`${assoc.label}: ${found.name} failed on ${commandName(field)}: ${(err as Error).stack ?? err}`);
      return this.answer(
        assoc,
        msg,
        new DimseError(Status.ProcessingFailure, `${found.name} failed: ${(err as Error).message}`),
      );
    }
  }

  /** The one place a failure becomes a response: status, error comment (LO, 64 characters at most), identifier. */
  private async answer(assoc: Association, msg: IncomingMessage, err: DimseError): Promise<void> {
    const affected = isNormalized(msg.command.commandField)
      ? {
          affectedSopClassUid: requestSopClass(msg),
          affectedSopInstanceUid: msg.command.requestedSopInstanceUid ?? msg.command.affectedSopInstanceUid,
        }
      : {};
    await respond(
      assoc,
      msg,
      { ...affected, status: err.status, errorComment: err.message.slice(0, 64) },
      err.identifier,
    ).catch((e: Error) =>
      this.log.warn(`${assoc.label}: ${commandName(msg.command.commandField | 0x8000)} not sent: ${e.message}`),
    );
  }
}
