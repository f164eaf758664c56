import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { StorageVerifier, type FoundProblem, type VerificationSummary } from '../archive/storage-verification.ts';
import { ObjectRepair } from '../archive/object-repair.ts';
import type { StorageCheckStore, StorageProblem } from '../index/sql-storage-checks.ts';
import { QrSopClass } from '../../common/uids.ts';
import { msg } from '../../common/message.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { route } from '../api/router.ts';
import type { StorageProblemDto, VerificationDto } from '../api/contract.ts';
import { transfers } from './transfers.ts';
import { DailyRun } from '../runtime/daily-run.ts';

/** DATA/verification.json: the last run and where a stopped one goes on. */
const RECORD = 'verification.json';

interface VerificationRecord {
  last?: VerificationSummary;
  lastCompleteAt?: string;
}

export interface Verification {
  state(): Promise<VerificationDto>;
  /** Verify now (a second call while one runs waits for that one). */
  runNow(): Promise<VerificationDto>;
  /** Open problems not repaired. */
  openProblems(): Promise<number>;
  /** When the last complete run ended (epoch ms; 0: never). */
  lastCompleteAt(): number;
}

/**
 * VerifyStorage (nightly at VerifyStorageHour, and on demand from the Monitor): every stored object read back against
 * its index row (archive/storage-verification.ts); each problem audited and on the Monitor; "repair" asks the nodes of
 * VerifyRepairFrom for a good copy (archive/object-repair.ts), which replaces the damaged file when it arrives and is
 * read back before the problem is called repaired. A run stopped (the archive stopping) goes on from where it was.
 */
export const verification: Feature<Verification> = {
  name: 'verification',
  needs: [transfers],
  settings: ['VerifyStorage', 'VerifyStorageHour', 'VerifyRepairFrom'],
  start(core, { the }) {
    const log = core.child('verify');
    const net = the(transfers);
    const checks = core.index.storageCheckStore();
    const recordFile = path.join(core.dataDir, RECORD);
    let record: VerificationRecord = {};
    let lastError: string | undefined;
    let running: Promise<VerificationDto> | undefined;
    const stopping = new AbortController();

    const verifier = new StorageVerifier({
      checks,
      path: (l) => core.store.absolutePath(l),
      locks: core.ingest.locks,
      found: (p) => reportFound(core, p),
      mirror: {
        copyOf: (l) => (core.store.roots.present(l.device, 0) ? core.store.otherCopy(l) : undefined),
        restore: (l) => core.store.restoreFromMirror(l),
        owe: (l) => core.store.pending.add({ ...l, to: 1 }),
      },
      log,
    });
    const repair = new ObjectRepair({
      checks,
      sources: () => core.settings.verifyRepairFrom,
      node: (ae) => net.node(ae),
      webNode: (name) => net.webNode(name) !== undefined,
      find: (node, identifier) => net.client.find(node, QrSopClass.StudyRootFind, identifier),
      retrieve: async (ae, query) => (await net.retrieve(ae, query, 'move')).id,
      repairs: core.ingest.repairs,
      log,
    });
    core.onStored((e) => {
      const uid = e.header.sopInstanceUid;
      if (repair.arrived(uid))
        void confirmRepair(core, verifier, checks, uid).catch((err: Error) => log.error(err.message));
    });
    const onJob: Parameters<typeof core.events.on<'job'>>[1] = (e) => {
      if (e.state === 'done' || e.state === 'failed' || e.state === 'cancelled')
        void repair.jobEnded(e.id, e.state, e.error).catch((err: Error) => log.error(err.message));
    };
    core.events.on('job', onJob);

    const state = async (): Promise<VerificationDto> => {
      const { last, lastCompleteAt } = record;
      return {
        nightly: core.settings.verifyStorage,
        hour: core.settings.verifyStorageHour,
        running: verifier.progress ? { ...verifier.progress } : undefined,
        last: last && {
          startedAt: last.startedAt,
          finishedAt: last.finishedAt,
          checked: last.checked,
          bytes: last.bytes,
          found: last.found,
          recorded: last.recorded,
          complete: last.complete,
        },
        lastCompleteAt,
        lastError,
        problems: (await checks.problems()).map((p) => problemDto(p)),
      };
    };
    const runNow = (): Promise<VerificationDto> => {
      running ??= (async () => {
        const from = record.last && !record.last.complete ? record.last.resumeAfter : 0;
        log.info(from ? `verification of the stored objects goes on after row ${from}` : 'verification begins');
        try {
          const summary = await verifier.run(from, stopping.signal);
          // What the mirrors were found to lack is copied now (where both sides are there).
          await core.store.copyPending();
          record = { last: summary, lastCompleteAt: summary.complete ? summary.finishedAt : record.lastCompleteAt };
          lastError = undefined;
          await save(recordFile, record);
          log.info(
            `verification ${summary.complete ? 'ended' : 'stopped'}: ${summary.checked} object(s) read, ${summary.found} problem(s) found, ${summary.recorded} checksum(s) recorded`,
          );
        } catch (err) {
          lastError = (err as Error).message;
          log.error(`verification failed: ${lastError}`);
          core.activity.problem(msg('the verification of the stored objects failed: {reason}', { reason: lastError }));
        } finally {
          running = undefined;
        }
        return state();
      })();
      return running;
    };
    const daily = new DailyRun(
      () => (core.settings.verifyStorage ? core.settings.verifyStorageHour : undefined),
      () => void runNow(),
    );
    return {
      provides: {
        state,
        runNow,
        openProblems: () => checks.openCount(),
        lastCompleteAt: () => (record.lastCompleteAt ? Date.parse(record.lastCompleteAt) : 0),
      },
      routes: [
        route(ENDPOINTS.verification, () => state()),
        route(ENDPOINTS.verifyNow, async ({ audit }) => {
          audit({ action: 'view', detail: 'verification of the stored objects' });
          void runNow();
          return state();
        }),
        route(ENDPOINTS.repairObjects, async ({ body, audit }) => {
          const asked = new Set((body as { sopInstanceUids?: string[] } | undefined)?.sopInstanceUids ?? []);
          for (const p of await checks.problems()) {
            if (p.state === 'repaired' || p.state === 'repairing') continue;
            if (asked.size && !asked.has(p.sopInstanceUid)) continue;
            audit({
              action: 'retrieve',
              patientId: p.patientId,
              studyUid: p.studyInstanceUid,
              detail: `repair of ${p.sopInstanceUid} (${p.problem}) from ${core.settings.verifyRepairFrom.join(', ') || 'no node'}`,
            });
            await repair.repair(p);
          }
          return state();
        }),
      ],
      serve: async () => {
        record = await load(recordFile);
        // A repair under way when the archive stopped lost its retrieve's link: it is damaged again, to be asked anew.
        for (const p of await checks.problems())
          if (p.state === 'repairing')
            await checks.setState(p.sopInstanceUid, 'damaged', 'the archive stopped while it was being repaired');
        daily.start();
      },
      stop: async () => {
        daily.stop();
        core.events.off('job', onJob);
        stopping.abort();
        await running;
      },
    };
  },
};

/** A problem found: audited (a failed read of the patient's data) and on the Monitor. */
function reportFound(core: ArchiveCore, p: FoundProblem): void {
  core.audit.record({
    user: 'VerifyStorage',
    source: 'local',
    action: 'storage-damaged',
    outcome: 'failure',
    detail: `${p.sopInstanceUid} in ${core.store.absolutePath(p.location)}: ${p.detail}`,
  });
  if (p.mended) {
    core.audit.record({
      user: 'VerifyStorage',
      source: 'local',
      action: 'storage-repaired',
      detail: `${p.sopInstanceUid}: the mirror's good copy replaces the damaged file`,
    });
    return;
  }
  core.activity.problem(msg('stored object {uid} is damaged: {detail}', { uid: p.sopInstanceUid, detail: p.detail }));
}

/** A repair's copy arrived: read it back; repaired only if it reads as stored. */
async function confirmRepair(
  core: ArchiveCore,
  verifier: StorageVerifier,
  checks: StorageCheckStore,
  uid: string,
): Promise<void> {
  const outcome = await verifier.checkOne(uid);
  if (outcome === 'gone') return;
  if (typeof outcome === 'object') return; // recorded again as damaged by check
  await checks.setState(uid, 'repaired', 'a good copy was retrieved and reads back as stored');
  core.audit.record({
    user: 'VerifyStorage',
    source: 'local',
    action: 'storage-repaired',
    detail: `${uid}: a good copy was retrieved and replaces the damaged file`,
  });
  core.child('verify').info(`${uid} repaired`);
}

function problemDto(p: StorageProblem): StorageProblemDto {
  return {
    sopInstanceUid: p.sopInstanceUid,
    studyInstanceUid: p.studyInstanceUid,
    patientId: p.patientId,
    file: `MAG${p.location.device}/${p.location.relativePath}`,
    problem: p.problem,
    foundAt: p.foundAt,
    state: p.state,
    detail: p.detail,
  };
}

async function load(file: string): Promise<VerificationRecord> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  try {
    return text ? (JSON.parse(text) as VerificationRecord) : {};
  } catch {
    return {};
  }
}

async function save(file: string, record: VerificationRecord): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(record, null, 2) + '\n');
  await rename(temp, file);
}
