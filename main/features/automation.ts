import type { Feature } from '../core/feature.ts';
import { automationRoutes } from '../api/automation-routes.ts';
import { importConverters } from './import-converters.ts';
import { transfers } from './transfers.ts';
import { tryConverters } from './automation-trial.ts';

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
    });
    return { provides: undefined, routes };
  },
};
