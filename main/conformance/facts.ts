import type { ArchiveServer } from '../server.ts';
import { DECODABLE } from '../codec/decoders.ts';
import { ENCODABLE, LOSSY_ENCODABLE } from '../codec/encoders.ts';
import { plainCharacterSets } from '../dicom/charset.ts';
import { MPPS_SOP_CLASS, STORAGE_COMMITMENT_SOP_CLASS } from '../../common/uids.ts';
import type { ConformanceFacts } from './statement.ts';
import { verificationService } from '../protocol/services/echo.ts';

/** Names of the SOP classes features accept beyond dgatesop.lst (its N-services). */
const FEATURE_CLASS_NAMES: Record<string, string> = {
  [STORAGE_COMMITMENT_SOP_CLASS]: 'StorageCommitmentPushModel',
  [MPPS_SOP_CLASS]: 'ModalityPerformedProcedureStep',
};

/** What the conformance statement says, from a started archive (its features' services, its dgatesop.lst). */
export function conformanceFacts(server: ArchiveServer): ConformanceFacts {
  const { sopList, settings } = server.config;
  const sopClasses = new Map<string, string>();
  for (const uid of sopList.sopClasses) sopClasses.set(uid, sopList.names.get(uid) ?? uid);
  for (const uid of server.contributions.sopClasses())
    if (!sopClasses.has(uid)) sopClasses.set(uid, FEATURE_CLASS_NAMES[uid] ?? uid);
  return {
    aeTitle: settings.aeTitle,
    maxPduLength: settings.maxPduLength,
    // The listener registers Verification itself, then every feature's services.
    services: [verificationService, ...server.contributions.services()],
    sopClasses,
    transferSyntaxes: [...sopList.transferSyntaxes],
    decodable: DECODABLE,
    encodable: new Set([...ENCODABLE, ...LOSSY_ENCODABLE]),
    characterSets: plainCharacterSets(),
  };
}
