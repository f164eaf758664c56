import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';

/** A listener restart that could not listen on dicom.ini's new values: the listener is back as it was, and says why. */
export class ListenerNotMoved extends Refusal {
  constructor(said: Message | string) {
    super(409, said);
  }
}
