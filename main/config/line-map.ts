import { ConfigError, ConfigErrors } from './config-error.ts';
import { isMessage, type Message } from '../../common/message.ts';

/**
 * A small configuration file of one entry a line (dicomweb.map, noderights.map), kept line by line so that comments,
 * blank lines and order survive a rewrite. `#` starts a comment; each other line is read by `parse` into an entry or
 * the reason it is wrong (all wrong lines are reported at once, with their numbers).
 */
export class LineMap<T extends { line: number }> {
  readonly file: string;
  /** The file's line ending, kept when it is written back (a file edited in Windows' Notepad keeps CRLF). */
  private readonly eol: '\r\n' | '\n';
  private readonly lines: { raw: string; entry?: T }[] = [];

  constructor(file: string, text: string, parse: (fields: string[], line: number) => T | Message | string) {
    this.file = file;
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    const errors: ConfigError[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const content = raw.replace(/#.*$/, '').trim();
      if (!content) {
        this.lines.push({ raw });
        return;
      }
      const parsed = parse(content.split(/\s+/), i + 1);
      if (typeof parsed === 'string' || isMessage(parsed)) {
        errors.push(new ConfigError(file, i + 1, parsed));
        this.lines.push({ raw });
        return;
      }
      this.lines.push({ raw, entry: parsed });
    });
    if (this.lines.length && this.lines[this.lines.length - 1]!.raw === '') this.lines.pop();
    if (errors.length) throw new ConfigErrors(errors);
  }

  get entries(): T[] {
    return this.lines.flatMap((l) => (l.entry ? [l.entry] : []));
  }

  /** Replace the first entry `same` picks (in its place), or add at the end; `raw` is the line written for it. */
  set(same: (entry: T) => boolean, entry: T, raw: string): void {
    const at = this.lines.findIndex((l) => l.entry && same(l.entry));
    if (at >= 0) this.lines[at] = { raw, entry };
    else this.lines.push({ raw, entry });
    this.renumber();
  }

  /** Remove the first entry `same` picks; whether there was one. */
  remove(same: (entry: T) => boolean): boolean {
    const at = this.lines.findIndex((l) => l.entry && same(l.entry));
    if (at < 0) return false;
    this.lines.splice(at, 1);
    this.renumber();
    return true;
  }

  private renumber(): void {
    this.lines.forEach((l, i) => {
      if (l.entry) l.entry.line = i + 1;
    });
  }

  toString(): string {
    return this.lines.map((l) => l.raw).join(this.eol) + this.eol;
  }
}
