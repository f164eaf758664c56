import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { archiveRoutes } from '../api/archive-routes.ts';
import { transcoder } from '../codec/transcoder.ts';

/** The Studies screen's API: search the archive, open objects (WADO-URI, pictures), protect and delete studies, import files. */
export const studies: Feature<undefined> = {
  name: 'studies',
  start(core) {
    const routes = archiveRoutes({
      index: core.index,
      objectFile: (location) => core.objectFile(location),
      deleteStudy: (uid) => deleteStudy(core, uid),
      used: (uid) => core.access.touch(uid),
      importTarget: () => core.importTarget(),
      uploadDir: () => path.join(core.config.dataDir, 'uploads'),
      transcoder,
    });
    return { provides: undefined, routes };
  },
};

/** Delete a study (journaled: study-removal.ts); undefined for a study the archive does not hold, 'protected' for a protected one. */
export async function deleteStudy(
  core: ArchiveCore,
  studyUid: string,
): Promise<{ objects: number; filesNotDeleted: number } | 'protected' | undefined> {
  const done = await core.removal.remove(studyUid, 'deleted by the user');
  return done === undefined || done === 'protected'
    ? done
    : { objects: done.objects, filesNotDeleted: done.filesNotDeleted };
}
