import type { Association, IncomingMessage } from '../association.ts';
import { CommandField } from '../command.ts';
import { parseDataSet } from '../../dicom/dataset.ts';
import { DimseError, Status } from '../../dicom/status.ts';
import { MPPS_SOP_CLASS, encodingOf, isValidUid, newUid } from '../../../common/uids.ts';
import type { SourceLogger } from '../../util/log.ts';
import type { DimseService } from './registry.ts';
import type { MppsPort } from './ports.ts';
import { applySet, checkCreate, statusOf } from './mpps-rules.ts';

/**
 * Modality Performed Procedure Step SCP (PS3.4 F.7): N-CREATE starts a step (the modality names its SOP Instance UID,
 * or we make one and answer it), N-SET changes it until it is COMPLETED or DISCONTINUED. The checks are mpps-rules.ts;
 * the port keeps the steps.
 */
export function mppsService(port: MppsPort, log: SourceLogger): DimseService {
  const answer = (assoc: Association, msg: IncomingMessage, uid: string) =>
    assoc.sendMessage(msg.context.id, {
      commandField: msg.command.commandField | 0x8000,
      messageIdBeingRespondedTo: msg.command.messageId,
      affectedSopClassUid: MPPS_SOP_CLASS,
      affectedSopInstanceUid: uid,
      status: Status.Success,
      hasDataSet: false,
    });
  return {
    name: 'MPPS SCP',
    sopClasses: [MPPS_SOP_CLASS],
    commands: [CommandField.NCreateRQ, CommandField.NSetRQ],
    handle: async (assoc, msg, data) => {
      const peer = assoc.callingAe;
      const ds = data ? parseDataSet(data, encodingOf(msg.context.transferSyntax)) : undefined;
      if (msg.command.commandField === CommandField.NCreateRQ) {
        const uid = msg.command.affectedSopInstanceUid || newUid();
        if (!isValidUid(uid))
          throw new DimseError(Status.InvalidArgumentValue, `Affected SOP Instance UID "${uid}" is not a UID`);
        const step = checkCreate(ds);
        await port.create(uid, step, peer);
        log.info(`${assoc.label}: ${peer} started procedure step ${uid}`);
        return answer(assoc, msg, uid);
      }
      const uid = msg.command.requestedSopInstanceUid ?? '';
      const current = uid ? await port.get(uid) : undefined;
      if (!current)
        throw new DimseError(Status.NoSuchSopInstance, `no procedure step ${uid || '(no Requested SOP Instance UID)'}`);
      const step = applySet(current, ds);
      await port.set(uid, step, ds!, peer);
      log.info(`${assoc.label}: ${peer} set procedure step ${uid} ${statusOf(step)}`);
      return answer(assoc, msg, uid);
    },
  };
}
