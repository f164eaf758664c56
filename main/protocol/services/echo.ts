import type { Association, IncomingMessage } from '../association.ts';
import { CommandField } from '../command.ts';
import { Status } from '../../dicom/status.ts';
import { VERIFICATION_SOP_CLASS } from '../../../common/uids.ts';
import type { DimseService } from './registry.ts';

/** Verification SCP (PS3.4 Annex A): every C-ECHO-RQ gets a success response. */
export const verificationService: DimseService = {
  name: 'Verification SCP',
  sopClasses: [VERIFICATION_SOP_CLASS],
  commands: [CommandField.CEchoRQ],
  handle: (assoc: Association, msg: IncomingMessage) =>
    assoc.sendMessage(msg.context.id, {
      commandField: CommandField.CEchoRSP,
      messageIdBeingRespondedTo: msg.command.messageId,
      affectedSopClassUid: msg.command.affectedSopClassUid ?? msg.context.abstractSyntax,
      status: Status.Success,
      hasDataSet: false,
    }),
};
