import type { Feature } from '../core/feature.ts';
import { worklistRoutes } from '../api/worklist-routes.ts';

/**
 * The Worklist screen's API: scheduled procedure steps typed by hand (HL7 orders add theirs through the hl7 feature),
 * with the steps modalities reported (MPPS). Modalities query the worklist with C-FIND (the query-retrieve feature).
 */
export const worklist: Feature<undefined> = {
  name: 'worklist',
  start(core) {
    return { provides: undefined, routes: worklistRoutes(core.index) };
  },
};
