import type { Feature } from '../core/feature.ts';
import { PresentationStates } from '../presentation/presentation-states.ts';
import { presentationRoutes } from '../api/presentation-routes.ts';

/** The viewer's measurements and annotations, kept as presentation states (GSPS) in the archive. */
export const presentations: Feature<undefined> = {
  name: 'presentations',
  start(core) {
    const states = new PresentationStates({
      index: core.index,
      objectFile: (location) => core.objectFile(location),
      importTarget: () => core.importTarget(),
    });
    return { provides: undefined, routes: presentationRoutes(states) };
  },
};
