import { Tag } from '../dicom/tags.ts';
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
  [Tag.PatientName, 'PatientName', 'Z'],
  [Tag.PatientID, 'PatientID', 'Z'],
  [Tag.IssuerOfPatientID, 'IssuerOfPatientID', 'X'],
  [Tag.PatientBirthDate, 'PatientBirthDate', 'Z'],
  [Tag.PatientBirthTime, 'PatientBirthTime', 'X'],
  [Tag.PatientSex, 'PatientSex', 'Z', 'characteristics'],
  [Tag.PatientInsurancePlanCodeSequence, 'PatientInsurancePlanCodeSequence', 'X'],
  [Tag.PatientPrimaryLanguageCodeSequence, 'PatientPrimaryLanguageCodeSequence', 'X'],
  [Tag.OtherPatientIDs, 'OtherPatientIDs', 'X'],
  [Tag.OtherPatientNames, 'OtherPatientNames', 'X'],
  [Tag.OtherPatientIDsSequence, 'OtherPatientIDsSequence', 'X'],
  [Tag.PatientBirthName, 'PatientBirthName', 'X'],
  [Tag.PatientAge, 'PatientAge', 'X', 'characteristics'],
  [Tag.PatientSize, 'PatientSize', 'X', 'characteristics'],
  [Tag.PatientWeight, 'PatientWeight', 'X', 'characteristics'],
  [Tag.PatientAddress, 'PatientAddress', 'X'],
  [Tag.PatientMotherBirthName, 'PatientMotherBirthName', 'X'],
  [Tag.MilitaryRank, 'MilitaryRank', 'X'],
  [Tag.BranchOfService, 'BranchOfService', 'X'],
  [Tag.MedicalRecordLocator, 'MedicalRecordLocator', 'X'],
  [Tag.MedicalAlerts, 'MedicalAlerts', 'X'],
  [Tag.Allergies, 'Allergies', 'X', 'descriptors'],
  [Tag.CountryOfResidence, 'CountryOfResidence', 'X'],
  [Tag.RegionOfResidence, 'RegionOfResidence', 'X'],
  [Tag.PatientTelephoneNumbers, 'PatientTelephoneNumbers', 'X'],
  [Tag.EthnicGroup, 'EthnicGroup', 'X', 'characteristics'],
  [Tag.Occupation, 'Occupation', 'X'],
  [Tag.SmokingStatus, 'SmokingStatus', 'X', 'characteristics'],
  [Tag.AdditionalPatientHistory, 'AdditionalPatientHistory', 'X', 'descriptors'],
  [Tag.PregnancyStatus, 'PregnancyStatus', 'X', 'characteristics'],
  [Tag.PatientReligiousPreference, 'PatientReligiousPreference', 'X'],
  [Tag.PatientComments, 'PatientComments', 'X', 'descriptors'],
  [Tag.AdmissionID, 'AdmissionID', 'X'],
  [Tag.PatientInstitutionResidence, 'PatientInstitutionResidence', 'X'],
  [Tag.PatientState, 'PatientState', 'X', 'descriptors'],
  [Tag.ConfidentialityConstraintOnPatientDataDescription, 'ConfidentialityConstraintOnPatientDataDescription', 'X'],
  // Study
  [Tag.StudyDate, 'StudyDate', 'Z', 'dates'],
  [Tag.StudyTime, 'StudyTime', 'Z', 'dates'],
  [Tag.AccessionNumber, 'AccessionNumber', 'Z'],
  [Tag.ReferringPhysicianName, 'ReferringPhysicianName', 'Z'],
  [Tag.ReferringPhysicianAddress, 'ReferringPhysicianAddress', 'X'],
  [Tag.ReferringPhysicianTelephoneNumbers, 'ReferringPhysicianTelephoneNumbers', 'X'],
  [Tag.ReferringPhysicianIdentificationSequence, 'ReferringPhysicianIdentificationSequence', 'X'],
  [Tag.ConsultingPhysicianName, 'ConsultingPhysicianName', 'X'],
  [Tag.StudyDescription, 'StudyDescription', 'X', 'descriptors'],
  [Tag.ProcedureCodeSequence, 'ProcedureCodeSequence', 'X', 'descriptors'],
  [Tag.PhysiciansOfRecord, 'PhysiciansOfRecord', 'X'],
  [Tag.NameOfPhysiciansReadingStudy, 'NameOfPhysiciansReadingStudy', 'X'],
  [Tag.PhysiciansReadingStudyIdentificationSequence, 'PhysiciansReadingStudyIdentificationSequence', 'X'],
  [Tag.AdmittingDiagnosesDescription, 'AdmittingDiagnosesDescription', 'X', 'descriptors'],
  [Tag.AdmittingDiagnosesCodeSequence, 'AdmittingDiagnosesCodeSequence', 'X', 'descriptors'],
  [Tag.StudyInstanceUID, 'StudyInstanceUID', 'U'],
  [Tag.StudyID, 'StudyID', 'Z'],
  [Tag.RequestingPhysician, 'RequestingPhysician', 'X'],
  [Tag.RequestingService, 'RequestingService', 'X'],
  [Tag.RequestedProcedureDescription, 'RequestedProcedureDescription', 'X', 'descriptors'],
  [Tag.RETIRED_StudyComments, 'StudyComments', 'X', 'descriptors'],
  [Tag.RequestedProcedureID, 'RequestedProcedureID', 'X'],
  [Tag.RequestedProcedureComments, 'RequestedProcedureComments', 'X', 'descriptors'],
  [Tag.PlacerOrderNumberImagingServiceRequest, 'PlacerOrderNumberImagingServiceRequest', 'X'],
  [Tag.FillerOrderNumberImagingServiceRequest, 'FillerOrderNumberImagingServiceRequest', 'X'],
  [Tag.ImagingServiceRequestComments, 'ImagingServiceRequestComments', 'X', 'descriptors'],
  // Series, equipment, acquisition
  [Tag.InstanceCreationDate, 'InstanceCreationDate', 'X', 'dates'],
  [Tag.InstanceCreationTime, 'InstanceCreationTime', 'X', 'dates'],
  [Tag.InstanceCreatorUID, 'InstanceCreatorUID', 'U'],
  [Tag.SOPInstanceUID, 'SOPInstanceUID', 'U'],
  [Tag.SeriesDate, 'SeriesDate', 'X', 'dates'],
  [Tag.AcquisitionDate, 'AcquisitionDate', 'X', 'dates'],
  [Tag.ContentDate, 'ContentDate', 'Z', 'dates'],
  [Tag.AcquisitionDateTime, 'AcquisitionDateTime', 'X', 'dates'],
  [Tag.SeriesTime, 'SeriesTime', 'X', 'dates'],
  [Tag.AcquisitionTime, 'AcquisitionTime', 'X', 'dates'],
  [Tag.ContentTime, 'ContentTime', 'Z', 'dates'],
  [Tag.InstitutionName, 'InstitutionName', 'X'],
  [Tag.InstitutionAddress, 'InstitutionAddress', 'X'],
  [Tag.InstitutionCodeSequence, 'InstitutionCodeSequence', 'X'],
  [Tag.TimezoneOffsetFromUTC, 'TimezoneOffsetFromUTC', 'X', 'dates'],
  [Tag.StationName, 'StationName', 'X'],
  [Tag.SeriesDescription, 'SeriesDescription', 'X', 'descriptors'],
  [Tag.InstitutionalDepartmentName, 'InstitutionalDepartmentName', 'X'],
  [Tag.PerformingPhysicianName, 'PerformingPhysicianName', 'X'],
  [Tag.PerformingPhysicianIdentificationSequence, 'PerformingPhysicianIdentificationSequence', 'X'],
  [Tag.OperatorsName, 'OperatorsName', 'X'],
  [Tag.OperatorIdentificationSequence, 'OperatorIdentificationSequence', 'X'],
  [Tag.ReferencedSOPInstanceUID, 'ReferencedSOPInstanceUID', 'U'],
  [Tag.IrradiationEventUID, 'IrradiationEventUID', 'U'],
  [Tag.RETIRED_IdentifyingComments, 'IdentifyingComments', 'X'],
  [Tag.DeviceSerialNumber, 'DeviceSerialNumber', 'X'],
  [Tag.DeviceUID, 'DeviceUID', 'U'],
  [Tag.PlateID, 'PlateID', 'X'],
  [Tag.GeneratorID, 'GeneratorID', 'X'],
  [Tag.CassetteID, 'CassetteID', 'X'],
  [Tag.ProtocolName, 'ProtocolName', 'X', 'descriptors'],
  [Tag.AcquisitionDeviceProcessingDescription, 'AcquisitionDeviceProcessingDescription', 'X', 'descriptors'],
  [Tag.RETIRED_AcquisitionComments, 'AcquisitionComments', 'X', 'descriptors'],
  [Tag.DetectorID, 'DetectorID', 'X'],
  [Tag.AcquisitionProtocolDescription, 'AcquisitionProtocolDescription', 'X', 'descriptors'],
  [Tag.SeriesInstanceUID, 'SeriesInstanceUID', 'U'],
  [Tag.FrameOfReferenceUID, 'FrameOfReferenceUID', 'U'],
  [Tag.SynchronizationFrameOfReferenceUID, 'SynchronizationFrameOfReferenceUID', 'U'],
  [Tag.ImageComments, 'ImageComments', 'X', 'descriptors'],
  [Tag.ConcatenationUID, 'ConcatenationUID', 'U'],
  [Tag.DimensionOrganizationUID, 'DimensionOrganizationUID', 'U'],
  [Tag.ReferencedFrameOfReferenceUID, 'ReferencedFrameOfReferenceUID', 'U'],
  [Tag.StorageMediaFileSetUID, 'StorageMediaFileSetUID', 'U'],
  [Tag.UID, 'UID', 'U'],
  // Performed procedure, structured content, provenance
  [Tag.PerformedStationAETitle, 'PerformedStationAETitle', 'X'],
  [Tag.PerformedStationName, 'PerformedStationName', 'X'],
  [Tag.PerformedLocation, 'PerformedLocation', 'X'],
  [Tag.PerformedProcedureStepStartDate, 'PerformedProcedureStepStartDate', 'X', 'dates'],
  [Tag.PerformedProcedureStepStartTime, 'PerformedProcedureStepStartTime', 'X', 'dates'],
  [Tag.PerformedProcedureStepID, 'PerformedProcedureStepID', 'X'],
  [Tag.PerformedProcedureStepDescription, 'PerformedProcedureStepDescription', 'X', 'descriptors'],
  [Tag.RequestAttributesSequence, 'RequestAttributesSequence', 'X'],
  [Tag.CommentsOnThePerformedProcedureStep, 'CommentsOnThePerformedProcedureStep', 'X', 'descriptors'],
  [Tag.AcquisitionContextSequence, 'AcquisitionContextSequence', 'X'],
  [Tag.ActualHumanPerformersSequence, 'ActualHumanPerformersSequence', 'X'],
  [Tag.AuthorObserverSequence, 'AuthorObserverSequence', 'X'],
  [Tag.VerifyingObserverName, 'VerifyingObserverName', 'D'],
  [Tag.ContentSequence, 'ContentSequence', 'X'],
  [Tag.ContentCreatorName, 'ContentCreatorName', 'Z'],
  [Tag.OriginalAttributesSequence, 'OriginalAttributesSequence', 'X'],
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
    ...(options.retainLongitudinalFullDates
      ? [['113106', 'Retain Longitudinal Temporal Information Full Dates Option'] as [string, string]]
      : []),
    ...(options.retainPatientCharacteristics
      ? [['113108', 'Retain Patient Characteristics Option'] as [string, string]]
      : []),
    ...(options.cleanDescriptors ? [['113105', 'Clean Descriptors Option'] as [string, string]] : []),
  ];
}
