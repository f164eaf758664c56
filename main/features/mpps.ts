import type { Feature } from '../core/feature.ts';
import { PerformedSteps } from '../workflow/performed-steps.ts';
import { mppsService } from '../protocol/services/mpps-scp.ts';
import { MPPS_SOP_CLASS } from '../../common/uids.ts';
import { transfers } from './transfers.ts';

/**
 * Modality Performed Procedure Step (N-CREATE, N-SET): steps kept with the worklist and passed on to MPPSForward's
 * nodes as jobs. Its SOP class is accepted while dicom.ini's MPPS is on.
 */
export const mpps: Feature<PerformedSteps> = {
  name: 'mpps',
  settings: ['MPPS', 'MPPSForward'],
  needs: [transfers],
  start(core, { the }) {
    const sends = the(transfers);
    const steps = new PerformedSteps({
      index: core.index,
      queue: core.queue,
      client: sends.client,
      node: (ae) => sends.node(ae),
      forwardTo: () => core.settings.mppsForward,
      log: core.child('mpps'),
      events: core.events,
    });
    return {
      provides: steps,
      services: [mppsService(steps, core.child('mpps'))],
      sopClasses: () => (core.settings.mpps ? [MPPS_SOP_CLASS] : []),
    };
  },
};
