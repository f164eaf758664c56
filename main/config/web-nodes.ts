import { ConfigError, ConfigErrors } from './config-error.ts';
import { aeTitleProblem } from './ae-title.ts';

/**
 * DICOMweb nodes (issue 15): remote archives reached by QIDO-RS, WADO-RS and STOW-RS instead of DIMSE, one a line in
 * `dicomweb.map` beside acrnema.map: `NAME  URL  [AUTH]`, where NAME follows AE title rules (jobs and the screens name
 * nodes by it), URL is the DICOMweb root (http:// or https://), and AUTH is `bearer:TOKEN` or `basic:USER:PASSWORD`
 * (none when left out). `#` starts a comment. Comments and order survive a rewrite.
 */
export interface WebNode {
  name: string;
  url: string;
  auth: string;
  line: number;
}

interface Line {
  raw: string;
  node?: WebNode;
}

export const WEB_NODES_FILE = 'dicomweb.map';

export function webNodeProblem(node: { name: string; url: string; auth: string }): string | undefined {
  const name = aeTitleProblem(node.name);
  if (name) return `name: ${name}`;
  let url: URL;
  try {
    url = new URL(node.url);
  } catch {
    return `"${node.url}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${node.url}" is not an http:// or https:// URL`;
  if (/\s/.test(node.url)) return 'the URL has spaces';
  if (node.auth && !/^bearer:\S+$/.test(node.auth) && !/^basic:[^:\s]+:\S*$/.test(node.auth)) {
    return 'authentication is bearer:TOKEN or basic:USER:PASSWORD';
  }
  return undefined;
}

export class WebNodeMap {
  readonly file: string;
  private readonly lines: Line[] = [];

  constructor(file: string, text: string) {
    this.file = file;
    const errors: ConfigError[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const content = raw.replace(/#.*$/, '').trim();
      if (!content) { this.lines.push({ raw }); return; }
      const [name = '', url = '', auth = '', ...extra] = content.split(/\s+/);
      const problem = extra.length ? `expected "NAME URL [AUTH]", found ${3 + extra.length} fields` : webNodeProblem({ name, url, auth });
      if (problem) { errors.push(new ConfigError(file, i + 1, problem)); this.lines.push({ raw }); return; }
      this.lines.push({ raw, node: { name, url: url.replace(/\/+$/, ''), auth, line: i + 1 } });
    });
    if (this.lines.length && this.lines[this.lines.length - 1]!.raw === '') this.lines.pop();
    if (errors.length) throw new ConfigErrors(errors);
  }

  get nodes(): WebNode[] {
    return this.lines.flatMap((l) => (l.node ? [l.node] : []));
  }

  /** By name, case aside (as AE titles are looked up). */
  find(name: string): WebNode | undefined {
    return this.nodes.find((n) => n.name.toUpperCase() === name.toUpperCase());
  }

  upsert(node: Omit<WebNode, 'line'>): void {
    const problem = webNodeProblem(node);
    if (problem) throw new ConfigError(this.file, 0, problem);
    const url = node.url.replace(/\/+$/, '');
    const entry = { raw: [node.name.padEnd(17), url, node.auth].join(' ').trimEnd(), node: { ...node, url, line: 0 } };
    const at = this.lines.findIndex((l) => l.node?.name.toUpperCase() === node.name.toUpperCase());
    if (at >= 0) this.lines[at] = entry; else this.lines.push(entry);
    this.lines.forEach((l, i) => { if (l.node) l.node.line = i + 1; });
  }

  remove(name: string): boolean {
    const at = this.lines.findIndex((l) => l.node?.name.toUpperCase() === name.toUpperCase());
    if (at < 0) return false;
    this.lines.splice(at, 1);
    this.lines.forEach((l, i) => { if (l.node) l.node.line = i + 1; });
    return true;
  }

  toString(): string {
    return `${this.lines.map((l) => l.raw).join('\n')}\n`;
  }
}
