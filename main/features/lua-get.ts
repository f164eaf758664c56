import type { Association, IncomingMessage } from '../protocol/association.ts';
import { CommandField } from '../protocol/command.ts';
import { Status } from '../dicom/status.ts';
import { encodingOf } from '../../common/uids.ts';
import { parseDataSet, type DataSet } from '../dicom/dataset.ts';

/** What one dicomget keeps (in memory, and handed to the script's thread): more is refused (Out of Resources). */
export const MAX_GET_OBJECTS = 1000;
export const MAX_GET_BYTES = 256 << 20;

/** A retrieve's final status that says it failed (0xAxxx refused, 0xCxxx unable to process). */
export function refusedOrFailed(status: number): boolean {
  return (status & 0xf000) === 0xa000 || (status & 0xf000) === 0xc000;
}

/**
 * The objects a C-GET of dicomget brings back, kept in memory (never stored): each C-STORE on the association is
 * answered once its data set is whole and read; past the limits, with Out of Resources.
 */
export function gotObjects() {
  const objects: DataSet[] = [];
  let bytes = 0;
  const out = {
    objects,
    refused: false,
    storage: (assoc: Association, m: IncomingMessage) => {
      if (m.command.commandField !== CommandField.CStoreRQ) return;
      const chunks: Uint8Array[] = [];
      const answer = (status: number, comment?: string) =>
        assoc
          .sendMessage(m.context.id, {
            commandField: CommandField.CStoreRSP,
            messageIdBeingRespondedTo: m.command.messageId,
            affectedSopClassUid: m.command.affectedSopClassUid,
            affectedSopInstanceUid: m.command.affectedSopInstanceUid,
            status,
            errorComment: comment,
            hasDataSet: false,
          })
          .catch(() => undefined);
      m.dataSink = {
        write: (chunk) => {
          bytes += chunk.length;
          if (bytes <= MAX_GET_BYTES) chunks.push(chunk);
          return true;
        },
        drained: async () => undefined,
        abort: () => undefined,
        end: () => {
          if (bytes > MAX_GET_BYTES || objects.length >= MAX_GET_OBJECTS) {
            out.refused = true;
            void answer(Status.OutOfResources, 'more than a script keeps');
            return;
          }
          try {
            objects.push(parseDataSet(Buffer.concat(chunks), encodingOf(m.context.transferSyntax)));
            void answer(Status.Success);
          } catch (err) {
            void answer(Status.CannotUnderstand, (err as Error).message.slice(0, 64));
          }
        },
      };
    },
  };
  return out;
}
