import { LineMap } from './line-map.ts';
import { aeMatches, aeTitleProblem } from './ae-title.ts';
import { msg, type Message } from '../../common/message.ts';

/**
 * What each node may ask of this archive, in `noderights.map` beside acrnema.map (a file of its own: Conquest reads
 * acrnema.map and would not expect more columns). One line a node: `AE  RIGHTS  [RETRIEVE-TO]  [CHECK]`:
 * - RIGHTS: store, query, retrieve, worklist, commit, mpps separated by commas; `all` or `-` (none). Echo is always allowed.
 * - RETRIEVE-TO: where its C-MOVEs may send: `*` (any node of acrnema.map, the default), `self` (only to itself), or AE
 *   titles separated by commas (`self` among them allowed).
 * - CHECK: `host` when an association under this AE title must come from acrnema.map's address for it (as Orthanc's
 *   DicomCheckModalityHost); `-` or nothing otherwise.
 * AE may be a pattern as in acrnema.map (`*` alone: every node without a line of its own). A node without a line, and no
 * `*` line, may do everything (as before this file existed); unknown AEs are governed by RequireKnownCallingAE.
 */

export const NODE_RIGHTS_FILE = 'noderights.map';
export const RIGHTS = ['store', 'query', 'retrieve', 'worklist', 'commit', 'mpps'] as const;
export type NodeRight = (typeof RIGHTS)[number];

export interface NodeRights {
  ae: string;
  rights: NodeRight[];
  /** '*' or AE titles ('self' for the node itself). */
  retrieveTo: '*' | string[];
  checkHost: boolean;
  line: number;
}

export const ALL_RIGHTS: Omit<NodeRights, 'ae' | 'line'> = { rights: [...RIGHTS], retrieveTo: '*', checkHost: false };

export function nodeRightsLine(fields: string[]): Omit<NodeRights, 'line'> | Message {
  const [ae, rights, retrieveTo = '*', check = '-', ...extra] = fields;
  if (!ae || !rights) return msg('a line is: AE  RIGHTS  [RETRIEVE-TO]  [host]');
  if (extra.length) return msg('unexpected "{text}" after the check column', { text: extra.join(' ') });
  if (ae !== '*') {
    const p = aeTitleProblem(ae.replace(/[*?]/g, 'X'));
    if (p) return p;
  }
  const list =
    rights === 'all' ? [...RIGHTS] : rights === '-' ? [] : rights.split(',').map((r) => r.trim().toLowerCase());
  const unknown = list.filter((r) => !(RIGHTS as readonly string[]).includes(r));
  if (unknown.length)
    return msg('"{rights}" is not a right ({known}, all or -)', {
      rights: unknown.join(', '),
      known: RIGHTS.join(', '),
    });
  let to: '*' | string[] = '*';
  if (retrieveTo !== '*') {
    to = retrieveTo === '-' ? [] : retrieveTo.split(',').filter(Boolean);
    for (const dest of to) {
      if (dest !== 'self') {
        const p = aeTitleProblem(dest);
        if (p) return msg('retrieve-to: {reason}', { reason: p });
      }
    }
  }
  if (check !== '-' && check.toLowerCase() !== 'host')
    return msg('the last column is "host" (check the caller\'s address) or "-", not "{check}"', { check });
  return { ae, rights: list as NodeRight[], retrieveTo: to, checkHost: check.toLowerCase() === 'host' };
}

export function formatNodeRights(r: Omit<NodeRights, 'line'>): string {
  const rights = r.rights.length === RIGHTS.length ? 'all' : r.rights.length ? r.rights.join(',') : '-';
  const to = r.retrieveTo === '*' ? '*' : r.retrieveTo.length ? r.retrieveTo.join(',') : '-';
  return `${r.ae.padEnd(16)} ${rights.padEnd(40)} ${to.padEnd(24)} ${r.checkHost ? 'host' : '-'}`;
}

export class NodeRightsMap {
  private readonly map: LineMap<NodeRights>;
  /** The file did not exist (or was empty): it is written with a header that explains its columns. */
  private readonly fresh: boolean;

  constructor(file: string, text: string) {
    this.fresh = text.trim() === '';
    this.map = new LineMap<NodeRights>(file, text, (fields, line) => {
      const parsed = nodeRightsLine(fields);
      return typeof parsed === 'string' ? parsed : { ...parsed, line };
    });
  }

  get file(): string {
    return this.map.file;
  }

  get entries(): NodeRights[] {
    return this.map.entries;
  }

  /** The line for this calling AE (its own before a pattern's, as written), undefined when none names it. */
  find(ae: string): NodeRights | undefined {
    const entries = this.entries;
    return (
      entries.find((e) => e.ae.toUpperCase() === ae.toUpperCase()) ??
      entries.find((e) => e.ae !== '*' && aeMatches(e.ae, ae)) ??
      entries.find((e) => e.ae === '*')
    );
  }

  /** What `ae` may do: its line, or everything. */
  of(ae: string): Omit<NodeRights, 'line'> {
    return this.find(ae) ?? { ae, ...ALL_RIGHTS };
  }

  /** May `ae` have its C-MOVE send to `destination`? */
  mayRetrieveTo(ae: string, destination: string): boolean {
    const { retrieveTo } = this.of(ae);
    if (retrieveTo === '*') return true;
    return retrieveTo.some((d) =>
      d === 'self' ? destination.toUpperCase() === ae.toUpperCase() : d.toUpperCase() === destination.toUpperCase(),
    );
  }

  /** Set or replace the line of exactly this AE (undefined: remove it, so it gets everything again, or the `*` line's rights). */
  set(ae: string, rights: Omit<NodeRights, 'ae' | 'line'> | undefined): void {
    const same = (e: NodeRights) => e.ae.toUpperCase() === ae.toUpperCase();
    if (!rights) {
      this.map.remove(same);
      return;
    }
    const entry = { ae, ...rights, line: 0 };
    this.map.set(same, entry, formatNodeRights(entry));
  }

  toString(): string {
    const header = this.fresh
      ? [
          '# What each node of acrnema.map may ask of this archive (Conquest does not read this file).',
          '# AE            RIGHTS (store,query,retrieve,worklist,commit,mpps | all | -)  RETRIEVE-TO (* | self | AEs)  CHECK (host | -)',
          '',
        ].join('\n') + '\n'
      : '';
    return header + this.map.toString();
  }
}
