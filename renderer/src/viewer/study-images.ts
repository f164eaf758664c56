import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import type { FindAnswer } from '../../../main/api/contract.ts';
import { api, wadoImageId } from '../api.ts';
import { TransferSyntax, UNCOMPRESSED_SYNTAXES } from '../../../common/uids.ts';
import type { ViewerSeries } from './viewer-series.ts';

/**
 * The syntaxes cornerstone's WADO image loader decodes in the browser. Anything else (HTJ2K's final UIDs, which the
 * loader does not know) is asked of the server in explicit VR little endian, decoded by the core's codecs.
 */
const BROWSER_DECODES: ReadonlySet<string> = new Set([
  ...UNCOMPRESSED_SYNTAXES,
  TransferSyntax.DeflatedExplicitLittleEndian,
  TransferSyntax.Rle,
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSV1,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
]);

/** What the viewer shows of a study: its series in order, and each series' image ids (one per frame) in order. */

export type { ViewerSeries } from './viewer-series.ts';

export async function studyInfo(studyUid: string): Promise<FindAnswer | undefined> {
  const keys = {
    StudyInstanceUID: studyUid,
    PatientName: '',
    PatientID: '',
    PatientBirthDate: '',
    PatientSex: '',
    StudyDate: '',
    StudyDescription: '',
    AccessionNumber: '',
  };
  return (await api(ENDPOINTS.studies, { body: { level: 'STUDY', keys } }))[0];
}

export async function studySeries(studyUid: string): Promise<ViewerSeries[]> {
  const keys = {
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: '',
    SeriesNumber: '',
    Modality: '',
    SeriesDescription: '',
    NumberOfSeriesRelatedInstances: '',
  };
  const rows = await api(ENDPOINTS.studies, { body: { level: 'SERIES', keys } });
  return rows
    .map((r) => ({
      uid: r.SeriesInstanceUID!,
      number: r.SeriesNumber ?? '',
      modality: r.Modality ?? '',
      description: r.SeriesDescription ?? '',
      count: Number(r.NumberOfSeriesRelatedInstances) || 0,
    }))
    .sort((a, b) => (Number(a.number) || 0) - (Number(b.number) || 0));
}

export interface ViewerImage {
  imageId: string;
  sopInstanceUid: string;
}

export async function seriesImages(studyUid: string, seriesUid: string): Promise<ViewerImage[]> {
  const keys = {
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    SOPInstanceUID: '',
    InstanceNumber: '',
    NumberOfFrames: '',
    AvailableTransferSyntaxUID: '',
  };
  const rows = await api(ENDPOINTS.studies, { body: { level: 'IMAGE', keys } });
  rows.sort((a, b) => (Number(a.InstanceNumber) || 0) - (Number(b.InstanceNumber) || 0));
  return rows.flatMap((r) => {
    const uid = r.SOPInstanceUID!;
    const frames = Number(r.NumberOfFrames) || 1;
    const stored = r.AvailableTransferSyntaxUID ?? '';
    const base =
      wadoImageId(uid) +
      (stored && !BROWSER_DECODES.has(stored) ? `&transferSyntax=${TransferSyntax.ExplicitLittleEndian}` : '');
    // The loader reads the frame from the image id's frame parameter, counting from 0.
    return frames > 1
      ? Array.from({ length: frames }, (_, i) => ({ imageId: `${base}&frame=${i}`, sopInstanceUid: uid }))
      : [{ imageId: base, sopInstanceUid: uid }];
  });
}
