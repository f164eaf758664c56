import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import { QR_BY_TAG, UNIQUE_KEYS } from '../query/attributes.ts';
import type { QrRequest } from '../query/identifier.ts';
import { textOf, type DataSet } from '../dicom/dataset.ts';
import { Tag } from '../dicom/tags.ts';
import { QrSopClass, TransferSyntax } from '../../common/uids.ts';
import type { VirtualServer } from '../config/virtual-servers.ts';
import type { RemoteNode, RetrieveOutcome } from '../scu/dicom-client.ts';
import type { OutgoingObject, ReadObject } from '../protocol/services/store-scu.ts';
import type { RetrieveUpstreams } from '../protocol/services/ports.ts';
import type { SourceLogger } from '../util/log.ts';
import { formatStatus } from '../dicom/status.ts';
import { askUpstreams, notPassedOn, type UpstreamDependencies } from './upstream-query.ts';

export interface PullDependencies extends UpstreamDependencies {
  /** C-MOVE from an upstream to this archive (its AE title as the destination). */
  move(node: RemoteNode, sopClass: string, identifier: DataSet): Promise<RetrieveOutcome>;
  /** Listen to each object stored here, by SOP Instance UID; the function returned stops listening. */
  listen(stored: (sopInstanceUid: string) => void): () => void;
  /** A stored object's bytes, read now. */
  readStored(sopInstanceUid: string): Promise<ReadObject>;
  /** OverlapVirtualGet > 0: each object goes on as it arrives (else once its upstream sent all). */
  overlap(): boolean;
  /** CacheVirtualData: what was fetched stays here. */
  keep(): boolean;
  /** Remove a study fetched only to be passed on (CacheVirtualData = 0). */
  removeStudy(studyUid: string, reason: string): Promise<void>;
  log: SourceLogger;
}

/** One object only an upstream holds, as its image-level answer named it. */
interface Missing {
  from: string;
  study: string;
  series: string;
  sop: string;
  sopClass: string;
}

/** One C-MOVE asked of an upstream, and the objects it is to bring. */
interface Fetch {
  server: VirtualServer;
  level: 'STUDY' | 'SERIES' | 'IMAGE';
  keys: Record<string, string>;
  uids: string[];
}

/** A retrieve's fetches: the arrival of each object it waits for, and the end of them all. */
interface Pull {
  done: Promise<void>;
  /** Studies none of whose objects were here before: removed after the retrieve when CacheVirtualData = 0. */
  fetchedStudies: string[];
}

/**
 * Virtual servers on the retrieve side (Conquest's VirtualServerFor<N> as a cache): a C-MOVE or C-GET of ours lists,
 * besides what is stored here, what the upstreams hold under the same keys (asked at IMAGE level, within
 * VirtualServerTimeout). Those objects are fetched from their upstream (a C-MOVE to us: a whole study or series when
 * none of it is here, else the missing objects by UID list, by series past VirtualServerPerSeries<N>) and each is sent
 * on to the requester as soon as it is stored here, not after the whole study. Image lists of upstreams marked
 * CACHESERIES or CACHESTUDIES are kept for the day.
 */
export class PullThrough implements RetrieveUpstreams {
  private readonly deps: PullDependencies;
  private readonly pulls = new WeakMap<OutgoingObject, Pull>();
  /** Image lists by upstream and keys, with the day they were asked (CACHESERIES, CACHESTUDIES). */
  private readonly lists = new Map<string, { day: string; answers: { from: string; answer: DataSet }[] }>();

  constructor(deps: PullDependencies) {
    this.deps = deps;
  }

  async extend(request: QrRequest, local: OutgoingObject[], callingAe: string): Promise<OutgoingObject[]> {
    const servers = this.deps.servers();
    if (notPassedOn(request.identifier, callingAe, servers)) return local;
    const keys = keysOf(request);
    if (!keys) return local;
    const here = new Set(local.map((o) => o.sopInstanceUid));
    // Objects named one by one, all of them here: nothing to ask an upstream.
    if (keys.SOPInstanceUID?.split('\\').every((u) => here.has(u))) return local;
    // Listening from the start: an object the early move brings may arrive before the list of what is missing.
    const stored = new Set<string>();
    const waiting = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
    const stop = this.deps.listen((uid) => {
      stored.add(uid);
      waiting.get(uid)?.resolve();
    });
    // One upstream and nothing of the study or series here: its move starts beside the listing, not after it, so
    // the first object reaches the requester one round trip sooner.
    const early: Omit<Fetch, 'uids'> | undefined =
      servers.length === 1 && local.length === 0 && (request.level === 1 || request.level === 2)
        ? { server: servers[0]!, level: request.level === 1 ? 'STUDY' : 'SERIES', keys }
        : undefined;
    const earlyMove = early ? this.moveOne(early) : undefined;
    const listed = await this.imageList(request.level, keys);
    const missing: Missing[] = [];
    for (const { from, answer } of listed) {
      const sop = textOf(answer.get(Tag.SOPInstanceUID));
      const sopClass = textOf(answer.get(Tag.SOPClassUID));
      if (!sop || !sopClass || here.has(sop)) continue;
      here.add(sop);
      const study = textOf(answer.get(Tag.StudyInstanceUID));
      const series = textOf(answer.get(Tag.SeriesInstanceUID));
      missing.push({ from, study, series, sop, sopClass });
    }
    if (!missing.length) {
      void (earlyMove ?? Promise.resolve()).finally(stop);
      return local;
    }
    const fetches = early ? [{ ...early, uids: missing.map((m) => m.sop) }] : plan(missing, listed, local, servers);
    const arrivals = new Map<string, Promise<void>>();
    for (const m of missing) {
      const arrival = stored.has(m.sop)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => waiting.set(m.sop, { resolve, reject }));
      arrival.catch(() => undefined);
      arrivals.set(m.sop, arrival);
    }
    const done = this.run(fetches, waiting, earlyMove).finally(stop);
    const pull: Pull = {
      done,
      // Only when nothing the retrieve names was here: a study with objects of its own here is never removed.
      fetchedStudies: local.length
        ? []
        : [...new Set(fetches.filter((f) => f.level === 'STUDY').flatMap((f) => f.keys.StudyInstanceUID!.split('\\')))],
    };
    const overlap = this.deps.overlap();
    const objects = missing.map(
      (m): OutgoingObject => ({
        sopClassUid: m.sopClass,
        sopInstanceUid: m.sop,
        // As the upstream will send it is not known yet: the read says what it is (store-scu.ts).
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        read: async () => {
          if (!overlap) await done;
          await arrivals.get(m.sop);
          return this.deps.readStored(m.sop);
        },
        arrival: () => arrivals.get(m.sop)!,
      }),
    );
    for (const o of objects) this.pulls.set(o, pull);
    this.deps.log.info(
      `retrieve by ${callingAe}: ${local.length} object(s) here, ${missing.length} fetched from ${[...new Set(missing.map((m) => m.from))].join(', ')}`,
    );
    return [...local, ...objects];
  }

  ended(objects: OutgoingObject[]): void {
    const pull = objects.map((o) => this.pulls.get(o)).find((p) => p !== undefined);
    if (!pull || this.deps.keep() || !pull.fetchedStudies.length) return;
    void pull.done.then(async () => {
      for (const study of pull.fetchedStudies)
        await this.deps
          .removeStudy(study, 'fetched from an upstream to be passed on (CacheVirtualData = 0)')
          .catch((err: Error) => this.deps.log.warn(`cannot remove passed-on study ${study}: ${err.message}`));
    });
  }

  /** The upstreams' objects under the keys (IMAGE level), from the day's list where the upstream is cached. */
  private async imageList(level: number, keys: Record<string, string>): Promise<{ from: string; answer: DataSet }[]> {
    const servers = this.deps.servers();
    const day = new Date().toDateString();
    const cacheKey = JSON.stringify(keys);
    const cached = servers.every((s) => s.cache !== 'none') ? this.lists.get(cacheKey) : undefined;
    if (cached?.day === day) return cached.answers;
    const identifier = identifierFromKeywords(
      { StudyInstanceUID: '', SeriesInstanceUID: '', SOPInstanceUID: '', SOPClassUID: '', ...keys },
      'IMAGE',
    );
    const sopClass = level === 0 ? QrSopClass.PatientRootFind : QrSopClass.StudyRootFind;
    const { answers, notes } = await askUpstreams(this.deps, sopClass, identifier, Tag.SOPInstanceUID);
    for (const note of notes) this.deps.log.warn(`retrieve: upstream not asked: ${note}`);
    if (!notes.length && servers.every((s) => s.cache !== 'none')) {
      for (const [k, v] of this.lists) if (v.day !== day) this.lists.delete(k);
      this.lists.set(cacheKey, { day, answers });
    }
    return answers;
  }

  /**
   * Each upstream's C-MOVEs in turn, the upstreams side by side (the first fetch's move already started when `early`
   * is given); what a move did not bring fails its reads.
   */
  private async run(
    fetches: Fetch[],
    waiting: Map<string, { resolve: () => void; reject: (err: Error) => void }>,
    early?: Promise<string | undefined>,
  ): Promise<void> {
    await Promise.all(
      [...groupBy(fetches, (f) => f.server.ae).values()].map(async (list) => {
        for (const f of list) {
          const reason = f === fetches[0] && early ? await early : await this.moveOne(f);
          // Whatever did not arrive by the move's end will not.
          for (const uid of f.uids) waiting.get(uid)?.reject(new Error(reason ?? `${f.server.ae} did not send ${uid}`));
        }
      }),
    );
  }

  /** One C-MOVE from an upstream to us; why not all came, or undefined. */
  private async moveOne(f: Omit<Fetch, 'uids'>): Promise<string | undefined> {
    const node = this.deps.node(f.server.ae);
    if (!node) return `${f.server.ae} is not in acrnema.map`;
    const outcome = await this.deps
      .move(node, QrSopClass.StudyRootMove, identifierFromKeywords(f.keys, f.level))
      .catch((err: Error) => err);
    if (outcome instanceof Error) return `${f.server.ae}: ${outcome.message}`;
    if (outcome.failed > 0 || outcome.status !== 0)
      return `${f.server.ae} answered ${formatStatus(outcome.status)}${outcome.comment ? `: ${outcome.comment}` : ''}`;
    return undefined;
  }
}

/** The unique keys a retrieve names, as the image-level question to the upstreams asks them. */
function keysOf(request: QrRequest): Record<string, string> | undefined {
  const keys: Record<string, string> = {};
  for (const tag of UNIQUE_KEYS) {
    const value = textOf(request.identifier.get(tag));
    if (value && !/[*?]/.test(value)) keys[QR_BY_TAG.get(tag)!.keyword] = value;
  }
  if (request.level > 0) delete keys.PatientID;
  return Object.keys(keys).length ? keys : undefined;
}

/**
 * The C-MOVEs that bring the missing objects: a study none of whose objects is here as a whole; otherwise per series, a
 * series none of whose objects is here (or more missing than its upstream's VirtualServerPerSeries) as a whole, else
 * its missing objects by UID list.
 */
function plan(
  missing: Missing[],
  listed: { from: string; answer: DataSet }[],
  local: OutgoingObject[],
  servers: VirtualServer[],
): Fetch[] {
  const here = new Set(local.map((o) => o.sopInstanceUid));
  const haveInStudy = new Set<string>();
  const haveInSeries = new Set<string>();
  for (const { answer } of listed) {
    if (!here.has(textOf(answer.get(Tag.SOPInstanceUID)))) continue;
    haveInStudy.add(textOf(answer.get(Tag.StudyInstanceUID)));
    haveInSeries.add(textOf(answer.get(Tag.SeriesInstanceUID)));
  }
  const fetches: Fetch[] = [];
  for (const [from, mine] of groupBy(missing, (m) => m.from)) {
    const server = servers.find((s) => s.ae === from)!;
    for (const [study, inStudy] of groupBy(mine, (m) => m.study)) {
      const uids = (ms: Missing[]) => ms.map((m) => m.sop);
      if (!haveInStudy.has(study)) {
        fetches.push({ server, level: 'STUDY', keys: { StudyInstanceUID: study }, uids: uids(inStudy) });
        continue;
      }
      for (const [series, inSeries] of groupBy(inStudy, (m) => m.series)) {
        const whole = !haveInSeries.has(series) || (server.perSeries > 0 && inSeries.length > server.perSeries);
        fetches.push(
          whole
            ? {
                server,
                level: 'SERIES',
                keys: { StudyInstanceUID: study, SeriesInstanceUID: series },
                uids: uids(inSeries),
              }
            : {
                server,
                level: 'IMAGE',
                keys: { StudyInstanceUID: study, SeriesInstanceUID: series, SOPInstanceUID: uids(inSeries).join('\\') },
                uids: uids(inSeries),
              },
        );
      }
    }
  }
  return fetches;
}

/** Items by key, each key's in their order (Map.groupBy, which this project's ES2023 library does not type yet). */
function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
