/*
#   Index layout (Conquest's dicom.sql, named by kFactorFile in dicom.ini)
#
#   Four tables, each a block of { group, element, "Column", length, SQL type, DICOM type }:
#     *Patient*  *Study*  *Series*  *Image*        and *WorkList* with an HL7 field as a seventh value
#
#   The lines below are what this archive keeps always; they may stay or go, nothing changes.
#   A line with another attribute adds a column to that table: objects stored from then on fill it, objects stored
#   before are read in the background (a job on the Monitor), and C-FIND, QIDO-RS and the Studies screen can search it.
#   For example, in *Series*:   { 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_STR },
#   DICOM types: DT_STR, DT_ISTR (matched case aside), DT_MSTR (several values: a key matches any one), DT_DATE
#   (ranges), DT_TIME, DT_UI (lists of UIDs), DT_UINT16, DT_UINT32, DT_FL, DT_FD.
#   A column taken out again is dropped only when DropIndexColumns in dicom.ini names it (Series.ProtocolName).
#   Conquest's own dicom.sql can be used as it is.
#
#   *WorkList*'s seventh value is where an HL7 order's value for that column comes from: SEG.N (field N), SEG.N.M
#   (its component M, counted from 0), SEG.N.DATE and SEG.N.TIME (a time stamp's halves), *AN (a new accession
#   number), *UI (a new UID). --- keeps this archive's own mapping (IHE RAD-4, in docs/features.md), as below.
*/

*Patient*
{
	{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR },
	{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },
	{ 0x0010, 0x0030, "PatientBirthDate", 8, SQL_C_DATE, DT_DATE },
	{ 0x0010, 0x0040, "PatientSex", 16, SQL_C_CHAR, DT_STR }
}

*Study*
{
	{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI },
	{ 0x0008, 0x0020, "StudyDate", 8, SQL_C_DATE, DT_DATE },
	{ 0x0008, 0x0030, "StudyTime", 16, SQL_C_CHAR, DT_TIME },
	{ 0x0020, 0x0010, "StudyID", 16, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x1030, "StudyDescription", 64, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x0090, "ReferPhysician", 64, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x0061, "StudyModality", 64, SQL_C_CHAR, DT_MSTR },
	{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR },
	{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }
}

*Series*
{
	{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI },
	{ 0x0020, 0x0011, "SeriesNumber", 12, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x0021, "SeriesDate", 8, SQL_C_DATE, DT_DATE },
	{ 0x0008, 0x0031, "SeriesTime", 16, SQL_C_CHAR, DT_TIME },
	{ 0x0008, 0x103e, "SeriesDescription", 64, SQL_C_CHAR, DT_STR },
	{ 0x0008, 0x0060, "Modality", 16, SQL_C_CHAR, DT_STR },
	{ 0x0018, 0x0015, "BodyPartExamined", 64, SQL_C_CHAR, DT_STR },
	{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI }
}

*Image*
{
	{ 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI },
	{ 0x0008, 0x0016, "SOPClassUID", 64, SQL_C_CHAR, DT_UI },
	{ 0x0020, 0x0013, "ImageNumber", 12, SQL_C_CHAR, DT_STR },
	{ 0x0028, 0x0008, "NumberOfFrames", 12, SQL_C_CHAR, DT_STR },
	{ 0x0028, 0x0010, "QRows", 5, SQL_C_CHAR, DT_UINT16 },
	{ 0x0028, 0x0011, "QColumns", 5, SQL_C_CHAR, DT_UINT16 },
	{ 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI }
}

*WorkList*
{
	{ 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0010, 0x0030, "PatientBirthDate", 8, SQL_C_DATE, DT_DATE, "---" },
	{ 0x0010, 0x0040, "PatientSex", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI, "---" },
	{ 0x0008, 0x0090, "ReferPhysician", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0032, 0x1060, "ReqProcDescription", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x1001, "ReqProcID", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0100, "--------", 0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
	{ 0x0008, 0x0060, "Modality", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0001, "ScheduledAE", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0002, "StartDate", 8, SQL_C_DATE, DT_DATE, "---" },
	{ 0x0040, 0x0003, "StartTime", 16, SQL_C_CHAR, DT_TIME, "---" },
	{ 0x0040, 0x0006, "PerfPhysician", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0007, "SchedPSDescription", 64, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0009, "SchedPSID", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0010, "SchedStationName", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0020, "SchedPSStatus", 16, SQL_C_CHAR, DT_STR, "---" },
	{ 0x0040, 0x0100, "---------", 0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" }
}
