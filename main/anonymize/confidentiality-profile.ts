/**
 * The Basic Application Level Confidentiality Profile (PS3.15 Annex E, Table E.1-1) as rules over tags, for the
 * attributes of the image IODs a clinic's archive holds, with the options a user chooses:
 * - Retain Longitudinal Temporal Information with Full Dates (dates and times kept),
 * - Retain Patient Characteristics (sex, age, size, weight, ethnic group, smoking and pregnancy status kept),
 * - Clean Descriptors (descriptions kept, cleaned of the patient's name and ID, instead of removed),
 * - private attributes kept (the profile removes them; a user who knows the vendor's may keep them).
 * Where the table says X/Z, X/D or X/Z/D the removal is taken (a de-identified copy need not be a valid Type 1/2 one
 * for these); Z/D is taken as Z. Attributes the table does not list here follow the table's general rules: person names
 * are emptied, dates and times removed (kept with the dates option), private attributes removed.
 *
 * Actions: X remove; Z empty; D a dummy value; K keep (sequences: their items cleaned by the same rules); C clean
 * (Clean Descriptors) else X; U a new UID, the same for the same old UID across the whole set.
 */

export type Action = 'X' | 'Z' | 'D' | 'K' | 'C' | 'U';

export interface ProfileOptions {
  retainLongitudinalFullDates?: boolean;
  retainPatientCharacteristics?: boolean;
  cleanDescriptors?: boolean;
  keepPrivateTags?: boolean;
}

/** [tag, keyword, basic action, what the options make of it]. */
type Row = [number, string, Action, ('dates' | 'characteristics' | 'descriptors')?];

const ROWS: Row[] = [
  // Patient
  [0x00100010, 'PatientName', 'Z'], [0x00100020, 'PatientID', 'Z'], [0x00100021, 'IssuerOfPatientID', 'X'],
  [0x00100030, 'PatientBirthDate', 'Z'], [0x00100032, 'PatientBirthTime', 'X'], [0x00100040, 'PatientSex', 'Z', 'characteristics'],
  [0x00100050, 'PatientInsurancePlanCodeSequence', 'X'], [0x00100101, 'PatientPrimaryLanguageCodeSequence', 'X'],
  [0x00101000, 'OtherPatientIDs', 'X'], [0x00101001, 'OtherPatientNames', 'X'], [0x00101002, 'OtherPatientIDsSequence', 'X'],
  [0x00101005, 'PatientBirthName', 'X'], [0x00101010, 'PatientAge', 'X', 'characteristics'], [0x00101020, 'PatientSize', 'X', 'characteristics'],
  [0x00101030, 'PatientWeight', 'X', 'characteristics'], [0x00101040, 'PatientAddress', 'X'], [0x00101060, 'PatientMotherBirthName', 'X'],
  [0x00101080, 'MilitaryRank', 'X'], [0x00101081, 'BranchOfService', 'X'], [0x00101090, 'MedicalRecordLocator', 'X'],
  [0x00102000, 'MedicalAlerts', 'X'], [0x00102110, 'Allergies', 'X', 'descriptors'], [0x00102150, 'CountryOfResidence', 'X'],
  [0x00102152, 'RegionOfResidence', 'X'], [0x00102154, 'PatientTelephoneNumbers', 'X'], [0x00102160, 'EthnicGroup', 'X', 'characteristics'],
  [0x00102180, 'Occupation', 'X'], [0x001021a0, 'SmokingStatus', 'X', 'characteristics'], [0x001021b0, 'AdditionalPatientHistory', 'X', 'descriptors'],
  [0x001021c0, 'PregnancyStatus', 'X', 'characteristics'], [0x001021f0, 'PatientReligiousPreference', 'X'], [0x00104000, 'PatientComments', 'X', 'descriptors'],
  [0x00380010, 'AdmissionID', 'X'], [0x00380400, 'PatientInstitutionResidence', 'X'], [0x00380500, 'PatientState', 'X', 'descriptors'],
  [0x00403001, 'ConfidentialityConstraintOnPatientDataDescription', 'X'],
  // Study
  [0x00080020, 'StudyDate', 'Z', 'dates'], [0x00080030, 'StudyTime', 'Z', 'dates'], [0x00080050, 'AccessionNumber', 'Z'],
  [0x00080090, 'ReferringPhysicianName', 'Z'], [0x00080092, 'ReferringPhysicianAddress', 'X'], [0x00080094, 'ReferringPhysicianTelephoneNumbers', 'X'],
  [0x00080096, 'ReferringPhysicianIdentificationSequence', 'X'], [0x0008009c, 'ConsultingPhysicianName', 'X'],
  [0x00081030, 'StudyDescription', 'X', 'descriptors'], [0x00081032, 'ProcedureCodeSequence', 'X', 'descriptors'],
  [0x00081048, 'PhysiciansOfRecord', 'X'], [0x00081060, 'NameOfPhysiciansReadingStudy', 'X'], [0x00081062, 'PhysiciansReadingStudyIdentificationSequence', 'X'],
  [0x00081080, 'AdmittingDiagnosesDescription', 'X', 'descriptors'], [0x00081084, 'AdmittingDiagnosesCodeSequence', 'X', 'descriptors'],
  [0x0020000d, 'StudyInstanceUID', 'U'], [0x00200010, 'StudyID', 'Z'], [0x00321032, 'RequestingPhysician', 'X'], [0x00321033, 'RequestingService', 'X'],
  [0x00321060, 'RequestedProcedureDescription', 'X', 'descriptors'], [0x00324000, 'StudyComments', 'X', 'descriptors'],
  [0x00401001, 'RequestedProcedureID', 'X'], [0x00401400, 'RequestedProcedureComments', 'X', 'descriptors'], [0x00402016, 'PlacerOrderNumberImagingServiceRequest', 'X'],
  [0x00402017, 'FillerOrderNumberImagingServiceRequest', 'X'], [0x00402400, 'ImagingServiceRequestComments', 'X', 'descriptors'],
  // Series, equipment, acquisition
  [0x00080012, 'InstanceCreationDate', 'X', 'dates'], [0x00080013, 'InstanceCreationTime', 'X', 'dates'], [0x00080014, 'InstanceCreatorUID', 'U'],
  [0x00080018, 'SOPInstanceUID', 'U'], [0x00080021, 'SeriesDate', 'X', 'dates'], [0x00080022, 'AcquisitionDate', 'X', 'dates'],
  [0x00080023, 'ContentDate', 'Z', 'dates'], [0x0008002a, 'AcquisitionDateTime', 'X', 'dates'], [0x00080031, 'SeriesTime', 'X', 'dates'],
  [0x00080032, 'AcquisitionTime', 'X', 'dates'], [0x00080033, 'ContentTime', 'Z', 'dates'], [0x00080080, 'InstitutionName', 'X'],
  [0x00080081, 'InstitutionAddress', 'X'], [0x00080082, 'InstitutionCodeSequence', 'X'], [0x00080201, 'TimezoneOffsetFromUTC', 'X', 'dates'],
  [0x00081010, 'StationName', 'X'], [0x0008103e, 'SeriesDescription', 'X', 'descriptors'], [0x00081040, 'InstitutionalDepartmentName', 'X'],
  [0x00081050, 'PerformingPhysicianName', 'X'], [0x00081052, 'PerformingPhysicianIdentificationSequence', 'X'], [0x00081070, 'OperatorsName', 'X'],
  [0x00081072, 'OperatorIdentificationSequence', 'X'], [0x00081155, 'ReferencedSOPInstanceUID', 'U'], [0x00083010, 'IrradiationEventUID', 'U'],
  [0x00084000, 'IdentifyingComments', 'X'], [0x00181000, 'DeviceSerialNumber', 'X'], [0x00181002, 'DeviceUID', 'U'], [0x00181004, 'PlateID', 'X'],
  [0x00181005, 'GeneratorID', 'X'], [0x00181007, 'CassetteID', 'X'], [0x00181030, 'ProtocolName', 'X', 'descriptors'],
  [0x00181400, 'AcquisitionDeviceProcessingDescription', 'X', 'descriptors'], [0x00184000, 'AcquisitionComments', 'X', 'descriptors'],
  [0x0018700a, 'DetectorID', 'X'], [0x00189424, 'AcquisitionProtocolDescription', 'X', 'descriptors'],
  [0x0020000e, 'SeriesInstanceUID', 'U'], [0x00200052, 'FrameOfReferenceUID', 'U'], [0x00200200, 'SynchronizationFrameOfReferenceUID', 'U'],
  [0x00204000, 'ImageComments', 'X', 'descriptors'], [0x00209161, 'ConcatenationUID', 'U'], [0x00209164, 'DimensionOrganizationUID', 'U'],
  [0x30060024, 'ReferencedFrameOfReferenceUID', 'U'], [0x00880140, 'StorageMediaFileSetUID', 'U'], [0x0040a124, 'UID', 'U'],
  // Performed procedure, structured content, provenance
  [0x00400241, 'PerformedStationAETitle', 'X'], [0x00400242, 'PerformedStationName', 'X'], [0x00400243, 'PerformedLocation', 'X'],
  [0x00400244, 'PerformedProcedureStepStartDate', 'X', 'dates'], [0x00400245, 'PerformedProcedureStepStartTime', 'X', 'dates'],
  [0x00400253, 'PerformedProcedureStepID', 'X'], [0x00400254, 'PerformedProcedureStepDescription', 'X', 'descriptors'],
  [0x00400275, 'RequestAttributesSequence', 'X'], [0x00400280, 'CommentsOnThePerformedProcedureStep', 'X', 'descriptors'],
  [0x00400555, 'AcquisitionContextSequence', 'X'], [0x00404035, 'ActualHumanPerformersSequence', 'X'], [0x0040a078, 'AuthorObserverSequence', 'X'],
  [0x0040a075, 'VerifyingObserverName', 'D'], [0x0040a730, 'ContentSequence', 'X'], [0x00700084, 'ContentCreatorName', 'Z'],
  [0x04000561, 'OriginalAttributesSequence', 'X'],
];

export const PROFILE: ReadonlyMap<number, Row> = new Map(ROWS.map((r) => [r[0], r]));

/** Overlay Data and Overlay Comments of any overlay group (60xx,3000), (60xx,4000), and curves (50xx,eeee): removed. */
function repeatingGroupAction(tag: number): Action | undefined {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (group >= 0x6000 && group <= 0x601e && (group & 1) === 0 && (element === 0x3000 || element === 0x4000)) return 'X';
  if (group >= 0x5000 && group <= 0x501e && (group & 1) === 0) return 'X';
  return undefined;
}

const DATE_VRS = new Set(['DA', 'DT', 'TM']);

/** What the profile (with the options) does to an element of this tag and VR. */
export function actionFor(tag: number, vr: string, options: ProfileOptions): Action {
  const group = tag >>> 16;
  if (group & 1) return options.keepPrivateTags ? 'K' : 'X';
  const row = PROFILE.get(tag);
  if (row) {
    const [, , basic, option] = row;
    if (option === 'dates' && options.retainLongitudinalFullDates) return 'K';
    if (option === 'characteristics' && options.retainPatientCharacteristics) return 'K';
    if (option === 'descriptors') return options.cleanDescriptors ? 'C' : basic;
    return basic;
  }
  const repeating = repeatingGroupAction(tag);
  if (repeating) return repeating;
  if (vr === 'PN') return 'Z';
  if (DATE_VRS.has(vr)) return options.retainLongitudinalFullDates ? 'K' : 'X';
  return 'K';
}

/** The de-identification method's codes (PS3.16 CID 7050) for the options used. */
export function methodCodes(options: ProfileOptions): [string, string][] {
  return [
    ['113100', 'Basic Application Confidentiality Profile'],
    ...(options.retainLongitudinalFullDates ? [['113106', 'Retain Longitudinal Temporal Information Full Dates Option'] as [string, string]] : []),
    ...(options.retainPatientCharacteristics ? [['113108', 'Retain Patient Characteristics Option'] as [string, string]] : []),
    ...(options.cleanDescriptors ? [['113105', 'Clean Descriptors Option'] as [string, string]] : []),
  ];
}
