import type http from 'node:http';
import { DicomWebError } from './errors.ts';
import { readFileMeta } from '../store/file-meta.ts';
import { ObjectRefused, ingestBytes, type ImportTarget } from '../importer.ts';
import { MultipartError, mediaType, parseMultipart } from './multipart.ts';
import { instanceUrl } from './wado-rs.ts';
import { tagKey, type JsonDataSet } from './dicom-json.ts';

/**
 * STOW-RS (PS3.18 10.5): a multipart/related request of application/dicom parts, each stored through the same ingest
 * as a C-STORE (duplicate policy, IncomingCompression, forwarding rules, events; the calling AE is "STOW-RS"). Each part
 * is stored whole or not at all; a request cut short stores the parts it completed and reports nothing of the rest.
 * The answer lists what was stored (Referenced SOP Sequence) and what failed with its reason (Failed SOP Sequence).
 */

/** Failure reasons (0008,1197), as C-STORE statuses (PS3.4 B.2.3, PS3.18 Table 10.5.3-3). */
const Reason = { Processing: 0x0110, Duplicate: 0x0111, OutOfResources: 0xa700, StudyMismatch: 0xa900, CannotUnderstand: 0xc000 } as const;

const MAX_PART = 2 * 1024 * 1024 * 1024 - 1;

export interface StowOutcome {
  status: 200 | 202 | 409;
  body: JsonDataSet;
}

const ui = (v: string) => ({ vr: 'UI', Value: [v] });

export async function stow(req: http.IncomingMessage, target: ImportTarget, baseUrl: string, studyUid?: string): Promise<StowOutcome> {
  const { type, params } = mediaType(req.headers['content-type'] ?? '');
  if (type !== 'multipart/related' || !params.boundary) throw new DicomWebError(415, 'send multipart/related; type="application/dicom" with a boundary');
  if (params.type && params.type.toLowerCase() !== 'application/dicom') throw new DicomWebError(415, `parts of type ${params.type} are not taken: send application/dicom`);
  const stored: JsonDataSet[] = [];
  const failed: JsonDataSet[] = [];
  const fail = (sopClass: string, sop: string, reason: number) => failed.push({
    [tagKey(0x00081150)]: ui(sopClass), [tagKey(0x00081155)]: ui(sop), [tagKey(0x00081197)]: { vr: 'US', Value: [reason] },
  });
  let parts = 0;
  try {
    for await (const part of parseMultipart(req, params.boundary, MAX_PART)) {
      parts++;
      const partType = mediaType(part.headers['content-type'] ?? 'application/dicom').type;
      let sopClass = '';
      let sop = '';
      try {
        const meta = readFileMeta(part.body.subarray(0, 64 * 1024));
        ({ sopClassUid: sopClass, sopInstanceUid: sop } = meta);
        if (partType !== 'application/dicom') { fail(sopClass, sop, Reason.CannotUnderstand); continue; }
        // The resource names a study: an object of another study is refused, not stored elsewhere.
        const check = studyUid ? (h: { studyInstanceUid: string }) => (h.studyInstanceUid === studyUid ? undefined : `of study ${h.studyInstanceUid}, not ${studyUid}`) : undefined;
        const { outcome, header } = await ingestBytes(part.body, target, 'STOW-RS', check);
        sopClass = header.sopClassUid;
        sop = header.sopInstanceUid;
        if (outcome === 'duplicate' && target.policy === 'reject') { fail(sopClass, sop, Reason.Duplicate); continue; }
        const url = instanceUrl(baseUrl, header.studyInstanceUid, header.seriesInstanceUid, sop);
        stored.push({ [tagKey(0x00081150)]: ui(sopClass), [tagKey(0x00081155)]: ui(sop), [tagKey(0x00081190)]: { vr: 'UR', Value: [url] } });
      } catch (err) {
        if (err instanceof ObjectRefused) { fail(sopClass, sop, Reason.StudyMismatch); continue; }
        const message = (err as Error).message;
        fail(sopClass, sop, /no space|ENOSPC|out of resources|index write failed/i.test(message) ? Reason.OutOfResources : sop ? Reason.Processing : Reason.CannotUnderstand);
      }
    }
  } catch (err) {
    if (err instanceof MultipartError) throw new DicomWebError(400, `${err.message} (${stored.length} object(s) before it were stored)`);
    throw err;
  }
  if (!parts) throw new DicomWebError(400, 'the request has no parts');
  const body: JsonDataSet = {};
  if (studyUid) body[tagKey(0x00081190)] = { vr: 'UR', Value: [`${baseUrl}/studies/${studyUid}`] };
  if (failed.length) body[tagKey(0x00081198)] = { vr: 'SQ', Value: failed };
  if (stored.length) body[tagKey(0x00081199)] = { vr: 'SQ', Value: stored };
  return { status: failed.length === 0 ? 200 : stored.length ? 202 : 409, body };
}
