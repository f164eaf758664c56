import type { Association, IncomingMessage } from '../association.ts';
import { CommandField } from '../command.ts';
import { parseDataSet } from '../../dicom/dataset.ts';
import { DimseError, Status } from '../../dicom/status.ts';
import { STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE, encodingOf } from '../../../common/uids.ts';
import type { SourceLogger } from '../../util/log.ts';
import type { DimseService } from './registry.ts';
import type { CommitmentPort } from './ports.ts';
import {
  CommitmentEvent,
  REQUEST_COMMITMENT_ACTION,
  readCommitmentRequest,
  readCommitmentResult,
} from './commitment-info.ts';

/**
 * Storage Commitment Push Model (PS3.4 J.3): as SCP, an N-ACTION asks us to commit to keeping objects; we answer at once
 * that the request is taken (kept by the port until reported) and report later with an N-EVENT-REPORT. As SCU, a node
 * reports on a request of ours with an N-EVENT-REPORT, on the association of the request or on one it opens to us.
 */
export function commitmentServices(port: CommitmentPort, log: SourceLogger): DimseService[] {
  const requests: DimseService = {
    name: 'Storage Commitment SCP',
    sopClasses: [STORAGE_COMMITMENT_SOP_CLASS],
    commands: [CommandField.NActionRQ],
    handle: async (assoc: Association, msg: IncomingMessage, data: Buffer | undefined) => {
      const c = msg.command;
      if (c.requestedSopInstanceUid !== STORAGE_COMMITMENT_SOP_INSTANCE) {
        throw new DimseError(
          Status.NoSuchSopInstance,
          `Requested SOP Instance ${c.requestedSopInstanceUid ?? '(none)'} is not ${STORAGE_COMMITMENT_SOP_INSTANCE}`,
        );
      }
      if (c.actionTypeId !== REQUEST_COMMITMENT_ACTION)
        throw new DimseError(Status.NoSuchActionType, `Action Type ID ${c.actionTypeId ?? '(none)'} is not 1`);
      const request = readCommitmentRequest(
        data ? parseDataSet(data, encodingOf(msg.context.transferSyntax)) : undefined,
      );
      let answered!: () => void;
      const sent = new Promise<void>((resolve) => {
        answered = resolve;
      });
      await port.requested(request, { assoc, contextId: msg.context.id }, sent);
      log.info(
        `${assoc.label}: ${assoc.callingAe} asks for commitment of ${request.references.length} object(s), transaction ${request.transactionUid}`,
      );
      try {
        await assoc.sendMessage(msg.context.id, {
          commandField: CommandField.NActionRSP,
          messageIdBeingRespondedTo: c.messageId,
          affectedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
          affectedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
          actionTypeId: REQUEST_COMMITMENT_ACTION,
          status: Status.Success,
          hasDataSet: false,
        });
      } finally {
        answered();
      }
    },
  };
  const reports: DimseService = {
    name: 'Storage Commitment SCU',
    sopClasses: [STORAGE_COMMITMENT_SOP_CLASS],
    commands: [CommandField.NEventReportRQ],
    handle: async (assoc: Association, msg: IncomingMessage, data: Buffer | undefined) => {
      const c = msg.command;
      if (c.eventTypeId !== CommitmentEvent.Success && c.eventTypeId !== CommitmentEvent.FailuresExist) {
        throw new DimseError(Status.NoSuchEventType, `Event Type ID ${c.eventTypeId ?? '(none)'} is not 1 or 2`);
      }
      const result = readCommitmentResult(
        data ? parseDataSet(data, encodingOf(msg.context.transferSyntax)) : undefined,
      );
      const peer = assoc.role === 'acceptor' ? assoc.callingAe : assoc.calledAe;
      if (!(await port.reported(result, peer)))
        throw new DimseError(
          Status.InvalidArgumentValue,
          `no request of ours has Transaction UID ${result.transactionUid}`,
        );
      await assoc.sendMessage(msg.context.id, {
        commandField: CommandField.NEventReportRSP,
        messageIdBeingRespondedTo: c.messageId,
        affectedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
        affectedSopInstanceUid: c.affectedSopInstanceUid ?? STORAGE_COMMITMENT_SOP_INSTANCE,
        eventTypeId: c.eventTypeId,
        status: Status.Success,
        hasDataSet: false,
      });
    },
  };
  return [requests, reports];
}
