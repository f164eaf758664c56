import { textElement, textOf, uint16Element, type DataSet } from '../dicom/dataset.ts';
import { CONQUEST_NON_VIRTUAL, Tag } from '../dicom/tags.ts';
import type { VirtualServer } from '../config/virtual-servers.ts';
import { DicomOperationError, type RemoteNode } from '../scu/dicom-client.ts';
import { say, saidOf } from '../../common/message.ts';

/**
 * Conquest's mark on a request one virtual server passes to another with NONVIRTUAL: the receiver answers from its own
 * data only (private group 9999, element 0802, US 0x8000). A request that carries it is never passed on by us either.
 */
export const NON_VIRTUAL_TAG = CONQUEST_NON_VIRTUAL;

export interface UpstreamDependencies {
  servers(): VirtualServer[];
  /** Seconds an upstream has to answer (VirtualServerTimeout). */
  timeoutSeconds(): number;
  node(ae: string): RemoteNode | undefined;
  find(node: RemoteNode, sopClass: string, identifier: DataSet, signal: AbortSignal): Promise<DataSet[]>;
  ourAe(): string;
  /**
   * Upstreams that did not answer lately, by AE title, with when that was: they are not asked again for
   * RESTING_MS, so a node that is down costs one query the time limit, not every query.
   */
  resting: Map<string, { since: number; why: string }>;
}

/** How long an upstream that did not answer is left out. */
export const RESTING_MS = 30_000;

/** What the upstreams answered, merged, and a note for each that did not. */
export interface UpstreamAnswers {
  answers: { from: string; answer: DataSet }[];
  notes: string[];
}

/** Why a request is answered from this archive's own data alone (or undefined: its upstreams are asked too). */
export function notPassedOn(identifier: DataSet, callingAe: string, servers: VirtualServer[]): string | undefined {
  if (servers.length === 0) return 'no upstream';
  if (identifier.has(NON_VIRTUAL_TAG)) return 'marked NONVIRTUAL by the requester';
  // An upstream asking us: asking it back would loop (two archives each the other's virtual server).
  if (servers.some((s) => s.ae.toUpperCase() === callingAe.toUpperCase())) return `${callingAe} is an upstream`;
  return undefined;
}

/** The identifier without our marks, as the local search sees it. */
export function withoutMarks(identifier: DataSet): DataSet {
  if (!identifier.has(NON_VIRTUAL_TAG)) return identifier;
  const clean = new Map(identifier);
  clean.delete(NON_VIRTUAL_TAG);
  return clean;
}

/**
 * Ask every upstream at once, each within VirtualServerTimeout: a node that is down, slow or refuses costs at most
 * that, and is named in a note instead of failing the query. Answers whose key (`uniqueKey`) an earlier upstream gave
 * are dropped; each keeps our AE title as where it is retrieved from, since a retrieve through us fetches it.
 */
export async function askUpstreams(
  deps: UpstreamDependencies,
  sopClass: string,
  identifier: DataSet,
  uniqueKey: number,
): Promise<UpstreamAnswers> {
  const servers = deps.servers();
  const limit = deps.timeoutSeconds() * 1000;
  const results = await Promise.all(
    servers.map(async (server) => {
      const node = deps.node(server.ae);
      if (!node) return { server, error: `${server.ae} is not in acrnema.map` };
      const rest = deps.resting.get(server.ae);
      if (rest && Date.now() - rest.since < RESTING_MS)
        return {
          server,
          error: `${rest.why} (${Math.round((Date.now() - rest.since) / 1000)} s ago; not asked again yet)`,
        };
      const asked = server.nonVirtual ? withMark(identifier) : identifier;
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(new Error(`${server.ae} did not answer within ${deps.timeoutSeconds()} s`));
        }, limit);
      });
      const finding = deps.find(node, sopClass, asked, abort.signal);
      finding.catch(() => undefined);
      try {
        const answers = await Promise.race([finding, late]);
        deps.resting.delete(server.ae);
        return { server, answers };
      } catch (err) {
        const said = say(saidOf(err));
        const error = said.startsWith(server.ae) ? said : `${server.ae}: ${said}`;
        // Down, silent or unreachable (not a node that answered with a failure status): left out for a while.
        if (!(err instanceof DicomOperationError && err.status !== undefined))
          deps.resting.set(server.ae, { since: Date.now(), why: error });
        return { server, error };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const seen = new Set<string>();
  const merged: UpstreamAnswers = { answers: [], notes: [] };
  for (const r of results) {
    if ('error' in r) {
      merged.notes.push(r.error!);
      continue;
    }
    for (const answer of r.answers) {
      const key = textOf(answer.get(uniqueKey));
      if (key) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      merged.answers.push({ from: r.server.ae, answer: retrievedThrough(answer, deps.ourAe()) });
    }
  }
  return merged;
}

function withMark(identifier: DataSet): DataSet {
  const marked = new Map(identifier);
  marked.set(NON_VIRTUAL_TAG, uint16Element(NON_VIRTUAL_TAG, 0x8000));
  return marked;
}

function retrievedThrough(answer: DataSet, ourAe: string): DataSet {
  if (!answer.has(Tag.RetrieveAETitle)) return answer;
  const out = new Map(answer);
  const padded = ourAe.length % 2 ? `${ourAe} ` : ourAe;
  out.set(Tag.RetrieveAETitle, textElement(Tag.RetrieveAETitle, 'AE', padded));
  return out;
}
