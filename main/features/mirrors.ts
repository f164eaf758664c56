import type { Feature } from '../core/feature.ts';
import { msg } from '../../common/message.ts';
import type { Side } from '../store/storage-roots.ts';

/** How often the storage folders' markers are looked at and owed copies tried (besides each store's own look). */
const LOOK_MS = 10_000;

/**
 * Mirrored storage (MIRRORDevices, MIRRORDevice<i>) kept in step while the archive runs: every LOOK_MS the folders and
 * mirrors are looked at (a disk unmounted or plugged back is noticed even when nothing arrives), one that went away is
 * on the Monitor's problems, and the copies owed (objects written while one side was not there, a copy that failed)
 * are made where both sides are there. The writing, reading and copying themselves are the file store's
 * (store/file-store.ts).
 */
export const mirrors: Feature = {
  name: 'mirrors',
  start(core) {
    const log = core.child('store');
    let timer: NodeJS.Timeout | undefined;
    let pass: Promise<void> | undefined;
    const mirrored = () => core.store.roots.mirrors.some((m) => m !== undefined);
    const oweAll = async (device: number, side: Side) => {
      const checks = core.index.storageCheckStore();
      let owed = 0;
      for (let after = 0; ; ) {
        const rows = await checks.objectsAfter(after, 1000, device);
        if (!rows.length) break;
        core.store.pending.add(...rows.map((r) => ({ ...r.location, to: side })));
        owed += rows.length;
        after = rows.at(-1)!.id;
      }
      log.warn(`${owed} object(s) to copy onto the new disk of ${side === 1 ? 'mirror' : 'storage folder'} ${device}`);
    };
    const look = async () => {
      for (const change of await core.store.refreshRoots()) {
        // A new disk in place of one gone: every object of its device is owed to it.
        if (change.adopted) await oweAll(change.device, change.side);
        if (!change.present)
          core.activity.problem(
            msg(
              'storage folder {folder} is not there (unmounted?): its objects are read from and written to the other side',
              {
                folder: change.root,
              },
            ),
          );
      }
      if (!core.store.pending.size) return;
      const { copied, left } = await core.store.copyPending();
      if (copied)
        log.info(`${copied} owed cop${copied === 1 ? 'y' : 'ies'} made between folders and mirrors; ${left} left`);
    };
    return {
      provides: undefined,
      serve: () => {
        if (!mirrored()) return;
        timer = setInterval(() => {
          pass ??= look()
            .catch((err: Error) => log.error(`mirror upkeep failed: ${err.message}`))
            .finally(() => {
              pass = undefined;
            });
        }, LOOK_MS);
        timer.unref();
      },
      stop: async () => {
        clearInterval(timer);
        await pass;
      },
    };
  },
};
