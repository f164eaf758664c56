import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { Exporter } from '../export/exporter.ts';
import { exportRoots } from '../export/export-roots.ts';
import { exportRoutes } from '../api/export-routes.ts';
import { importPath } from '../archive/importer.ts';
import { transcoder } from '../codec/transcoder.ts';

/** Media export of what the archive holds (a folder, ZIP or ISO with a DICOMDIR, anonymised if asked); also the CLI's `export`. */
export function exporterOf(core: ArchiveCore): Exporter {
  return new Exporter(
    core.index,
    { objectFile: (location) => core.objectFile(location), transcoder },
    path.join(core.config.dataDir, 'exports'),
    async (folder) => {
      const result = await importPath(folder, core.importTarget(), 'copy');
      await core.ingest.recodingIdle();
      return result;
    },
  );
}

/** The Export screen's API: into the folders ExportRoots allows, or as a download. */
export const mediaExport: Feature<Exporter> = {
  name: 'media-export',
  settings: ['ExportRoots'],
  start(core) {
    const exporter = exporterOf(core);
    const routes = exportRoutes(exporter, core.index, () => exportRoots(core.settings.exportRoots, core.dataDir));
    return { provides: exporter, routes };
  },
};
