/** UIDs the archive names (PS3.6 Annex A): pure constants, for the core and the UI alike. */

export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

export const TransferSyntax = {
  ImplicitLittleEndian: '1.2.840.10008.1.2',
  ExplicitLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  HtJpeg2000Lossless: '1.2.840.10008.1.2.4.201',
  HtJpeg2000LosslessRpcl: '1.2.840.10008.1.2.4.202',
  HtJpeg2000: '1.2.840.10008.1.2.4.203',
  Rle: '1.2.840.10008.1.2.5',
  /** Video: stored and sent as received, never decoded here. */
  Mpeg2MainProfileMainLevel: '1.2.840.10008.1.2.4.100',
  Mpeg2MainProfileHighLevel: '1.2.840.10008.1.2.4.101',
  Mpeg4AvcH264HighProfile: '1.2.840.10008.1.2.4.102',
  Mpeg4AvcH264BdCompatibleHighProfile: '1.2.840.10008.1.2.4.103',
} as const;

/** How the data set bytes of a transfer syntax are laid out; everything not listed is encapsulated explicit LE. */
export interface TransferSyntaxEncoding {
  explicitVR: boolean;
  littleEndian: boolean;
  deflated: boolean;
}

export function encodingOf(transferSyntaxUid: string): TransferSyntaxEncoding {
  switch (transferSyntaxUid) {
    case TransferSyntax.ImplicitLittleEndian:
      return { explicitVR: false, littleEndian: true, deflated: false };
    case TransferSyntax.ExplicitBigEndian:
      return { explicitVR: true, littleEndian: false, deflated: false };
    case TransferSyntax.DeflatedExplicitLittleEndian:
      return { explicitVR: true, littleEndian: true, deflated: true };
    default:
      return { explicitVR: true, littleEndian: true, deflated: false };
  }
}

/** A new UID in the 2.25 root, from a random UUID (PS3.5 B.2): for studies, instances, transactions the archive makes. */
export function newUid(): string {
  return `2.25.${BigInt('0x' + globalThis.crypto.randomUUID().replace(/-/g, '')).toString()}`;
}

/** A UID is at most 64 characters of digits and dots, no empty or zero-led components (PS3.5 9.1). */
export function isValidUid(uid: string): boolean {
  if (uid.length === 0 || uid.length > 64) return false;
  return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}

/** Our implementation class UID (a 2.25 UUID-derived root, PS3.5 B.2) and version name (max 16 chars). */
export const IMPLEMENTATION_CLASS_UID = '2.25.231437380596413927862316452093318150671';
export const IMPLEMENTATION_VERSION_NAME = 'PACSWS_0_1';

/** Query/Retrieve and Modality Worklist SOP classes (PS3.4 C.6, K.6). */
export const QrSopClass = {
  PatientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  PatientRootGet: '1.2.840.10008.5.1.4.1.2.1.3',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  StudyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
  ModalityWorklistFind: '1.2.840.10008.5.1.4.31',
  /** Retired (PS3.4 2004), still sent by old peers. */
  PatientStudyOnlyRootFind: '1.2.840.10008.5.1.4.1.2.3.1',
} as const;

/** Storage Commitment Push Model (PS3.4 J.3.5): the class and its one well-known instance that N-ACTION names. */
/** Storage SOP classes the archive or its tests name (PS3.4 B.5); every other one is stored all the same. */
export const StorageSopClass = {
  CtImage: '1.2.840.10008.5.1.4.1.1.2',
  MrImage: '1.2.840.10008.5.1.4.1.1.4',
  SecondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  UsMultiFrameImage: '1.2.840.10008.5.1.4.1.1.3.1',
  RtDose: '1.2.840.10008.5.1.4.1.1.481.2',
  XRayRadiationDoseSr: '1.2.840.10008.5.1.4.1.1.88.67',
  OphthalmicTomography: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
} as const;

/** The DICOMDIR's SOP class (PS3.10 7.2, Media Storage Directory Storage). */
export const MEDIA_STORAGE_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10';

export const STORAGE_COMMITMENT_SOP_CLASS = '1.2.840.10008.1.20.1';
export const STORAGE_COMMITMENT_SOP_INSTANCE = '1.2.840.10008.1.20.1.1';
/** Grayscale Softcopy Presentation State Storage (PS3.4 B.5): the viewer's measurements, kept in the archive. */
export const GSPS_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.11.1';
/** Modality Performed Procedure Step (PS3.4 F.7.3). */
export const MPPS_SOP_CLASS = '1.2.840.10008.3.1.2.3.3';

/** The Query/Retrieve model a SOP class belongs to, or undefined for other classes. */
export function qrModelOf(sopClass: string): 'PATIENT' | 'STUDY' | undefined {
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.2.1.')) return 'PATIENT';
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.2.2.')) return 'STUDY';
  return undefined;
}

/** Transfer syntaxes whose pixel data is native: an object can move between them without a codec. */
export const UNCOMPRESSED_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitLittleEndian,
  TransferSyntax.ImplicitLittleEndian,
  TransferSyntax.ExplicitBigEndian,
];
