import type { Association, IncomingMessage } from '../association.ts';
import { encodeDataSet, parseDataSet, textOf, type DataSet } from '../../dicom/dataset.ts';
import { QR_BY_TAG, UNIQUE_KEYS } from '../../query/attributes.ts';
import { DataSetError } from '../../dicom/dataset-scanner.ts';
import { DimseError, Status, formatStatus } from '../../dicom/status.ts';
import { CommandField } from '../command.ts';
import { QrSopClass, encodingOf, qrModelOf } from '../../../common/uids.ts';
import { IdentifierError, qrRequestFrom, worklistAnswer, worklistRequestFrom } from '../../query/identifier.ts';
import { IdentifierChecks, type IdentifierRequest } from './identifier-checks.ts';
import { QrAnswerWriter } from '../../query/answer-writer.ts';
import type { SourceLogger } from '../../util/log.ts';
import type { RunningOperations } from './operations.ts';
import type { QueryPort, QueryUpstreams } from './ports.ts';
import type { DimseService } from './registry.ts';
import { respond, response, yieldToIo } from './responses.ts';

/** Answers sent between two looks at the socket for a C-CANCEL. */
const ANSWERS_PER_BURST = 128;

/**
 * C-FIND SCP for Patient Root and Study Root Query/Retrieve (PS3.4 C.4.1) and the Modality Worklist (PS3.4 K.4.1):
 * one pending response per match, then the final status; a C-CANCEL stops it with status FE00. Matches are read from
 * the index in chunks as the answers leave (the association's sending waits for the socket), so a query over
 * millions of objects holds one chunk in memory, and the event loop is free between chunks. More matches than
 * MaxQueryResults: that many are answered, then the query ends with A700 (out of resources) saying why.
 */
export class FindScp implements DimseService {
  readonly name = 'C-FIND SCP';
  readonly sopClasses = [QrSopClass.PatientRootFind, QrSopClass.StudyRootFind, QrSopClass.ModalityWorklistFind];
  readonly commands = [CommandField.CFindRQ];
  private readonly port: QueryPort;
  private readonly aeTitle: () => string;
  private readonly operations: RunningOperations;
  private readonly log: SourceLogger;
  private readonly maxResults: () => number;
  /** QueryConverter0 and WorkListQueryConverter0 (identifier-checks.ts). */
  readonly checks: IdentifierChecks;
  /** Virtual servers: archive queries passed on to upstream nodes too (set by their feature). */
  upstreams?: QueryUpstreams;

  /** `maxResults`: dicom.ini's MaxQueryResults, read for each query (0: no limit). */
  constructor(
    port: QueryPort,
    aeTitle: () => string,
    operations: RunningOperations,
    log: SourceLogger,
    maxResults: () => number = () => 0,
    checks = new IdentifierChecks(),
  ) {
    this.port = port;
    this.aeTitle = aeTitle;
    this.operations = operations;
    this.log = log;
    this.maxResults = maxResults;
    this.checks = checks;
  }

  async handle(assoc: Association, msg: IncomingMessage, data: Buffer | undefined): Promise<void> {
    const started = performance.now();
    const sopClass = msg.command.affectedSopClassUid ?? msg.context.abstractSyntax;
    const op = this.operations.begin(assoc, msg.command.messageId ?? 0);
    let status: number = Status.Success;
    let failure: DimseError | undefined;
    let sent = 0;
    /** Said in the final response's comment: upstreams that did not answer, keys still being indexed. */
    const finalNotes: string[] = [];
    try {
      if (!data) throw new IdentifierError(Status.IdentifierDoesNotMatchSopClass, 'C-FIND-RQ has no identifier');
      const request: IdentifierRequest = {
        kind: sopClass === QrSopClass.ModalityWorklistFind ? 'worklist' : 'query',
        identifier: parseIdentifier(data, msg.context.transferSyntax),
        callingAe: assoc.callingAe,
        calledAe: assoc.calledAe,
        moveDestination: '',
        sopClassUid: sopClass,
        commandField: CommandField.CFindRQ,
      };
      const checkedIdentifier = await this.checks.run(request);
      const checked = this.checks.checksAnswers(request.kind as 'query' | 'worklist');
      const passed =
        checkedIdentifier && request.kind === 'query'
          ? this.upstreams?.prepare(checkedIdentifier, sopClass, assoc.callingAe)
          : undefined;
      const identifier = passed?.identifier ?? checkedIdentifier;
      // The answers already sent, by the level's unique key: an upstream's answer for one of them is not sent again.
      const seen = passed?.upstream ? new Set<string>() : undefined;
      // Dropped by a query converter: nothing matches.
      const local = identifier
        ? this.search(sopClass, identifier, msg.context.transferSyntax, seen)
        : { chunks: (async function* () {})(), pending: Status.Pending };
      const { pending } = local;
      // A key dicom.sql added lately, whose older objects are still being read, is said in the final comment.
      if ('note' in local && local.note) finalNotes.push(local.note);
      // Virtual servers: after our own answers, the upstreams' that name something we did not answer, as one more
      // chunk (the same bursts, limit and C-CANCEL); the ones that did not answer go into the final comment.
      const upstream = passed?.upstream;
      const chunks = upstream
        ? (async function* () {
            yield* local.chunks;
            const { answers, notes } = await upstream.answers;
            if (notes.length) finalNotes.push(`not asked: ${notes.join('; ')}`);
            yield answers.filter((a) => !seen!.has(textOf(a.get(upstream.uniqueKey)))).map((a) => () => a);
          })()
        : local.chunks;
      const max = this.maxResults();
      // Answers leave in bursts (one system call each); between bursts the socket is read, so a C-CANCEL gets in.
      // One command set for every pending answer (encoded once a burst); each answer its own identifier.
      const pendingCommand = response(msg, { status: pending }, Buffer.alloc(0)).command;
      const encoding = encodingOf(msg.context.transferSyntax);
      const send = async (answers: (() => DataSet | Buffer)[]) => {
        let built = answers.map((answer) => answer());
        if (checked) {
          // A result converter sees each answer as a data set; those it drops are not sent.
          const kept: DataSet[] = [];
          for (const b of built) {
            const answer = await this.checks.answer(request, Buffer.isBuffer(b) ? parseDataSet(b, encoding) : b);
            if (answer) kept.push(answer);
          }
          built = kept;
        }
        const queued = assoc.sendMessageBatch(
          msg.context.id,
          built.map((identifier) => ({
            command: pendingCommand,
            dataSet: Buffer.isBuffer(identifier) ? identifier : encodeDataSet(identifier, encoding),
          })),
        );
        sent += built.length;
        await queued;
      };
      outer: for await (const answers of chunks) {
        for (let at = 0; at < answers.length; at += ANSWERS_PER_BURST) {
          if (op.cancelled) break outer;
          const burst = answers.slice(at, at + ANSWERS_PER_BURST);
          if (max > 0 && sent + burst.length > max) {
            // At least one match more than the limit exists: answer up to it, then say so.
            await send(burst.slice(0, max - sent));
            throw new DimseError(
              Status.OutOfResources,
              `more than ${max} matches (MaxQueryResults): the first ${max} were answered; narrow the query`,
            );
          }
          // The wait for the socket ends at a C-CANCEL: what is sent already reaches the peer before the final answer.
          const sending = send(burst);
          sending.catch(() => undefined);
          await Promise.race([sending, op.whenCancelled]);
          await yieldToIo();
        }
      }
      if (op.cancelled) status = Status.Cancel;
    } catch (err) {
      if (err instanceof DimseError) failure = err;
      else {
        failure = new DimseError(Status.OutOfResources, `query failed: ${(err as Error).message}`);
        this.log.error(`${assoc.label}: C-FIND failed: ${(err as Error).stack}`);
      }
      status = failure.status;
    } finally {
      this.operations.end(assoc, op);
    }
    const line = `${assoc.label}: C-FIND ${sopClass}: ${sent} match(es) -> ${formatStatus(status)}${failure ? ': ' + failure.message : ''} in ${(performance.now() - started).toFixed(1)} ms`;
    if (failure) {
      this.log.warn(line);
      throw failure; // answered by the registry
    }
    const note = finalNotes.join('; ') || undefined;
    if (note) this.log.warn(`${line}; ${note}`);
    else this.log.debug(line);
    await respond(assoc, msg, { status, errorComment: note?.slice(0, 64) }).catch((err) =>
      this.log.warn(`${assoc.label}: C-FIND-RSP not sent: ${(err as Error).message}`),
    );
  }

  /** The answers in chunks (each built lazily, one by one) and the pending status they go out with. */
  private search(
    sopClass: string,
    identifier: DataSet,
    transferSyntax: string,
    seen?: Set<string>,
  ): { chunks: AsyncIterable<(() => DataSet | Buffer)[]>; pending: number; note?: string } {
    if (sopClass === QrSopClass.ModalityWorklistFind) {
      const request = worklistRequestFrom(identifier, this.port.addedWorklistKeys?.());
      const rows = this.port.findWorklist(request);
      return {
        chunks: (async function* () {
          yield (await rows).map((row) => () => worklistAnswer(row, request));
        })(),
        pending: request.unsupportedMatching ? Status.PendingWarning : Status.Pending,
      };
    }
    const model = qrModelOf(sopClass);
    if (!model) throw new IdentifierError(Status.SopClassNotSupported, `C-FIND on ${sopClass} is not supported`);
    const request = qrRequestFrom(identifier, model, this.port.addedKeys?.());
    const filling = request.conditions.filter((c) => c.attr.filling).map((c) => c.attr.keyword);
    const writer = new QrAnswerWriter(request, this.aeTitle(), encodingOf(transferSyntax));
    const rows = this.port.findArchive(request);
    const key = QR_BY_TAG.get(UNIQUE_KEYS[request.level])?.keyword;
    return {
      chunks: (async function* () {
        for await (const chunk of rows) {
          if (seen && key) for (const row of chunk) if (row[key] != null) seen.add(String(row[key]));
          yield chunk.map((row) => () => writer.write(row));
        }
      })(),
      pending: request.unsupportedMatching ? Status.PendingWarning : Status.Pending,
      note: filling.length ? `${filling.join(', ')} still being indexed: older objects may be missing` : undefined,
    };
  }
}

/** A request's identifier, or an IdentifierError with status C000 naming what does not parse. */
export function parseIdentifier(data: Buffer, transferSyntax: string): DataSet {
  try {
    return parseDataSet(data, encodingOf(transferSyntax));
  } catch (err) {
    if (err instanceof DataSetError)
      throw new IdentifierError(Status.UnableToProcess, `identifier does not parse: ${err.message}`);
    throw err;
  }
}
