import type { Association, IncomingMessage } from '../association.ts';
import { parseDataSet, type DataSet } from '../dataset.ts';
import { DataSetError } from '../dataset-scanner.ts';
import { Status, formatStatus } from '../status.ts';
import { QrSopClass, encodingOf, qrModelOf } from '../uids.ts';
import type { ArchiveIndex } from '../../index/archive-index.ts';
import { IdentifierError, qrRequestFrom, worklistAnswer, worklistRequestFrom } from '../../query/identifier.ts';
import { QrAnswerWriter } from '../../query/answer-writer.ts';
import { withFoldedNames, type Condition } from '../../query/sql.ts';
import type { SourceLogger } from '../../util/log.ts';
import type { RunningOperations } from './operations.ts';
import { respond, response, yieldToIo } from './responses.ts';

/** Answers sent between two looks at the socket for a C-CANCEL. */
const ANSWERS_PER_BURST = 128;

/**
 * C-FIND SCP for Patient Root and Study Root Query/Retrieve (PS3.4 C.4.1) and the Modality Worklist (PS3.4 K.4.1):
 * one pending response per match, then the final status; a C-CANCEL stops it with status FE00.
 */
export class FindScp {
  private readonly index: ArchiveIndex;
  private readonly aeTitle: () => string;
  private readonly operations: RunningOperations;
  private readonly log: SourceLogger;
  /** dicom.ini NameMatching = forgiving: person names match without regard to diacritics (name-fold.ts). */
  private readonly forgivingNames: () => boolean;

  constructor(index: ArchiveIndex, aeTitle: () => string, operations: RunningOperations, log: SourceLogger, forgivingNames: () => boolean = () => false) {
    this.index = index;
    this.aeTitle = aeTitle;
    this.operations = operations;
    this.log = log;
    this.forgivingNames = forgivingNames;
  }

  async handle(assoc: Association, msg: IncomingMessage, data: Buffer | undefined): Promise<void> {
    const started = performance.now();
    const sopClass = msg.command.affectedSopClassUid ?? msg.context.abstractSyntax;
    const op = this.operations.begin(assoc, msg.command.messageId ?? 0);
    let status: number = Status.Success;
    let comment: string | undefined;
    let sent = 0;
    try {
      if (!data) throw new IdentifierError(Status.IdentifierDoesNotMatchSopClass, 'C-FIND-RQ has no identifier');
      const identifier = parseIdentifier(data, msg.context.transferSyntax);
      const { answers, pending } = await this.search(sopClass, identifier, msg.context.transferSyntax);
      // Answers leave in bursts (one system call each); between bursts the socket is read, so a C-CANCEL gets in.
      for (let at = 0; at < answers.length && !op.cancelled; at += ANSWERS_PER_BURST) {
        const burst = answers.slice(at, at + ANSWERS_PER_BURST).map((answer) => response(msg, { status: pending }, answer()));
        await assoc.sendMessageBatch(msg.context.id, burst);
        sent += burst.length;
        if (at + ANSWERS_PER_BURST < answers.length) await yieldToIo();
      }
      if (op.cancelled) status = Status.Cancel;
    } catch (err) {
      if (err instanceof IdentifierError) { status = err.status; comment = err.message; } else {
        status = Status.OutOfResources;
        comment = `query failed: ${(err as Error).message}`;
        this.log.error(`${assoc.label}: C-FIND failed: ${(err as Error).stack}`);
      }
    } finally {
      this.operations.end(assoc, op);
    }
    const line = `${assoc.label}: C-FIND ${sopClass}: ${sent} match(es) -> ${formatStatus(status)}${comment ? ': ' + comment : ''} in ${(performance.now() - started).toFixed(1)} ms`;
    if (status === Status.Success || status === Status.Cancel) this.log.debug(line); else this.log.warn(line);
    await respond(assoc, msg, { status, errorComment: comment?.slice(0, 64) })
      .catch((err) => this.log.warn(`${assoc.label}: C-FIND-RSP not sent: ${(err as Error).message}`));
  }

  private names(conditions: Condition[]): Condition[] {
    return this.forgivingNames() ? withFoldedNames(conditions) : conditions;
  }

  /** The answers (built lazily, one by one) and the pending status they go out with. */
  private async search(sopClass: string, identifier: DataSet, transferSyntax: string): Promise<{ answers: (() => DataSet | Buffer)[]; pending: number }> {
    if (sopClass === QrSopClass.ModalityWorklistFind) {
      const request = worklistRequestFrom(identifier);
      const rows = await this.index.queryWorklist([...request.returns, ...request.stepReturns], this.names(request.conditions));
      return { answers: rows.map((row) => () => worklistAnswer(row, request)), pending: request.unsupportedMatching ? Status.PendingWarning : Status.Pending };
    }
    const model = qrModelOf(sopClass);
    if (!model) throw new IdentifierError(Status.SopClassNotSupported, `C-FIND on ${sopClass} is not supported`);
    const request = qrRequestFrom(identifier, model);
    const rows = await this.index.queryArchive(request.level, request.returns, this.names(request.conditions));
    const writer = new QrAnswerWriter(request, this.aeTitle(), encodingOf(transferSyntax));
    return { answers: rows.map((row) => () => writer.write(row)), pending: request.unsupportedMatching ? Status.PendingWarning : Status.Pending };
  }
}

/** A request's identifier, or an IdentifierError with status C000 naming what does not parse. */
export function parseIdentifier(data: Buffer, transferSyntax: string): DataSet {
  try {
    return parseDataSet(data, encodingOf(transferSyntax));
  } catch (err) {
    if (err instanceof DataSetError) throw new IdentifierError(Status.UnableToProcess, `identifier does not parse: ${err.message}`);
    throw err;
  }
}
