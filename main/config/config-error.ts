/** A configuration problem, always with the file, the line and the reason. */
export class ConfigError extends Error {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.reason = reason;
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
