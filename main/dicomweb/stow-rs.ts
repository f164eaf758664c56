import type http from 'node:http';
import { DicomWebError } from './errors.ts';
import { readFileMeta } from '../store/file-meta.ts';
import { ObjectRefused, ingestStream, type ImportTarget } from '../archive/importer.ts';
import { Refusal } from '../util/refusal.ts';
import { MultipartError, forEachPart, mediaType } from './multipart.ts';
import { instanceUrl } from './wado-rs.ts';
import { tagKey, type JsonDataSet } from './dicom-json.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * STOW-RS (PS3.18 10.5): a multipart/related request of application/dicom parts, each stored through the same ingest
 * as a C-STORE (duplicate policy, IncomingCompression, forwarding rules, events; the calling AE is "STOW-RS"). Each part
 * is stored whole or not at all (its bytes go to the ingest's temporary file as they arrive, never held in memory); a
 * request cut short stores the parts it completed and reports nothing of the rest.
 * The answer lists what was stored (Referenced SOP Sequence) and what failed with its reason (Failed SOP Sequence).
 */

/** Failure reasons (0008,1197), as C-STORE statuses (PS3.4 B.2.3, PS3.18 Table 10.5.3-3). */
const Reason = {
  Processing: 0x0110,
  Duplicate: 0x0111,
  OutOfResources: 0xa700,
  StudyMismatch: 0xa900,
  CannotUnderstand: 0xc000,
} as const;

export interface StowOutcome {
  status: 200 | 202 | 409;
  body: JsonDataSet;
}

const ui = (v: string) => ({ vr: 'UI', Value: [v] });

/** The first bytes of a part as they pass (to name a failed object by the UIDs of its meta information). */
async function* keepingHead(chunks: AsyncIterable<Buffer>, head: Buffer[]): AsyncGenerator<Buffer> {
  let kept = 0;
  for await (const chunk of chunks) {
    if (kept < 64 * 1024) {
      head.push(chunk.subarray(0, 64 * 1024 - kept));
      kept += Math.min(chunk.length, 64 * 1024 - kept);
    }
    yield chunk;
  }
}

function uidsOf(head: Buffer[]): { sopClass: string; sop: string } {
  try {
    const meta = readFileMeta(Buffer.concat(head));
    return { sopClass: meta.sopClassUid, sop: meta.sopInstanceUid };
  } catch {
    return { sopClass: '', sop: '' };
  }
}

/** `content`: the request's bytes as they are read (counted against MaxUploadMB and the disk's reserve by the caller). */
export async function stow(
  req: http.IncomingMessage,
  content: AsyncIterable<Buffer>,
  target: ImportTarget,
  baseUrl: string,
  studyUid?: string,
): Promise<StowOutcome> {
  const { type, params } = mediaType(req.headers['content-type'] ?? '');
  if (type !== 'multipart/related' || !params.boundary)
    throw new DicomWebError(415, 'send multipart/related; type="application/dicom" with a boundary');
  if (params.type && params.type.toLowerCase() !== 'application/dicom')
    throw new DicomWebError(415, `parts of type ${params.type} are not taken: send application/dicom`);
  const stored: JsonDataSet[] = [];
  const failed: JsonDataSet[] = [];
  const fail = (sopClass: string, sop: string, reason: number) =>
    failed.push({
      [tagKey(Tag.ReferencedSOPClassUID)]: ui(sopClass),
      [tagKey(Tag.ReferencedSOPInstanceUID)]: ui(sop),
      [tagKey(Tag.FailureReason)]: { vr: 'US', Value: [reason] },
    });
  // The resource names a study: an object of another study is refused, not stored elsewhere.
  const check = studyUid
    ? (h: { studyInstanceUid: string }) =>
        h.studyInstanceUid === studyUid ? undefined : `of study ${h.studyInstanceUid}, not ${studyUid}`
    : undefined;
  let parts = 0;
  try {
    // Each part goes to the ingest's temporary file as it arrives: a part of any size is never held in memory.
    parts = await forEachPart(content, params.boundary, async (headers, chunks) => {
      const head: Buffer[] = [];
      const passing = keepingHead(chunks, head);
      if (mediaType(headers['content-type'] ?? 'application/dicom').type !== 'application/dicom') {
        // Only its first bytes are read, for its UIDs; the rest is skipped.
        while (head.reduce((n, b) => n + b.length, 0) < 64 * 1024 && !(await passing.next()).done);
        const { sopClass, sop } = uidsOf(head);
        fail(sopClass, sop, Reason.CannotUnderstand);
        return;
      }
      try {
        const { outcome, header } = await ingestStream(passing, target, 'STOW-RS', check);
        if (outcome === 'duplicate' && target.policy === 'reject') {
          fail(header.sopClassUid, header.sopInstanceUid, Reason.Duplicate);
          return;
        }
        const url = instanceUrl(baseUrl, header.studyInstanceUid, header.seriesInstanceUid, header.sopInstanceUid);
        stored.push({
          [tagKey(Tag.ReferencedSOPClassUID)]: ui(header.sopClassUid),
          [tagKey(Tag.ReferencedSOPInstanceUID)]: ui(header.sopInstanceUid),
          [tagKey(Tag.RetrieveURL)]: { vr: 'UR', Value: [url] },
        });
      } catch (err) {
        // The request itself broke off or passed a limit: not this part's fault, the whole request ends.
        if (err instanceof MultipartError || err instanceof Refusal) throw err;
        const { sopClass, sop } = uidsOf(head);
        if (err instanceof ObjectRefused) {
          fail(sopClass, sop, Reason.StudyMismatch);
          return;
        }
        const message = (err as Error).message;
        fail(
          sopClass,
          sop,
          /no space|ENOSPC|out of resources|index write failed/i.test(message)
            ? Reason.OutOfResources
            : sop
              ? Reason.Processing
              : Reason.CannotUnderstand,
        );
      }
    });
  } catch (err) {
    if (err instanceof MultipartError)
      throw new DicomWebError(400, `${err.message} (${stored.length} object(s) before it were stored)`);
    throw err;
  }
  if (!parts) throw new DicomWebError(400, 'the request has no parts');
  const body: JsonDataSet = {};
  if (studyUid) body[tagKey(Tag.RetrieveURL)] = { vr: 'UR', Value: [`${baseUrl}/studies/${studyUid}`] };
  if (failed.length) body[tagKey(Tag.FailedSOPSequence)] = { vr: 'SQ', Value: failed };
  if (stored.length) body[tagKey(Tag.ReferencedSOPSequence)] = { vr: 'SQ', Value: stored };
  return { status: failed.length === 0 ? 200 : stored.length ? 202 : 409, body };
}
