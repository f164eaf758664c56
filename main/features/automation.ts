import type { Feature } from '../core/feature.ts';
import { automationRoutes } from '../api/automation-routes.ts';
import { importConverters } from './import-converters.ts';
import { transfers } from './transfers.ts';
import { tryConverters } from './automation-trial.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';

/** The Automation screen's API: dicom.ini's converters listed, checked, saved, and tried on a stored object. */
export const automation: Feature<undefined> = {
  name: 'automation',
  needs: [importConverters, transfers],
  start(core, { the }) {
    const { scripts } = the(importConverters);
    const nodes = the(transfers);
    const routes = automationRoutes({
      settings: {
        config: () => core.config,
        applySettings: () => core.applySettings(),
        restartListener: async () => 0,
      },
      known: (ae) => !!nodes.node(ae),
      tryOn: (sop) => tryConverters(core, scripts, sop),
      firstObjectOf: async (study) => {
        const attr = QR_BY_TAG.get(Tag.StudyInstanceUID)!;
        const [first] = await core.index.instancesMatching([{ attr, match: { kind: 'single', value: study } }]);
        return first?.sopInstanceUid;
      },
    });
    return { provides: undefined, routes };
  },
};
