import type { Feature } from '../core/feature.ts';
import type { Job } from '../jobs/job.ts';
import { objectsOfStudy, queueRelocation, relocationRunner } from '../archive/study-relocation.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { HttpError, route } from '../api/router.ts';
import { msg } from '../../common/message.ts';

/**
 * Moving studies between storage folders (MAGDevice<n>) as jobs (archive/study-relocation.ts): one study at a time
 * from the study browser's API, or every study off one folder to another (a full or failing disk retired: then set
 * MAGDevices, or take it out of the list, at leisure). A target with too little free space is refused at once.
 */
export const storageMoves: Feature = {
  name: 'storage-moves',
  start(core) {
    const log = core.child('store');
    core.queue.addRunner(
      'relocate',
      relocationRunner({ index: core.index, store: core.store, locks: core.ingest.locks, log }),
    );
    const device = (value: unknown): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || core.store.devices[n] === undefined)
        throw new HttpError(
          400,
          msg('{value} is not a storage folder number (0 to {last})', {
            value: String(value),
            last: String(core.store.devices.length - 1),
          }),
        );
      return n;
    };
    /** Refused when the target would fall below MAGDeviceFullThreshold with these bytes on it. */
    const roomFor = async (target: number, bytes: number) => {
      const free = await core.store.freeBytes(target);
      const keep = core.settings.magFullThresholdMB * 1024 * 1024;
      if (free - bytes < keep)
        throw new HttpError(
          409,
          msg('MAG{n} has {free} MB free: not enough for {need} MB', {
            n: String(target),
            free: String(Math.floor(free / 1048576)),
            need: String(Math.ceil(bytes / 1048576)),
          }),
        );
    };
    return {
      provides: undefined,
      routes: [
        route(ENDPOINTS.moveStudyFiles, async ({ params: [uid], body }): Promise<Job> => {
          const target = device((body as { device?: unknown } | undefined)?.device);
          const { sopUids, bytes } = await objectsOfStudy(core.index, uid!, target);
          if (!sopUids.length) throw new HttpError(404, msg('no study {uid} in the archive', { uid: uid! }));
          await roomFor(target, bytes);
          return queueRelocation(core.queue, { uid: uid!, sopUids }, target);
        }),
        route(ENDPOINTS.emptyStorage, async ({ params: [from], body }) => {
          const source = device(from);
          const target = device((body as { to?: unknown } | undefined)?.to);
          if (source === target) throw new HttpError(400, msg('the folder to empty and the target are the same'));
          const studies = await core.index.storageCheckStore().studiesOn(source);
          const bytes = studies.reduce((n, s) => n + s.bytes, 0);
          await roomFor(target, bytes);
          for (const s of studies) {
            const { sopUids } = await objectsOfStudy(core.index, s.studyUid, target);
            await queueRelocation(core.queue, { uid: s.studyUid, sopUids }, target);
          }
          log.info(
            `${studies.length} stud${studies.length === 1 ? 'y' : 'ies'} (${bytes} bytes) to move from MAG${source} to MAG${target}`,
          );
          return { jobs: studies.length, studies: studies.length, bytes };
        }),
      ],
    };
  },
};
