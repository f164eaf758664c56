/**
 * A Conquest-style ini file kept line by line, so that saving it changes only the values that were set: comments,
 * blank lines, unknown keys, key spelling and alignment stay as the admin wrote them. Pure text in and out: the core
 * reads and writes dicom.ini with it, and the settings screen edits the same text with it, so both read a line alike
 * (`MyACRNema = PACSWS   # our AE` is PACSWS for both).
 */

export interface IniLine {
  raw: string;
  section?: string;
  key?: string;
  value?: string;
}

export class IniDocument {
  readonly file: string;
  /** The file's line ending, kept when it is written back (a file edited in Windows' Notepad keeps CRLF). */
  private readonly eol: '\r\n' | '\n';
  readonly lines: IniLine[];

  constructor(file: string, text: string) {
    this.file = file;
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.lines = [];
    let section = '';
    for (const raw of text.split(/\r?\n/)) {
      const trimmed = raw.trim();
      const header = /^\[([^\]]+)\]/.exec(trimmed);
      if (header) {
        section = header[1]!.trim();
        this.lines.push({ raw, section });
        continue;
      }
      const eq = raw.indexOf('=');
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';') || trimmed.startsWith('//') || eq < 0) {
        this.lines.push({ raw });
        continue;
      }
      const key = raw.slice(0, eq).trim();
      const after = raw.slice(eq + 1);
      this.lines.push({ raw, section, key, value: (isScript(section, key) ? after : stripComment(after)).trim() });
    }
    if (this.lines.length > 1 && this.lines[this.lines.length - 1]!.raw === '') this.lines.pop();
  }

  /** Entries of a section, with their 1-based line numbers; keys compare case-insensitively, as Conquest does. */
  entries(section: string): { key: string; value: string; line: number }[] {
    const out: { key: string; value: string; line: number }[] = [];
    this.lines.forEach((l, i) => {
      if (l.key !== undefined && sameKey(l.section ?? '', section))
        out.push({ key: l.key, value: l.value ?? '', line: i + 1 });
    });
    return out;
  }

  get(section: string, key: string): { value: string; line: number } | undefined {
    const all = this.entries(section).filter((e) => sameKey(e.key, key));
    return all[all.length - 1];
  }

  /** Change a value in place (keeping the key's spelling and the alignment of '='), or append it to the section. */
  set(section: string, key: string, value: string): void {
    const index = this.lines.findLastIndex(
      (l) => l.key !== undefined && sameKey(l.section ?? '', section) && sameKey(l.key, key),
    );
    if (index >= 0) {
      const line = this.lines[index]!;
      const eq = line.raw.indexOf('=');
      const after = line.raw.slice(eq + 1);
      const gap = /^\s*/.exec(after)![0];
      const comment = isScript(line.section ?? '', line.key!) ? '' : trailingComment(after);
      line.raw = `${line.raw.slice(0, eq + 1)}${gap || ' '}${value}${comment ? ' ' + comment : ''}`;
      line.value = value;
      return;
    }
    let sectionEnd = -1;
    let inSection = false;
    this.lines.forEach((l, i) => {
      if (l.section !== undefined && l.key === undefined) inSection = sameKey(l.section, section);
      if (inSection && l.raw.trim() !== '') sectionEnd = i;
    });
    const entry = { raw: `${key.padEnd(24)} = ${value}`, section, key, value };
    if (sectionEnd < 0) {
      this.lines.push({ raw: `[${section}]`, section }, entry);
    } else {
      this.lines.splice(sectionEnd + 1, 0, entry);
    }
  }

  /** Take a key's line(s) out of a section (nothing when it is not there). */
  remove(section: string, key: string): void {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.key !== undefined && sameKey(l.section ?? '', section) && sameKey(l.key, key)) this.lines.splice(i, 1);
    }
  }

  toString(): string {
    return this.lines.map((l) => l.raw).join(this.eol) + this.eol;
  }
}

function sameKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Converter lines and scripts are taken whole, as Conquest does with every value (it knows no trailing comments):
 * `lua "n = #t"` and `nop ; destroy` are code, not a value and a comment.
 */
function isScript(section: string, key: string): boolean {
  return /converter\d*$/i.test(key) || /^(lua|scripts)$/i.test(section);
}

/** A value may be followed by a `#` comment only after whitespace, so `#` inside values (paths) is kept. */
function stripComment(value: string): string {
  const m = /\s[#;]/.exec(value);
  return m ? value.slice(0, m.index) : value;
}

function trailingComment(value: string): string {
  const m = /\s([#;].*)$/.exec(value);
  return m ? m[1]! : '';
}
