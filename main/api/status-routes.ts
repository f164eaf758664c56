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
        status.devices().map(async (p) => {
          const s = await statfs(p);
          return { path: p, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
        }),
      );
      return {
        aeTitle: status.aeTitle(),
        dicomPort: status.dicomPort(),
        associations: status.openAssociations(),
        counts: await status.counts(),
        storage,
        https: status.https(),
        archiveBytes: await status.storedBytes(),
      } satisfies StatusDto;
    }),
    route(ENDPOINTS.activity, async () => status.activity()),
  ];
}
