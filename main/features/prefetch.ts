import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { startWithin, type PrefetchRule, type PrefetchTrigger } from '../../common/prefetch-rules.ts';
import { fetchPriors } from '../workflow/prior-search.ts';
import { findRemote } from '../api/query-routes.ts';
import { PermanentJobError, type JobRunner } from '../jobs/job-queue.ts';
import { msg } from '../../common/message.ts';
import { transfers } from './transfers.ts';

/** Studies whose arrival was looked at already (a rule's "on arrival" fires once a study). */
const ARRIVALS_KEPT = 10_000;

interface PrefetchDetail {
  rule: string;
  patientId: string;
  /** The study the trigger was about (left out of the priors). */
  studyUid: string;
  reason: string;
}

/**
 * PrefetchRules (common/prefetch-rules.ts): a patient's earlier studies fetched from other nodes before they are
 * needed. A worklist entry made (an HL7 order, or one typed on the Worklist screen), a procedure step started (MPPS
 * IN PROGRESS) or the first object of a study new here fires the rules of that trigger; each makes a 'prefetch' job
 * for the patient (waiting for the rule's time window, if it has one), which looks the priors up on the rule's nodes
 * and queues a retrieve for each not already here (workflow/prior-search.ts). The viewer shows them beside the current
 * study as any prior.
 */
export const prefetch: Feature = {
  name: 'prefetch',
  needs: [transfers],
  settings: ['PrefetchRules'],
  start(core, { the }) {
    const net = the(transfers);
    const log = core.child('prefetch');
    const seen = new Set<string>();
    const nodes = { transfers: net, config: () => core.config, reloadAccess: async () => undefined };
    const runner: JobRunner = async ({ job, signal, progress }) => {
      const detail = JSON.parse(job.detail) as PrefetchDetail;
      const rule = core.settings.prefetchRules.find((r) => r.text === detail.rule);
      if (!rule)
        throw new PermanentJobError(
          msg('the prefetch rule "{rule}" is no longer in PrefetchRules', { rule: detail.rule }),
        );
      // The patient under its current ID and those it was corrected from (edits, HL7 merges).
      const aliases = await core.index.patientAliases();
      const patientIds = [
        detail.patientId,
        ...[...aliases].filter(([, to]) => to === detail.patientId).map(([from]) => from),
      ];
      const result = await fetchPriors(
        rule,
        { patientIds, currentStudyUid: detail.studyUid },
        {
          search: async (ae, level, keys, s) => findRemote(nodes, ae, { level, keys }, s),
          here: async (uids) => new Set((await core.index.patientsOfStudies(uids)).keys()),
          retrieve: async (ae, studyUid, about) =>
            (await net.retrieve(ae, { level: 'STUDY', keys: { StudyInstanceUID: studyUid } }, 'move', '', about)).id,
        },
        new Date(),
        signal,
      );
      const asked = result.chosen.filter((c) => c.job !== undefined);
      const here = result.chosen.length - asked.length;
      await progress({ total: result.chosen.length, done: result.chosen.length, failed: 0 }, true);
      log.info(
        `priors of ${detail.patientId} (${detail.reason}): ${asked.length} asked for (${asked.map((a) => `${a.studyUid} from ${a.ae}, job ${a.job}`).join('; ') || 'none'}), ${here} already here` +
          (result.errors.length ? `; not searched: ${result.errors.join('; ')}` : ''),
      );
      if (result.errors.length && !result.chosen.length)
        throw new Error(`no node could be searched: ${result.errors.join('; ')}`);
    };
    core.queue.addRunner('prefetch', runner);
    /** The rules of a trigger fired for a patient (none without an ID: an empty one would match every patient). */
    const fire = (trigger: PrefetchTrigger, patientId: string, studyUid: string, reason: string, from = '') => {
      if (!patientId) return;
      // Priors arriving from a rule's own node do not fetch priors in turn.
      const rules = core.settings.prefetchRules.filter((r) => r.trigger === trigger && !r.sources.includes(from));
      for (const rule of rules)
        void schedule(core, rule, { rule: rule.text, patientId, studyUid, reason }).catch((err: Error) =>
          log.error(`cannot queue the prefetch of ${patientId}: ${err.message}`),
        );
    };
    const onWorklist: Parameters<typeof core.events.on<'worklist'>>[1] = (e) => {
      if (e.reason === 'scheduled') fire('order', e.patientId, e.studyUid, `order ${e.accessionNumber || e.studyUid}`);
      else if (e.status === 'IN PROGRESS')
        void core.index
          .mppsStore()
          .get(e.sopInstanceUid)
          .then((step) => step && fire('mpps', step.patientId, step.studyUid, `procedure step ${e.sopInstanceUid}`))
          .catch((err: Error) => log.error(err.message));
    };
    core.events.on('worklist', onWorklist);
    core.onStored((e) => {
      const study = e.header.studyInstanceUid;
      if (seen.has(study)) return;
      if (seen.size >= ARRIVALS_KEPT) seen.clear();
      seen.add(study);
      fire('arrival', e.header.patientId, study, `study ${study} arrived`, e.callingAe);
    });
    return { provides: undefined, stop: () => void core.events.off('worklist', onWorklist) };
  },
};

/** A rule's job for a patient: now, or waiting for the rule's window; one waiting for the same patient and rule is kept. */
function schedule(core: ArchiveCore, rule: PrefetchRule, detail: PrefetchDetail): Promise<void> {
  const at = startWithin(rule, new Date()).getTime();
  return core.queue.studyJob('prefetch', detail.studyUid, JSON.stringify(detail), at);
}
