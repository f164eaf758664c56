import { ConfigError } from './config-error.ts';
import { LineMap } from './line-map.ts';
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
  private readonly map: LineMap<WebNode>;

  constructor(file: string, text: string) {
    this.map = new LineMap<WebNode>(file, text, ([name = '', url = '', auth = '', ...extra], line) => {
      const problem = extra.length
        ? `expected "NAME URL [AUTH]", found ${3 + extra.length} fields`
        : webNodeProblem({ name, url, auth });
      return problem ?? { name, url: url.replace(/\/+$/, ''), auth, line };
    });
  }

  get file(): string {
    return this.map.file;
  }

  get nodes(): WebNode[] {
    return this.map.entries;
  }

  /** By name, case aside (as AE titles are looked up). */
  find(name: string): WebNode | undefined {
    return this.nodes.find((n) => n.name.toUpperCase() === name.toUpperCase());
  }

  upsert(node: Omit<WebNode, 'line'>): void {
    const problem = webNodeProblem(node);
    if (problem) throw new ConfigError(this.file, 0, problem);
    const url = node.url.replace(/\/+$/, '');
    this.map.set(
      (n) => n.name.toUpperCase() === node.name.toUpperCase(),
      { ...node, url, line: 0 },
      [node.name.padEnd(17), url, node.auth].join(' ').trimEnd(),
    );
  }

  remove(name: string): boolean {
    return this.map.remove((n) => n.name.toUpperCase() === name.toUpperCase());
  }

  toString(): string {
    return this.map.toString();
  }
}
