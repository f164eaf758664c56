import type { Feature } from '../core/feature.ts';
import { worklistRoutes } from '../api/worklist-routes.ts';
import type { WorklistService } from '../api/services.ts';

/**
 * The Worklist screen's API: scheduled procedure steps typed by hand (HL7 orders add theirs through the hl7 feature),
 * with the steps modalities reported (MPPS). Modalities query the worklist with C-FIND (the query-retrieve feature).
 */
export const worklist: Feature<undefined> = {
  name: 'worklist',
  start(core) {
    const index = core.index;
    // An entry typed by hand is announced as an order's is (a prefetch rule's "on order").
    const service: WorklistService = {
      listWorklist: () => index.listWorklist(),
      updateWorklistEntry: (id, changes) => index.updateWorklistEntry(id, changes),
      deleteWorklistEntry: (id) => index.deleteWorklistEntry(id),
      mppsStore: () => index.mppsStore(),
      queryArchive: (...args) => index.queryArchive(...args),
      addWorklistEntry: async (entry) => {
        const added = await index.addWorklistEntry(entry);
        core.events.emit('worklist', {
          reason: 'scheduled',
          patientId: added.patientId,
          studyUid: added.studyUid,
          accessionNumber: added.accessionNumber,
        });
        return added;
      },
    };
    return { provides: undefined, routes: worklistRoutes(service) };
  },
};
