import { MPPS_SOP_CLASS, QrSopClass, STORAGE_COMMITMENT_SOP_CLASS, qrModelOf } from '../../common/uids.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { NodeRight } from '../config/node-rights.ts';
import { isStorageClass, type AcceptancePolicy } from '../protocol/negotiation.ts';

/**
 * noderights.map applied to associations: which right a SOP class needs, whether a caller may associate from its
 * address, and where its C-MOVEs may go. A refused class is a rejected presentation context (the peer sees which);
 * a refused address is an A-ASSOCIATE-RJ; a refused destination a C-MOVE failure.
 */

/** The right a SOP class needs; storage received as SCP (C-GET) needs retrieve or store. */
export function rightsFor(sopClass: string, receiving: boolean): NodeRight[] {
  if (sopClass === QrSopClass.ModalityWorklistFind) return ['worklist'];
  if (sopClass === STORAGE_COMMITMENT_SOP_CLASS) return ['commit'];
  if (sopClass === MPPS_SOP_CLASS) return ['mpps'];
  if (
    sopClass === QrSopClass.PatientRootFind ||
    sopClass === QrSopClass.StudyRootFind ||
    sopClass === QrSopClass.PatientStudyOnlyRootFind
  )
    return ['query'];
  if (qrModelOf(sopClass) || sopClass.startsWith('1.2.840.10008.5.1.4.1.2.')) return ['retrieve'];
  if (isStorageClass(sopClass)) return receiving ? ['retrieve', 'store'] : ['store'];
  return ['retrieve'];
}

function addressMatches(allowed: string[], address: string): boolean {
  const plain = address.replace(/^::ffff:/, '');
  return allowed.some((a) => a === '*' || a === plain || a === address);
}

export function nodeAccess(config: () => LoadedConfig): Pick<AcceptancePolicy, 'callerRefused' | 'mayUse'> {
  return {
    callerRefused: (ae, address) => {
      const c = config();
      if (!c.nodeRights.of(ae).checkHost) return undefined;
      const node = c.nodes.find(ae);
      if (!node) return `calling AE title "${ae}" must come from its acrnema.map address, and is not in acrnema.map`;
      const allowed = c.checkedHosts.get(node.ae.toUpperCase()) ?? [];
      return addressMatches(allowed, address)
        ? undefined
        : `calling AE title "${ae}" called from ${address}, not from its acrnema.map host ${node.host}`;
    },
    mayUse: (ae, sopClass, receiving) => {
      const granted = config().nodeRights.of(ae).rights;
      return rightsFor(sopClass, receiving).some((r) => granted.includes(r));
    },
  };
}
