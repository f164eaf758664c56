import type { Association, IncomingMessage } from '../association.ts';
import type { CommandSet } from '../command.ts';
import { encodeDataSet, type DataSet } from '../../dicom/dataset.ts';
import { encodingOf } from '../../../common/uids.ts';

type ResponseFields = Omit<CommandSet, 'commandField' | 'hasDataSet' | 'messageIdBeingRespondedTo'>;

/** A response to `msg`, its identifier (if any) encoded in the context's transfer syntax. */
export function response(
  msg: IncomingMessage,
  fields: ResponseFields,
  identifier?: DataSet | Buffer,
): { command: CommandSet; dataSet?: Buffer } {
  const command: CommandSet = {
    commandField: msg.command.commandField | 0x8000,
    messageIdBeingRespondedTo: msg.command.messageId,
    affectedSopClassUid: msg.command.affectedSopClassUid ?? msg.context.abstractSyntax,
    ...fields,
    hasDataSet: identifier !== undefined,
  };
  const dataSet =
    identifier === undefined || Buffer.isBuffer(identifier)
      ? identifier
      : encodeDataSet(identifier, encodingOf(msg.context.transferSyntax));
  return { command, dataSet };
}

/** Send a response to `msg` on its context. */
export function respond(
  assoc: Association,
  msg: IncomingMessage,
  fields: ResponseFields,
  identifier?: DataSet,
): Promise<void> {
  const { command, dataSet } = response(msg, fields, identifier);
  return assoc.sendMessage(msg.context.id, command, dataSet);
}

/** Let the event loop read the socket (a C-CANCEL may be waiting) before the next burst of responses. */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
