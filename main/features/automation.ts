import type { Feature } from '../core/feature.ts';
import { automationRoutes } from '../api/automation-routes.ts';
import { LuaHost } from '../automation/lua-host.ts';
import { luaServices, trialServices } from './lua-services.ts';
import { luaScope } from './converter-effects.ts';
import { transfers } from './transfers.ts';
import { tryConverters, tryConvertersOnFile } from './automation-trial.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';

/** The Automation screen's API: dicom.ini's converters listed, checked, saved, and tried on a stored object. */
export const automation: Feature<undefined> = {
  name: 'automation',
  needs: [transfers],
  start(core, { the }) {
    const nodes = the(transfers);
    // The tries' own scripts: what a script would send, move or keep is refused there (it shows in the try), not done.
    const scripts = new LuaHost(trialServices(luaServices(core, nodes), core), luaScope(core, true));
    const routes = automationRoutes({
      settings: {
        config: () => core.config,
        applySettings: () => core.applySettings(),
        restartListener: async () => 0,
      },
      known: (ae) => !!nodes.node(ae),
      tryOn: (sop) => tryConverters(core, scripts, sop),
      tryFile: (bytes, callingAe) => tryConvertersOnFile(core, scripts, bytes, callingAe),
      firstObjectOf: async (study) => {
        const attr = QR_BY_TAG.get(Tag.StudyInstanceUID)!;
        const [first] = await core.index.instancesMatching([{ attr, match: { kind: 'single', value: study } }]);
        return first?.sopInstanceUid;
      },
    });
    return { provides: undefined, routes, stop: () => scripts.close() };
  },
};
