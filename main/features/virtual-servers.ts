import type { Feature } from '../core/feature.ts';
import { UNIQUE_KEYS } from '../query/attributes.ts';
import { levelOf } from '../query/identifier.ts';
import { askUpstreams, notPassedOn, withoutMarks, type UpstreamDependencies } from '../archive/upstream-query.ts';
import { PullThrough } from '../archive/pull-through.ts';
import { queryRetrieve } from './query-retrieve.ts';
import { transfers } from './transfers.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { HttpError, route } from '../api/router.ts';

/**
 * Virtual servers (Conquest's VirtualServerFor0..9): this archive as the one node in front of bigger ones. A C-FIND
 * (Patient or Study Root) is answered with our matches and then each upstream's not already answered, every upstream
 * asked at once within VirtualServerTimeout; one that does not answer is named in the final response's comment. A
 * C-MOVE or C-GET of what only an upstream holds fetches it through us (archive/pull-through.ts). Requests an upstream
 * makes, and requests marked NONVIRTUAL, are answered from our own data alone, so two archives that are each other's
 * virtual server do not ask each other for ever.
 */
export const virtualServers: Feature = {
  name: 'virtual-servers',
  needs: [queryRetrieve, transfers],
  settings: ['VirtualServerTimeout', 'OverlapVirtualGet', 'CacheVirtualData'],
  start(core, { the }) {
    const { findScp, retrieveScp } = the(queryRetrieve);
    const net = the(transfers);
    const log = core.child('virtual-servers');
    const upstream: UpstreamDependencies = {
      servers: () => core.settings.virtualServers,
      timeoutSeconds: () => core.settings.virtualServerTimeout,
      node: (ae) => net.node(ae),
      find: (node, sopClass, identifier, signal) => net.client.find(node, sopClass, identifier, signal),
      ourAe: () => core.settings.aeTitle,
      resting: new Map(),
    };
    findScp.upstreams = {
      prepare(identifier, sopClass, callingAe) {
        const clean = withoutMarks(identifier);
        if (notPassedOn(identifier, callingAe, core.settings.virtualServers)) return { identifier: clean };
        const { level } = levelOf(identifier);
        if (level < 0) return { identifier: clean };
        const uniqueKey = UNIQUE_KEYS[level]!;
        const answers = askUpstreams(upstream, sopClass, identifier, uniqueKey).then(({ answers, notes }) => ({
          answers: answers.map((a) => a.answer),
          notes,
        }));
        answers.catch(() => undefined);
        return { identifier: clean, upstream: { uniqueKey, answers } };
      },
    };
    const listeners = new Set<(uid: string) => void>();
    core.onStored((e) => {
      for (const l of listeners) l(e.header.sopInstanceUid);
    });
    retrieveScp.upstreams = new PullThrough({
      ...upstream,
      move: (node, sopClass, identifier) =>
        net.client.move(node, sopClass, identifier, core.settings.aeTitle, undefined, undefined),
      listen(stored) {
        listeners.add(stored);
        return () => listeners.delete(stored);
      },
      async readStored(uid) {
        const inst = await core.index.findInstance(uid);
        if (!inst) throw new Error(`${uid} arrived but is no longer here`);
        return core.reader(inst)();
      },
      overlap: () => core.settings.overlapVirtualGet > 0,
      keep: () => core.settings.cacheVirtualData,
      async removeStudy(studyUid, reason) {
        await core.removal.remove(studyUid, reason);
      },
      log,
    });
    return {
      provides: undefined,
      routes: [
        // A study whose objects came from an upstream is its cache here ("cached from PACS" on the Studies screen).
        route(ENDPOINTS.cachedStudies, async ({ body }) => {
          const uids = (body as { studyUids?: unknown } | null)?.studyUids;
          if (!Array.isArray(uids) || uids.some((u) => typeof u !== 'string') || uids.length > 1000)
            throw new HttpError(400, 'studyUids must be a list of at most 1000 Study Instance UIDs');
          const upstreams = new Set(core.settings.virtualServers.map((v) => v.ae.toUpperCase()));
          const out: Record<string, string> = {};
          if (!upstreams.size) return out;
          for (const [uid, senders] of await core.index.studySenders(uids as string[])) {
            const from = senders.find((ae) => upstreams.has(ae.toUpperCase()));
            if (from) out[uid] = from;
          }
          return out;
        }),
      ],
      stop() {
        findScp.upstreams = undefined;
        retrieveScp.upstreams = undefined;
        listeners.clear();
      },
    };
  },
};
