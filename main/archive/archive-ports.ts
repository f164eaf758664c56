import { compressionPlan } from '../../common/compression-code.ts';
import type { QueryPort, RetrievePort, DestinationPort } from '../protocol/services/ports.ts';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import type { OutgoingObject } from '../protocol/services/store-scu.ts';
import type { LoadedConfig } from '../config/load.ts';
import { withFoldedNames, type Condition } from '../query/condition.ts';
import type { TlsSettings } from '../protocol/network.ts';
import { isTlsNode } from '../config/tls-files.ts';
import { DimseError, Status } from '../dicom/status.ts';

/**
 * The archive's side of the query and retrieve services' ports: the index answers, the file store reads, dicom.ini
 * decides (forgiving name matching, move destinations).
 */
export interface ArchivePortDependencies {
  index: ArchiveIndex;
  config: () => LoadedConfig;
  /** The bytes of a stored object's data set, read when it is sent. */
  read: (instance: StoredInstance) => OutgoingObject['read'];
  /** A retrieve's conditions: the studies it names count as used now (clean-up). */
  retrieved?: (conditions: Condition[]) => void;
}

export function queryPort({ index, config }: ArchivePortDependencies): QueryPort {
  // dicom.ini NameMatching = forgiving: person names match without regard to diacritics (query/name-fold.ts).
  const names = <T extends { conditions: Parameters<typeof withFoldedNames>[0] }>(r: T) =>
    config().settings.nameMatching === 'forgiving' ? withFoldedNames(r.conditions) : r.conditions;
  return {
    findArchive: (request) => index.streamArchive(request.level, request.returns, names(request)),
    addedKeys: () => index.schema.attributes,
    addedWorklistKeys: () => index.schema.worklistKeys,
    findWorklist: (request) => index.queryWorklist([...request.returns, ...request.stepReturns], names(request)),
  };
}

export function retrievePort({ index, read, retrieved }: ArchivePortDependencies): RetrievePort {
  return {
    objectsFor: async (request) => {
      retrieved?.(request.conditions);
      return (await index.instancesMatching(request.conditions)).map((inst) => ({
        sopClassUid: inst.sopClassUid,
        sopInstanceUid: inst.sopInstanceUid,
        transferSyntaxUid: inst.transferSyntaxUid,
        read: read(inst),
      }));
    },
  };
}

/**
 * acrnema.map's node for a move destination; Conquest's "*" host means the address the request came from. A destination
 * noderights.map does not allow the requester is refused with 0x0124 (Refused: Not Authorized).
 */
export function destinationPort(
  config: () => LoadedConfig,
  tls: () => TlsSettings | undefined = () => undefined,
): DestinationPort {
  return (ae, requester) => {
    if (!config().nodeRights.mayRetrieveTo(requester.callingAe, ae)) {
      throw new DimseError(Status.NotAuthorized, `${requester.callingAe} may not retrieve to ${ae} (noderights.map)`);
    }
    const node = config().nodes.find(ae);
    const secure = isTlsNode(config().settings, ae) ? tls() : undefined;
    return node
      ? {
          host: node.host === '*' ? requester.remoteAddress : node.host,
          port: node.port,
          compression: compressionPlan(node.compression),
          tls: secure,
        }
      : undefined;
  };
}
