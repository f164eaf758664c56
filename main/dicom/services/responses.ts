import type { Association, IncomingMessage } from '../association.ts';
import type { CommandSet } from '../command.ts';
import { encodeDataSet, type DataSet } from '../dataset.ts';
import { encodingOf } from '../uids.ts';

/** Send a response to `msg` on its context; the identifier, if any, is encoded in the context's transfer syntax. */
export function respond(assoc: Association, msg: IncomingMessage, fields: Omit<CommandSet, 'commandField' | 'hasDataSet' | 'messageIdBeingRespondedTo'>, identifier?: DataSet): Promise<void> {
  const command: CommandSet = {
    commandField: msg.command.commandField | 0x8000,
    messageIdBeingRespondedTo: msg.command.messageId,
    affectedSopClassUid: msg.command.affectedSopClassUid ?? msg.context.abstractSyntax,
    ...fields,
    hasDataSet: identifier !== undefined,
  };
  return assoc.sendMessage(msg.context.id, command, identifier ? encodeDataSet(identifier, encodingOf(msg.context.transferSyntax)) : undefined);
}

/** Let the event loop read the socket (a C-CANCEL may be waiting) before the next burst of responses. */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
