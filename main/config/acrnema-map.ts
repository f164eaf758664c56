import { parseCompressionCode } from '../../common/compression-code.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';
import { aeTitleProblem, aeMatches } from './ae-title.ts';
import { msg, type Message } from '../../common/message.ts';

/** One remote DICOM node: `AE  host  port  compression` (Conquest's acrnema.map). */
export interface DicomNode {
  ae: string;
  host: string;
  port: number;
  compression: string;
  line: number;
}

interface MapLine {
  raw: string;
  node?: DicomNode;
}

/** The node list, kept line by line so the header and comments survive a rewrite. */
export class AcrNemaMap {
  readonly file: string;
  /** The file's line ending, kept when it is written back (a file edited in Windows' Notepad keeps CRLF). */
  private readonly eol: '\r\n' | '\n';
  private readonly lines: MapLine[];

  constructor(file: string, text: string) {
    this.file = file;
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.lines = [];
    const errors: ConfigError[] = [];
    let inBlockComment = false;
    text.split(/\r?\n/).forEach((raw, i) => {
      const lineNo = i + 1;
      let content = raw;
      if (inBlockComment) {
        const end = content.indexOf('*/');
        if (end < 0) {
          this.lines.push({ raw });
          return;
        }
        inBlockComment = false;
        content = content.slice(end + 2);
      }
      content = content.replace(/\/\*.*?\*\//g, '');
      const open = content.indexOf('/*');
      if (open >= 0) {
        inBlockComment = true;
        content = content.slice(0, open);
      }
      content = content.replace(/(#|\/\/).*$/, '').trim();
      if (!content) {
        this.lines.push({ raw });
        return;
      }
      const fields = content.split(/\s+/);
      const problem = nodeProblem(fields);
      if (problem) {
        errors.push(new ConfigError(file, lineNo, problem));
        this.lines.push({ raw });
        return;
      }
      this.lines.push({
        raw,
        node: {
          ae: fields[0]!,
          host: fields[1]!,
          port: Number(fields[2]),
          compression: fields[3] ?? 'un',
          line: lineNo,
        },
      });
    });
    if (this.lines.length > 1 && this.lines[this.lines.length - 1]!.raw === '') this.lines.pop();
    if (errors.length) throw new ConfigErrors(errors);
  }

  get nodes(): DicomNode[] {
    return this.lines.flatMap((l) => (l.node ? [l.node] : []));
  }

  /** The first node whose AE pattern matches, as Conquest looks nodes up. */
  find(ae: string): DicomNode | undefined {
    return this.nodes.find((n) => aeMatches(n.ae, ae));
  }

  /** Add or replace (by exact AE title) a node; throws a ConfigError if it is not valid. */
  upsert(node: Omit<DicomNode, 'line'>): void {
    const problem = nodeProblem([node.ae, node.host, String(node.port), node.compression]);
    if (problem) throw new ConfigError(this.file, 0, problem);
    const raw = `${node.ae.padEnd(17)} ${node.host.padEnd(16)} ${String(node.port).padEnd(6)} ${node.compression}`;
    const at = this.lines.findIndex((l) => l.node?.ae === node.ae);
    const entry = { raw, node: { ...node, line: 0 } };
    if (at >= 0) this.lines[at] = entry;
    else this.lines.push(entry);
    this.renumber();
  }

  remove(ae: string): boolean {
    const at = this.lines.findIndex((l) => l.node?.ae === ae);
    if (at < 0) return false;
    this.lines.splice(at, 1);
    this.renumber();
    return true;
  }

  toString(): string {
    return this.lines.map((l) => l.raw).join(this.eol) + this.eol;
  }

  private renumber(): void {
    this.lines.forEach((l, i) => {
      if (l.node) l.node.line = i + 1;
    });
  }
}

function nodeProblem(fields: string[]): Message | undefined {
  if (fields.length < 3 || fields.length > 4)
    return msg('expected "AE host port [compression]", found {n, plural, one {# field} other {# fields}}', {
      n: fields.length,
    });
  const aeProblem = aeTitleProblem(fields[0]!, true);
  if (aeProblem) return aeProblem;
  if (!/^[A-Za-z0-9.\-:_*]+$/.test(fields[1]!))
    return msg('host "{host}" is not a host name or address', { host: fields[1]! });
  const port = Number(fields[2]);
  if (!/^\d+$/.test(fields[2]!) || port < 1 || port > 65535)
    return msg('port "{port}" is not a number from 1 to 65535', { port: fields[2]! });
  if (fields[3] !== undefined) {
    const plan = parseCompressionCode(fields[3]);
    if ('error' in plan) return msg('compression {reason}', { reason: plan.error });
  }
  return undefined;
}
