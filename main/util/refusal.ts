import { SaidError, type Message } from '../../common/message.ts';

/**
 * Something the archive will not do, and why, in words for people (common/message.ts): the API answers it with its
 * HTTP status and the message, which the UI says in the user's language. Every refusal the API can meet is one of
 * these, so one line maps them all to a status (no chain of instanceof).
 */
export class Refusal extends SaidError {
  readonly httpStatus: number;
  constructor(httpStatus: number, said: Message | string) {
    super(said);
    this.httpStatus = httpStatus;
  }
}
