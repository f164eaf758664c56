import type { Feature } from '../core/feature.ts';
import { StorageCommitments } from '../workflow/storage-commitment.ts';
import { commitmentServices } from '../protocol/services/commitment-scp.ts';
import { STORAGE_COMMITMENT_SOP_CLASS } from '../../common/uids.ts';
import { transfers } from './transfers.ts';

/**
 * Storage Commitment (PS3.4 J) in both roles: nodes ask us (N-ACTION, reports as jobs), and our sends ask nodes. Its
 * SOP class is accepted while dicom.ini's StorageCommitment is on.
 */
export const commitment: Feature<StorageCommitments> = {
  name: 'storage-commitment',
  settings: ['StorageCommitment', 'CommitmentWaitSeconds'],
  needs: [transfers],
  start(core, { the }) {
    const sends = the(transfers);
    const commitments = new StorageCommitments({
      index: core.index,
      queue: core.queue,
      client: sends.client,
      node: (ae) => sends.node(ae),
      objectFile: (location) => core.objectFile(location),
      ourAe: () => core.settings.aeTitle,
      waitSeconds: () => core.settings.commitmentWaitSeconds,
      log: core.child('commitment'),
    });
    sends.commitWith((ctx, node) => commitments.requestFor(ctx, node));
    return {
      provides: commitments,
      services: commitmentServices(commitments, core.child('commitment')),
      sopClasses: () => (core.settings.storageCommitment ? [STORAGE_COMMITMENT_SOP_CLASS] : []),
    };
  },
};
