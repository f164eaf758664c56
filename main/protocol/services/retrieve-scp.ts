import type { Association, AssociationOptions, IncomingMessage } from '../association.ts';
import { connect } from '../network.ts';
import { CommandField } from '../command.ts';
import type { DataSet } from '../../dicom/dataset.ts';
import { DimseError, Status, formatStatus } from '../../dicom/status.ts';
import { QrSopClass, qrModelOf } from '../../../common/uids.ts';
import { UNIQUE_KEYS } from '../../query/attributes.ts';
import { IdentifierError, qrRequestFrom } from '../../query/identifier.ts';
import type { SourceLogger } from '../../util/log.ts';
import { parseIdentifier } from './find-scp.ts';
import type { IdentifierChecks } from './identifier-checks.ts';
import type { RunningOperation, RunningOperations } from './operations.ts';
import type { DestinationPort, RetrievePort, RetrieveUpstreams } from './ports.ts';
import type { DimseService } from './registry.ts';
import { respond } from './responses.ts';
import {
  planAssociations,
  prepareAhead,
  sendObject,
  type OutgoingObject,
  type SendResult,
  type TranscodePort,
} from './store-scu.ts';
import { SubOperations } from './sub-operations.ts';
import { Tag } from '../../dicom/tags.ts';

/** Pending responses go out at most this often (and after the first sub-operation), so a fast move is not slowed. */
const PENDING_INTERVAL_MS = 100;

export interface RetrieveDependencies {
  objects: RetrievePort;
  destination: DestinationPort;
  aeTitle: () => string;
  subAssociationOptions: () => AssociationOptions;
  operations: RunningOperations;
  log: SourceLogger;
  /** The codecs, to send an object in a syntax the peer accepted when it is stored in another. */
  codecs: TranscodePort;
  /** Told of each C-MOVE sub-association as it opens, and of each object sent, on it or back over a C-GET's own. */
  observer?: {
    association(sub: Association): void;
    sent(via: Association, obj: OutgoingObject, result: SendResult): void;
  };
  /** RetrieveConverter0 (identifier-checks.ts). */
  checks?: IdentifierChecks;
}

/** Sends the objects of one retrieve and records each sub-operation's outcome. */
type Perform = (
  objects: OutgoingObject[],
  op: RunningOperation,
  progress: (obj: OutgoingObject, result: SendResult) => Promise<void>,
) => Promise<void>;

/**
 * C-MOVE (PS3.4 C.4.2) and C-GET (PS3.4 C.4.3) SCP: the matching objects are sent as C-STORE sub-operations, to the
 * move destination over a new association, or back over the requester's own association for C-GET. Pending responses
 * carry the counts; the final one lists the failed SOP instances; a C-CANCEL stops between two sub-operations.
 */
export class RetrieveScp {
  private readonly deps: RetrieveDependencies;
  /** Virtual servers: what only upstream nodes hold is fetched and passed on too (set by their feature). */
  upstreams?: RetrieveUpstreams;
  /** The two services, for the registry: C-MOVE on the MOVE classes, C-GET on the GET classes. */
  readonly move: DimseService = {
    name: 'C-MOVE SCP',
    sopClasses: [QrSopClass.PatientRootMove, QrSopClass.StudyRootMove],
    commands: [CommandField.CMoveRQ],
    handle: (assoc, msg, data) => this.handleMove(assoc, msg, data),
  };
  readonly get: DimseService = {
    name: 'C-GET SCP',
    sopClasses: [QrSopClass.PatientRootGet, QrSopClass.StudyRootGet],
    commands: [CommandField.CGetRQ],
    handle: (assoc, msg, data) => this.handleGet(assoc, msg, data),
  };

  constructor(deps: RetrieveDependencies) {
    this.deps = deps;
  }

  async handleMove(assoc: Association, msg: IncomingMessage, data: Buffer | undefined): Promise<void> {
    await this.run('C-MOVE', assoc, msg, data, async (objects, op, progress) => {
      const ae = msg.command.moveDestination ?? '';
      if (ae.toUpperCase() === this.deps.aeTitle().toUpperCase()) {
        // To this archive itself: what is here is where it is asked to be; what an upstream holds is fetched here.
        this.deps.destination(ae, assoc); // noderights.map still decides who may (it throws when not)
        for (const obj of objects) {
          if (op.cancelled) return;
          await progress(
            obj,
            await (obj.arrival?.() ?? Promise.resolve()).then(
              (): SendResult => ({ outcome: 'completed', reason: 'here' }),
              (err: Error): SendResult => ({ outcome: 'failed', reason: err.message }),
            ),
          );
        }
        return;
      }
      const dest = this.deps.destination(ae, assoc);
      if (!dest) throw new DimseError(Status.MoveDestinationUnknown, `move destination "${ae}" is not in acrnema.map`);
      const origin = { ae: assoc.callingAe, messageId: msg.command.messageId ?? 0 };
      for (const group of planAssociations(objects, this.deps.codecs, dest.compression)) {
        if (op.cancelled) return;
        let sub: Association;
        try {
          sub = await connect(
            dest.host,
            dest.port,
            this.deps.subAssociationOptions(),
            {},
            this.deps.log,
            undefined,
            dest.tls,
          );
          this.deps.observer?.association(sub);
          await sub.requestAssociation(this.deps.aeTitle(), ae, group.contexts);
        } catch (err) {
          const reason = `cannot open an association to ${ae} at ${dest.host}:${dest.port}: ${(err as Error).message}`;
          this.deps.log.warn(`${assoc.label}: C-MOVE: ${reason}`);
          for (const obj of group.objects) await progress(obj, { outcome: 'failed', reason });
          continue;
        }
        try {
          for (const { obj, prepared } of prepareAhead(
            sub,
            group.objects,
            this.deps.codecs,
            undefined,
            dest.compression,
          )) {
            if (op.cancelled) break;
            await progress(obj, await this.sendOrFail(sub, obj, { moveOriginator: origin, prepared }));
          }
        } finally {
          await sub.release().catch(() => undefined);
        }
      }
    });
  }

  async handleGet(assoc: Association, msg: IncomingMessage, data: Buffer | undefined): Promise<void> {
    // Only classes for which the requester took the SCP role may be sent back to it (PS3.4 C.4.3.1, PS3.7 D.3.3.4).
    const asScp = new Set(assoc.roles.filter((r) => r.scpRole).map((r) => r.sopClass));
    await this.run('C-GET', assoc, msg, data, async (objects, op, progress) => {
      const usable = (ctx: { abstractSyntax: string }) => asScp.has(ctx.abstractSyntax);
      for (const { obj, prepared } of prepareAhead(assoc, objects, this.deps.codecs, usable)) {
        if (op.cancelled) return;
        await progress(obj, await this.sendOrFail(assoc, obj, { usable, prepared }));
      }
    });
  }

  private async run(
    what: string,
    assoc: Association,
    msg: IncomingMessage,
    data: Buffer | undefined,
    perform: Perform,
  ): Promise<void> {
    const started = performance.now();
    const op = this.deps.operations.begin(assoc, msg.command.messageId ?? 0);
    let subOps = new SubOperations([]);
    let refused: number | undefined;
    let comment: string | undefined;
    let lastPending = 0;
    const progress = async (obj: OutgoingObject, result: SendResult) => {
      subOps.record(obj, result.outcome);
      if (result.outcome === 'failed')
        this.deps.log.warn(`${assoc.label}: ${what} sub-operation ${obj.sopInstanceUid} failed: ${result.reason}`);
      const now = performance.now();
      if (subOps.remaining > 0 && (lastPending === 0 || now - lastPending >= PENDING_INTERVAL_MS)) {
        lastPending = now;
        await respond(assoc, msg, { status: Status.Pending, ...subOps.pending() });
      }
    };
    try {
      subOps = new SubOperations(await this.objectsFor(assoc, msg, data));
      await perform(subOps.objects, op, progress);
    } catch (err) {
      if (err instanceof DimseError) {
        refused = err.status;
        comment = err.message;
      } else {
        refused = Status.OutOfResources;
        comment = (err as Error).message;
        this.deps.log.error(`${assoc.label}: ${what} failed: ${(err as Error).stack}`);
      }
    } finally {
      this.deps.operations.end(assoc, op);
      this.upstreams?.ended(subOps.objects);
    }
    const { status, counts, failedUids } = subOps.final(op.cancelled && refused === undefined, refused);
    const identifier: DataSet | undefined = failedUids.length
      ? new Map([
          [
            Tag.FailedSOPInstanceUIDList,
            { tag: Tag.FailedSOPInstanceUIDList, vr: 'UI', value: Buffer.from(failedUids.join('\\'), 'latin1') },
          ],
        ])
      : undefined;
    const line = `${assoc.label}: ${what} of ${subOps.objects.length} object(s)${msg.command.moveDestination ? ' to ' + msg.command.moveDestination : ''}: ${counts.completed} completed, ${counts.warning} warning, ${counts.failed} failed -> ${formatStatus(status)}${comment ? ': ' + comment : ''} in ${(performance.now() - started).toFixed(0)} ms`;
    if (status === Status.Success) this.deps.log.info(line);
    else this.deps.log.warn(line);
    await respond(assoc, msg, { status, errorComment: comment?.slice(0, 64), ...counts }, identifier).catch((err) =>
      this.deps.log.warn(`${assoc.label}: ${what} final response not sent: ${(err as Error).message}`),
    );
  }

  /** A sub-operation whose association fails mid-way counts as failed, with the reason. */
  private async sendOrFail(
    via: Association,
    obj: OutgoingObject,
    options: Parameters<typeof sendObject>[3],
  ): Promise<SendResult> {
    let result: SendResult;
    try {
      result = await sendObject(via, obj, this.deps.codecs, options);
    } catch (err) {
      result = { outcome: 'failed', reason: (err as Error).message };
    }
    this.deps.observer?.sent(via, obj, result);
    return result;
  }

  /** The stored objects the identifier names; its level's unique key must be given (PS3.4 C.4.2.2.1). */
  private async objectsFor(
    assoc: Association,
    msg: IncomingMessage,
    data: Buffer | undefined,
  ): Promise<OutgoingObject[]> {
    const sopClass = msg.command.affectedSopClassUid ?? msg.context.abstractSyntax;
    const model = qrModelOf(sopClass);
    if (!model) throw new IdentifierError(Status.SopClassNotSupported, `retrieve on ${sopClass} is not supported`);
    if (!data) throw new IdentifierError(Status.IdentifierDoesNotMatchSopClass, 'request has no identifier');
    const parsed = parseIdentifier(data, msg.context.transferSyntax);
    const asked = {
      kind: 'retrieve' as const,
      identifier: parsed,
      callingAe: assoc.callingAe,
      calledAe: assoc.calledAe,
      moveDestination: msg.command.moveDestination ?? '',
      sopClassUid: sopClass,
      commandField: msg.command.commandField,
    };
    const identifier = this.deps.checks ? await this.deps.checks.run(asked) : parsed;
    if (!identifier)
      throw new IdentifierError(Status.UnableToProcess, 'refused by a retrieve converter of this archive');
    const request = qrRequestFrom(identifier, model);
    const uniqueKey = UNIQUE_KEYS[request.level];
    const given = request.conditions.find((c) => c.attr.tag === uniqueKey);
    if (!given || (given.match.kind !== 'single' && given.match.kind !== 'list')) {
      throw new IdentifierError(
        Status.IdentifierDoesNotMatchSopClass,
        `a retrieve at ${['PATIENT', 'STUDY', 'SERIES', 'IMAGE'][request.level]} level needs its unique key (${uniqueKey.toString(16).padStart(8, '0')}) as a value or list`,
      );
    }
    const local = await this.deps.objects.objectsFor(request);
    const objects = this.upstreams ? await this.upstreams.extend(request, local, assoc.callingAe) : local;
    return this.deps.checks ? this.deps.checks.objects({ ...asked, identifier }, objects) : objects;
  }
}
