import { statfs } from 'node:fs/promises';
import type { StatusDto } from './contract.ts';
import { route, type RouteDef } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { StatusService } from './services.ts';

/** The monitor: AE title, port, open associations, counts, storage space; recent activity. */
export function statusRoutes(status: StatusService): RouteDef[] {
  return [
    route(ENDPOINTS.status, async () => {
      const storage = await Promise.all(
        status.devices().map(async (d) => {
          const s = await statfs(d.path).catch(() => undefined);
          return {
            path: d.path,
            device: d.device,
            mirror: d.mirror,
            present: d.present && s !== undefined,
            freeBytes: s ? s.bavail * s.bsize : 0,
            totalBytes: s ? s.blocks * s.bsize : 0,
          };
        }),
      );
      return {
        aeTitle: status.aeTitle(),
        virtualServers: status.virtualServers(),
        dicomPort: status.dicomPort(),
        associations: status.openAssociations(),
        counts: await status.counts(),
        storage,
        copiesOwed: status.copiesOwed(),
        https: status.https(),
        archiveBytes: await status.storedBytes(),
      } satisfies StatusDto;
    }),
    route(ENDPOINTS.activity, async () => status.activity()),
  ];
}
