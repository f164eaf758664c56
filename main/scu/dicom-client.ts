import type {
  Association,
  AssociationHandler,
  AssociationOptions,
  PresentationContext,
} from '../protocol/association.ts';
import { connect, type TlsSettings } from '../protocol/network.ts';
import { CommandField, Priority, type CommandSet } from '../protocol/command.ts';
import { encodeDataSet, parseDataSet, type DataSet } from '../dicom/dataset.ts';
import type { ProposedContext, RoleSelection } from '../protocol/pdu.ts';
import { Status, formatStatus } from '../dicom/status.ts';
import { TransferSyntax, VERIFICATION_SOP_CLASS, encodingOf } from '../../common/uids.ts';
import { compressionPlan } from '../../common/compression-code.ts';
import { isStorageClass } from '../protocol/negotiation.ts';
import {
  planAssociations,
  prepareAhead,
  sendObject,
  type OutgoingObject,
  type SendResult,
  type TranscodePort,
} from '../protocol/services/store-scu.ts';
import type { ArchiveEvents } from '../runtime/events.ts';
import { watchAssociation } from '../runtime/monitoring.ts';
import type { SourceLogger } from '../util/log.ts';
import { MPPS_SOP_CLASS, STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE } from '../../common/uids.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg, saidOf } from '../../common/message.ts';
import {
  REQUEST_COMMITMENT_ACTION,
  readCommitmentResult,
  writeCommitmentRequest,
  writeCommitmentResult,
  type CommitmentRequest,
  type CommitmentResult,
} from '../protocol/services/commitment-info.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * The SCU side of the archive (PS3.4 A, B, C, K): echo, find, move, get and store against a remote node, each over an
 * association of the same upper layer the listener uses. Long operations take an AbortSignal, which sends C-CANCEL
 * (find, move, get) or stops between two objects (store).
 */

export interface RemoteNode {
  ae: string;
  host: string;
  port: number;
  /** Its compression code (acrnema.map's fourth column): what objects are sent to it in; as stored when absent. */
  compression?: string;
  /** Reached over DICOM TLS (TLSNodes) with these credentials. */
  tls?: TlsSettings;
  /** Our calling AE title towards it, where it is not our own (a converter's `forward ... org AE`). */
  callingAe?: string;
}

export interface ClientOptions {
  callingAe: () => string;
  associationOptions: () => AssociationOptions;
  /** Storage classes and transfer syntaxes we take (dgatesop.lst), for C-GET's storage contexts. */
  storage: () => { sopClasses: Iterable<string>; transferSyntaxes: Iterable<string> };
  events?: ArchiveEvents;
  log: SourceLogger;
  /** The codecs, to send an object in a syntax the node accepted when it is stored in another. */
  codecs: TranscodePort;
}

export interface RetrieveOutcome {
  status: number;
  completed: number;
  failed: number;
  warning: number;
  failedUids: string[];
  comment?: string;
}

export type RetrieveProgress = (counts: {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}) => void;

export class DicomOperationError extends Refusal {
  /** The DICOM status the node answered, if it did. */
  readonly status?: number;
  constructor(message: Message | string, status?: number) {
    super(502, message);
    this.name = 'DicomOperationError';
    this.status = status;
  }
}

const UNCOMPRESSED = [TransferSyntax.ExplicitLittleEndian, TransferSyntax.ImplicitLittleEndian];

/** How long a cancelled operation waits for the node's final response before the association is aborted. */
const CANCEL_GRACE_MS = 5000;

export class DicomClient {
  private readonly options: ClientOptions;
  /** Every association open to a remote node, so a stop can end them at once. */
  private readonly openAssociations = new Set<Association>();

  constructor(options: ClientOptions) {
    this.options = options;
  }

  /**
   * Connect and negotiate; the association is released by the caller (see `withAssociation`). A `signal` that aborts
   * before the association is up ends the attempt at once.
   */
  async open(
    node: RemoteNode,
    contexts: ProposedContext[],
    roles: RoleSelection[] = [],
    handler: AssociationHandler = {},
    signal?: AbortSignal,
  ): Promise<Association> {
    let assoc: Association;
    try {
      assoc = await connect(
        node.host,
        node.port,
        this.options.associationOptions(),
        handler,
        this.options.log,
        signal,
        node.tls,
      );
    } catch (err) {
      throw new DicomOperationError(
        msg('cannot connect to {ae} at {host}:{port}: {reason}', {
          ae: node.ae,
          host: node.host,
          port: String(node.port),
          reason: saidOf(err),
        }),
      );
    }
    if (this.options.events) watchAssociation(assoc, this.options.events);
    this.openAssociations.add(assoc);
    assoc.once('closed', () => this.openAssociations.delete(assoc));
    const onAbort = () => assoc.abort('cancelled while negotiating the association');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await assoc.requestAssociation(node.callingAe || this.options.callingAe(), node.ae, contexts, roles);
      if (signal?.aborted) throw new Error('cancelled');
    } catch (err) {
      assoc.abort('association not set up');
      const why = (err as Error).message;
      const refused = /rejected by/.test(why);
      throw new DicomOperationError(
        refused
          ? msg('{ae} at {host}:{port} refused the association: {why}', {
              ae: node.ae,
              host: node.host,
              port: String(node.port),
              why,
            })
          : msg('{ae} at {host}:{port} did not accept the association: {why}', {
              ae: node.ae,
              host: node.host,
              port: String(node.port),
              why: saidOf(err),
            }),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return assoc;
  }

  /** Abort every open association (the server is stopping); their operations fail at once with `why`. */
  abortAll(why: string): void {
    for (const assoc of this.openAssociations) assoc.abort(why);
  }

  /** Open, run `work` (which answers `signal` its own way: C-CANCEL, or stopping between objects), then release. */
  private async withAssociation<T>(
    node: RemoteNode,
    contexts: ProposedContext[],
    work: (assoc: Association) => Promise<T>,
    signal: AbortSignal | undefined,
    roles: RoleSelection[] = [],
    handler: AssociationHandler = {},
  ): Promise<T> {
    const assoc = await this.open(node, contexts, roles, handler, signal);
    try {
      return await work(assoc);
    } finally {
      if (assoc.isEstablished) await assoc.release().catch(() => undefined);
      else assoc.abort('operation ended');
    }
  }

  /**
   * An association with one uncompressed presentation context for `sopClass` (find, move, the N-services), `work` given
   * the accepted context; refused when the node does not accept the class.
   */
  private withContext<T>(
    node: RemoteNode,
    sopClass: string,
    work: (assoc: Association, ctx: PresentationContext) => Promise<T>,
    signal?: AbortSignal,
    roles: RoleSelection[] = [],
    handler: AssociationHandler = {},
  ): Promise<T> {
    return this.withAssociation(
      node,
      [{ id: 1, abstractSyntax: sopClass, transferSyntaxes: UNCOMPRESSED }],
      (assoc) => work(assoc, assoc.contexts.get(this.contextFor(assoc, sopClass, node))!),
      signal,
      roles,
      handler,
    );
  }

  private contextFor(assoc: Association, abstractSyntax: string, node: RemoteNode): number {
    for (const ctx of assoc.contexts.values()) if (ctx.abstractSyntax === abstractSyntax) return ctx.id;
    throw new DicomOperationError(msg('{ae} does not support {abstractSyntax}', { ae: node.ae, abstractSyntax }));
  }

  /** C-ECHO; resolves with the round trip in milliseconds (association included). */
  async echo(node: RemoteNode, signal?: AbortSignal): Promise<number> {
    const started = performance.now();
    await this.withAssociation(
      node,
      [{ id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: UNCOMPRESSED }],
      async (assoc) => {
        // Nothing to cancel on a C-ECHO: a client that gives up ends the association.
        const stop = () => assoc.abort('echo cancelled');
        if (signal?.aborted) stop();
        else signal?.addEventListener('abort', stop, { once: true });
        const rsp = await assoc.request(1, {
          commandField: CommandField.CEchoRQ,
          messageId: assoc.nextMessageId(),
          affectedSopClassUid: VERIFICATION_SOP_CLASS,
          hasDataSet: false,
        });
        if (rsp.command.status !== Status.Success)
          throw new DicomOperationError(
            msg('C-ECHO to {ae}: {value}', { ae: node.ae, value: String(formatStatus(rsp.command.status ?? -1)) }),
            rsp.command.status,
          );
      },
      signal,
    );
    return performance.now() - started;
  }

  /** C-FIND on a Query/Retrieve or worklist model; answers as data sets. */
  async find(node: RemoteNode, sopClass: string, identifier: DataSet, signal?: AbortSignal): Promise<DataSet[]> {
    return this.withContext(
      node,
      sopClass,
      async (assoc, ctx) => {
        const encoding = encodingOf(ctx.transferSyntax);
        const answers: DataSet[] = [];
        const final = await this.cancellable(
          assoc,
          ctx.id,
          { commandField: CommandField.CFindRQ, affectedSopClassUid: sopClass },
          encodeDataSet(identifier, encoding),
          (_rsp, data) => {
            if (data) answers.push(parseDataSet(data, encoding));
          },
          signal,
        );
        const status = final.status ?? -1;
        if (status !== Status.Success && status !== Status.Cancel)
          throw new DicomOperationError(
            msg('C-FIND on {ae}: {status}{value}', {
              ae: node.ae,
              status: String(formatStatus(status)),
              value: final.errorComment ? ': ' + final.errorComment : '',
            }),
            status,
          );
        return answers;
      },
      signal,
    );
  }

  /** C-MOVE: ask the node to send what the identifier names to `destinationAe` (us or a third node). */
  async move(
    node: RemoteNode,
    sopClass: string,
    identifier: DataSet,
    destinationAe: string,
    progress?: RetrieveProgress,
    signal?: AbortSignal,
  ): Promise<RetrieveOutcome> {
    return this.withContext(
      node,
      sopClass,
      async (assoc, ctx) => {
        return this.retrieve(
          assoc,
          ctx.id,
          { commandField: CommandField.CMoveRQ, affectedSopClassUid: sopClass, moveDestination: destinationAe },
          encodeDataSet(identifier, encodingOf(ctx.transferSyntax)),
          ctx.transferSyntax,
          progress,
          signal,
        );
      },
      signal,
    );
  }

  /**
   * C-GET: the node sends the objects back on this association, as C-STORE requests that `storage` answers (our
   * archive's store SCP); we propose every storage class we accept, taking the SCP role for each.
   */
  async get(
    node: RemoteNode,
    sopClass: string,
    identifier: DataSet,
    storage: AssociationHandler['onCommand'],
    progress?: RetrieveProgress,
    signal?: AbortSignal,
  ): Promise<RetrieveOutcome> {
    const { sopClasses, transferSyntaxes } = this.options.storage();
    const storageClasses = [...sopClasses].filter(isStorageClass).slice(0, 126);
    const syntaxes = [...new Set([...UNCOMPRESSED, ...transferSyntaxes])];
    const contexts: ProposedContext[] = [
      { id: 1, abstractSyntax: sopClass, transferSyntaxes: UNCOMPRESSED },
      ...storageClasses.map((c, i) => ({ id: 3 + 2 * i, abstractSyntax: c, transferSyntaxes: syntaxes })),
    ];
    const roles = storageClasses.map((c) => ({ sopClass: c, scuRole: false, scpRole: true }));
    return this.withAssociation(
      node,
      contexts,
      async (assoc) => {
        const ctx = assoc.contexts.get(this.contextFor(assoc, sopClass, node))!;
        return this.retrieve(
          assoc,
          ctx.id,
          { commandField: CommandField.CGetRQ, affectedSopClassUid: sopClass },
          encodeDataSet(identifier, encodingOf(ctx.transferSyntax)),
          ctx.transferSyntax,
          progress,
          signal,
        );
      },
      signal,
      roles,
      { onCommand: storage },
    );
  }

  /** C-STORE of local objects, as few associations as their SOP classes allow; never throws for a refused object. */
  async store(
    node: RemoteNode,
    objects: OutgoingObject[],
    onResult?: (obj: OutgoingObject, result: SendResult) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const plan = compressionPlan(node.compression ?? 'as');
    for (const group of planAssociations(objects, this.options.codecs, plan)) {
      if (signal?.aborted) return;
      await this.withAssociation(
        node,
        group.contexts,
        async (assoc) => {
          for (const { obj, prepared } of prepareAhead(assoc, group.objects, this.options.codecs, undefined, plan)) {
            if (signal?.aborted) return;
            // A refused object is a result; an association that breaks is an error (the rest are not attempted).
            const result = await sendObject(assoc, obj, this.options.codecs, { prepared }).catch((err: Error) => {
              throw new DicomOperationError(
                msg('association with {ae} ended while sending {sopInstanceUid}: {reason}', {
                  ae: node.ae,
                  sopInstanceUid: String(obj.sopInstanceUid),
                  reason: saidOf(err),
                }),
              );
            });
            onResult?.(obj, result);
            // One left out by the forward (its script or imagetype said so) did not go: nothing to report.
            if (result.outcome !== 'failed' && result.status === undefined) continue;
            this.options.events?.emit('object', {
              direction: 'sent',
              service: 'C-STORE',
              associationId: assoc.id,
              peerAe: node.ae,
              sopInstanceUid: obj.sopInstanceUid,
              sopClassUid: obj.sopClassUid,
              transferSyntaxUid: obj.transferSyntaxUid,
              size: result.size ?? 0,
              status: result.status ?? -1,
            });
          }
        },
        signal,
      );
    }
  }

  /**
   * Storage Commitment (PS3.4 J.3.2): ask the node to commit to keeping `request`'s objects. Its report may come on this
   * association: we keep it open up to `waitMs` for it, and return it; otherwise undefined (it comes later, on an
   * association the node opens to us, and reaches the archive through the commitment service). `elsewhere` settles when
   * the report has come that other way, which ends the wait.
   */
  async requestCommitment(
    node: RemoteNode,
    request: CommitmentRequest,
    wait: { ms: number; elsewhere?: Promise<unknown> },
    signal?: AbortSignal,
  ): Promise<CommitmentResult | undefined> {
    let reported: (r: CommitmentResult) => void = () => undefined;
    const report = new Promise<CommitmentResult>((resolve) => {
      reported = resolve;
    });
    const handler: AssociationHandler = {
      onMessage: (assoc, msg, data) => {
        if (msg.command.commandField !== CommandField.NEventReportRQ) return;
        let result: CommitmentResult | undefined;
        let status: number = Status.Success;
        try {
          result = readCommitmentResult(data ? parseDataSet(data, encodingOf(msg.context.transferSyntax)) : undefined);
          if (result.transactionUid !== request.transactionUid) status = Status.InvalidArgumentValue;
        } catch {
          status = Status.InvalidArgumentValue;
        }
        void assoc
          .sendMessage(msg.context.id, {
            commandField: CommandField.NEventReportRSP,
            messageIdBeingRespondedTo: msg.command.messageId,
            affectedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
            affectedSopInstanceUid: msg.command.affectedSopInstanceUid,
            eventTypeId: msg.command.eventTypeId,
            status,
            hasDataSet: false,
          })
          .catch(() => undefined);
        if (result && status === Status.Success) reported(result);
      },
    };
    return this.withContext(
      node,
      STORAGE_COMMITMENT_SOP_CLASS,
      async (assoc, ctx) => {
        const rsp = await assoc.request(
          ctx.id,
          {
            commandField: CommandField.NActionRQ,
            messageId: assoc.nextMessageId(),
            requestedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
            requestedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
            actionTypeId: REQUEST_COMMITMENT_ACTION,
            hasDataSet: true,
          },
          encodeDataSet(writeCommitmentRequest(request), encodingOf(ctx.transferSyntax)),
        );
        expectSuccess(rsp.command, `${node.ae} refused the storage commitment request:`);
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), wait.ms);
          void wait.elsewhere?.then(() => resolve(undefined));
          if (signal?.aborted) resolve(undefined);
          signal?.addEventListener('abort', () => resolve(undefined), { once: true });
          assoc.once('closed', () => resolve(undefined));
        });
        try {
          return await Promise.race([report, gaveUp]);
        } finally {
          clearTimeout(timer);
        }
      },
      signal,
      [],
      handler,
    );
  }

  /**
   * Storage Commitment (PS3.4 J.3.3): report on a node's request on an association we open to it, proposing the SCP
   * role for the class (the node, the SCU, accepts it as the note to J.3.3.1.3 says).
   */
  async reportCommitment(node: RemoteNode, result: CommitmentResult, signal?: AbortSignal): Promise<void> {
    const roles = [{ sopClass: STORAGE_COMMITMENT_SOP_CLASS, scuRole: false, scpRole: true }];
    await this.withContext(
      node,
      STORAGE_COMMITMENT_SOP_CLASS,
      (assoc, ctx) => sendCommitmentReport(assoc, ctx.id, result, node.ae),
      signal,
      roles,
    );
  }

  /** Pass an MPPS N-CREATE or N-SET on to a node (PS3.4 F.7.2); throws unless it answers success. */
  async sendMpps(
    node: RemoteNode,
    operation: 'create' | 'set',
    sopInstanceUid: string,
    step: DataSet,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.withContext(
      node,
      MPPS_SOP_CLASS,
      async (assoc, ctx) => {
        const command =
          operation === 'create'
            ? {
                commandField: CommandField.NCreateRQ,
                affectedSopClassUid: MPPS_SOP_CLASS,
                affectedSopInstanceUid: sopInstanceUid,
              }
            : {
                commandField: CommandField.NSetRQ,
                requestedSopClassUid: MPPS_SOP_CLASS,
                requestedSopInstanceUid: sopInstanceUid,
              };
        const rsp = await assoc.request(
          ctx.id,
          { ...command, messageId: assoc.nextMessageId(), hasDataSet: true },
          encodeDataSet(step, encodingOf(ctx.transferSyntax)),
        );
        expectSuccess(rsp.command, `${node.ae} answered the MPPS N-${operation.toUpperCase()} with`);
      },
      signal,
    );
  }

  private async retrieve(
    assoc: Association,
    contextId: number,
    fields: { commandField: number; affectedSopClassUid: string; moveDestination?: string },
    identifier: Buffer,
    transferSyntax: string,
    progress?: RetrieveProgress,
    signal?: AbortSignal,
  ): Promise<RetrieveOutcome> {
    let failedList: Buffer | undefined;
    const final = await this.cancellable(
      assoc,
      contextId,
      fields,
      identifier,
      (rsp) => {
        progress?.({
          remaining: rsp.remaining,
          completed: rsp.completed ?? 0,
          failed: rsp.failed ?? 0,
          warning: rsp.warning ?? 0,
        });
      },
      signal,
      (data) => {
        failedList = data;
      },
    );
    let failedUids: string[] = [];
    if (failedList) {
      const e = parseDataSet(failedList, encodingOf(transferSyntax)).get(Tag.FailedSOPInstanceUIDList);
      if (e && Buffer.isBuffer(e.value))
        failedUids = e.value
          .toString('latin1')
          .replace(/[\0 ]+$/, '')
          .split('\\')
          .filter(Boolean);
    }
    return {
      status: final.status ?? -1,
      completed: final.completed ?? 0,
      failed: final.failed ?? 0,
      warning: final.warning ?? 0,
      failedUids,
      comment: final.errorComment,
    };
  }

  /** Send a request and collect its pending responses; an abort sends C-CANCEL-RQ and waits for the final response. */
  private async cancellable(
    assoc: Association,
    contextId: number,
    fields: { commandField: number; affectedSopClassUid: string; moveDestination?: string },
    identifier: Buffer,
    onPending: (rsp: CommandSet, data: Buffer | undefined) => void,
    signal?: AbortSignal,
    onFinalData?: (data: Buffer) => void,
  ) {
    // Cancelled while the association was being set up: the request is not sent at all.
    if (signal?.aborted)
      throw new DicomOperationError(
        signal.reason ? msg('cancelled: {reason}', { reason: saidOf(signal.reason) }) : msg('cancelled by the user'),
      );
    const messageId = assoc.nextMessageId();
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => {
      void assoc
        .sendMessage(contextId, {
          commandField: CommandField.CCancelRQ,
          messageIdBeingRespondedTo: messageId,
          hasDataSet: false,
        })
        .catch(() => undefined);
      // A node that ignores the C-CANCEL must not keep the operation (and a job's slot) waiting.
      grace = setTimeout(
        () => assoc.abort(`no final response ${CANCEL_GRACE_MS / 1000} s after C-CANCEL`),
        CANCEL_GRACE_MS,
      );
      grace.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const rsp = await assoc.request(
        contextId,
        { ...fields, messageId, priority: Priority.Medium, hasDataSet: true },
        identifier,
        onPending,
      );
      if (rsp.dataSet && onFinalData) onFinalData(rsp.dataSet);
      return rsp.command;
    } catch (err) {
      throw new DicomOperationError((err as Error).message);
    } finally {
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Send an N-EVENT-REPORT with a commitment result on an open association; throws unless the SCU answers success. */
export async function sendCommitmentReport(
  assoc: Association,
  contextId: number,
  result: CommitmentResult,
  peer: string,
): Promise<void> {
  const { eventTypeId, info } = writeCommitmentResult(result);
  const ctx = assoc.contexts.get(contextId)!;
  const rsp = await assoc.request(
    contextId,
    {
      commandField: CommandField.NEventReportRQ,
      messageId: assoc.nextMessageId(),
      affectedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
      affectedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
      eventTypeId,
      hasDataSet: true,
    },
    encodeDataSet(info, encodingOf(ctx.transferSyntax)),
  );
  expectSuccess(rsp.command, `${peer} answered the storage commitment report with`);
}

/** A response other than success is an error that says `what`, the status and the node's comment. */
function expectSuccess(rsp: CommandSet, what: string): void {
  const status = rsp.status ?? -1;
  if (status !== Status.Success)
    throw new DicomOperationError(
      msg('{what} {status}{value}', {
        what,
        status: String(formatStatus(status)),
        value: rsp.errorComment ? ' (' + rsp.errorComment + ')' : '',
      }),
      status,
    );
}
