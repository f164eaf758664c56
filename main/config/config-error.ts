import { SaidError, english, msg, verbatim, type Message } from '../../common/message.ts';

/** A configuration problem, always with the file, the line and the reason (a message the UI says in its language). */
export class ConfigError extends SaidError {
  readonly file: string;
  readonly line: number;
  /** The reason in English. */
  readonly reason: string;
  constructor(file: string, line: number, reason: Message | string) {
    super(
      msg('{file}:{line}: {reason}', {
        file,
        line: String(line),
        reason: typeof reason === 'string' ? verbatim(reason) : reason,
      }),
    );
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.reason = typeof reason === 'string' ? reason : english(reason);
  }

  /** The reason alone, as a message. */
  get reasonSaid(): Message {
    return (this.said.params?.reason as Message | undefined) ?? verbatim(this.reason);
  }
}

/** Several problems found in one pass, so the admin sees them all at once. */
export class ConfigErrors extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

/** A start's report of a converter it leaves out (a line this version refuses), with why: the others run. */
export type SkippedConverter = (key: string, errors: ConfigError[]) => void;
