import { english, type Message } from '../../common/message.ts';

/**
 * Something the archive will not do, and why, in words for people (common/message.ts): the API answers it with its
 * HTTP status and the message, which the UI says in the user's language. Every refusal the API can meet is one of
 * these, so one line maps them all to a status (no chain of instanceof).
 */
export class Refusal extends Error {
  readonly httpStatus: number;
  readonly said: Message;
  constructor(httpStatus: number, said: Message | string) {
    // A plain string is already the sentence (it may hold names or values with braces): only a message is formatted.
    super(typeof said === 'string' ? said : english(said));
    this.httpStatus = httpStatus;
    this.said = typeof said === 'string' ? { text: said } : said;
  }
}
