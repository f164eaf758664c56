import type { Feature } from '../core/feature.ts';
import { dicomWebRoutes } from '../api/dicomweb-routes.ts';
import { transcoder } from '../codec/transcoder.ts';

/** DICOMweb (QIDO-RS, WADO-RS, STOW-RS) under /dicom-web, for web viewers and other archives. */
export const dicomWeb: Feature<undefined> = {
  name: 'dicomweb',
  settings: ['DicomWebMaxResults', 'DicomWebCorsOrigins'],
  start(core) {
    const routes = dicomWebRoutes({
      index: core.index,
      objectFile: (location) => core.objectFile(location),
      transcoder,
      importTarget: () => core.importTarget(),
      maxResults: () => core.settings.dicomWebMaxResults,
      corsOrigins: () => core.settings.dicomWebCorsOrigins,
      used: (uid) => core.access.touch(uid),
    });
    return { provides: undefined, routes };
  },
};
