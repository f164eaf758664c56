import type { Association, IncomingMessage } from '../association.ts';
import { CommandField } from '../command.ts';
import { Status } from '../status.ts';

/** Verification SCP (PS3.4 Annex A): every C-ECHO-RQ gets a success response. */
export function answerEcho(assoc: Association, msg: IncomingMessage): Promise<void> {
  return assoc.sendMessage(msg.context.id, {
    commandField: CommandField.CEchoRSP,
    messageIdBeingRespondedTo: msg.command.messageId,
    affectedSopClassUid: msg.command.affectedSopClassUid ?? msg.context.abstractSyntax,
    status: Status.Success,
    hasDataSet: false,
  });
}
