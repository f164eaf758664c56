import type http from 'node:http';
import { DicomWebError } from './errors.ts';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { parseDataSet, textOf, type DataSet } from '../dicom/dataset.ts';
import { TransferSyntax, encodingOf } from '../../common/uids.ts';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { DicomTranscoder } from '../codec/transcoder.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { framesOf } from '../codec/fragments.ts';
import { PixelTag, frameLength, pixelModuleOf } from '../codec/pixel-module.ts';
import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import { qrRequestFrom } from '../query/identifier.ts';
import { MultipartWriter, mediaType, writeOrWait } from './multipart.ts';
import { jsonFromDataSet, tagKey } from './dicom-json.ts';
import { xmlFromJson } from './dicom-xml.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * WADO-RS (PS3.18 10.4): studies, series and instances as multipart/related application/dicom, each object streamed
 * from its file as stored (transfer-syntax=*) or converted by the codecs to the syntax the Accept header asks for
 * (Explicit VR Little Endian when it names none, as the standard says); their metadata in the DICOM JSON model with
 * BulkDataURIs for pixel data and other large values; bulk data and frames. Objects go one at a time: a study of any
 * size never sits in memory.
 */

/** Objects up to this size are read whole; larger ones stream. */
const WHOLE_READ_LIMIT = 32 << 20;
const READ_AHEAD = 3;

export interface WadoRsDeps {
  index: Pick<ArchiveIndex, 'instancesMatching'>;
  objectFile(location: StoredLocation): string;
  transcoder: Pick<DicomTranscoder, 'canTranscode' | 'transcode'>;
}

export interface RetrieveScope {
  studyUid: string;
  seriesUid?: string;
  sopInstanceUid?: string;
}

/**
 * A path names one study, series or instance (PS3.18 10.4.1): not a list (`\`), a wildcard or nothing, which as a
 * matching key would read every study of the archive, or several under one request.
 */
function oneUid(what: string, uid: string | undefined): void {
  if (uid === undefined) return;
  if (!uid || uid.length > 64 || /[\\*?]/.test(uid))
    throw new DicomWebError(400, `"${uid.slice(0, 80)}" is not one ${what} UID`);
}

/** The stored instances of a study, series or instance, in series and instance order; 404 when there are none. */
export async function instancesOf(deps: WadoRsDeps, scope: RetrieveScope): Promise<StoredInstance[]> {
  oneUid('study', scope.studyUid);
  oneUid('series', scope.seriesUid);
  oneUid('instance', scope.sopInstanceUid);
  const keys: Record<string, string> = { StudyInstanceUID: scope.studyUid };
  if (scope.seriesUid) keys.SeriesInstanceUID = scope.seriesUid;
  if (scope.sopInstanceUid) keys.SOPInstanceUID = scope.sopInstanceUid;
  const level = scope.sopInstanceUid ? 'IMAGE' : scope.seriesUid ? 'SERIES' : 'STUDY';
  const request = qrRequestFrom(identifierFromKeywords(keys, level), 'STUDY');
  const found = await deps.index.instancesMatching(request.conditions);
  if (!found.length)
    throw new DicomWebError(
      404,
      `no ${scope.sopInstanceUid ? `instance ${scope.sopInstanceUid}` : scope.seriesUid ? `series ${scope.seriesUid}` : `study ${scope.studyUid}`} here`,
    );
  return found;
}

/** The media ranges of an Accept header, best first (by q, then as written). */
export function acceptRanges(accept: string | undefined): { type: string; params: Record<string, string> }[] {
  const ranges = (accept ?? '*/*')
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((r) => mediaType(r))
    .filter((r) => r.type);
  return ranges
    .map((r, i) => ({ r, i, q: r.params.q === undefined ? 1 : Number(r.params.q) }))
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((x) => x.r);
}

/** The transfer syntax to send application/dicom parts in ('*': as stored), or a 406 naming what we offer. */
export function dicomSyntaxFor(accept: string | undefined): string {
  for (const r of acceptRanges(accept)) {
    if (r.type === '*/*' || r.type === 'multipart/*') return TransferSyntax.ExplicitLittleEndian;
    if (r.type !== 'multipart/related' && r.type !== 'application/dicom') continue;
    const partType =
      r.type === 'application/dicom' ? 'application/dicom' : (r.params.type ?? 'application/dicom').toLowerCase();
    if (partType !== 'application/dicom') continue;
    return r.params['transfer-syntax'] ?? TransferSyntax.ExplicitLittleEndian;
  }
  throw new DicomWebError(
    406,
    'this resource is given as multipart/related; type="application/dicom" (transfer-syntax=* for objects as stored)',
  );
}

/** Objects as multipart/related application/dicom, each as stored or converted to `syntax`. */
export async function writeInstances(
  res: http.ServerResponse,
  deps: WadoRsDeps,
  instances: StoredInstance[],
  syntax: string,
): Promise<void> {
  // Refuse before the first byte when a conversion cannot be made for some object.
  if (syntax !== '*') {
    const stuck = instances.find((i) => !deps.transcoder.canTranscode(i.transferSyntaxUid, syntax));
    if (stuck)
      throw new DicomWebError(
        406,
        `${stuck.sopInstanceUid} (${stuck.transferSyntaxUid}) cannot be given in ${syntax}; ask with transfer-syntax=* for objects as stored`,
      );
  }
  // Up to three objects are read (or converted) ahead while the current one is written, as C-MOVE does.
  const prepare = async (
    inst: StoredInstance,
  ): Promise<{ type: string; body: Uint8Array | AsyncIterable<Uint8Array> }> => {
    const file = deps.objectFile(inst.location);
    if (syntax === '*' || syntax === inst.transferSyntaxUid) {
      // The file as it is: its own meta header names its syntax. Whole when it fits comfortably in memory.
      const { size } = await stat(file);
      return {
        type: syntax === '*' ? inst.transferSyntaxUid : syntax,
        body: size <= WHOLE_READ_LIMIT ? await readFile(file) : createReadStream(file),
      };
    }
    const stored = await readDataSetBytes(file);
    const body = await deps.transcoder.transcode(stored.bytes, stored.transferSyntaxUid, syntax);
    const meta = encodeFileMeta({
      sopClassUid: inst.sopClassUid,
      sopInstanceUid: inst.sopInstanceUid,
      transferSyntaxUid: syntax,
    });
    return { type: syntax, body: Buffer.concat([meta, body]) };
  };
  const out = new MultipartWriter(res, 'application/dicom');
  const ahead: Promise<Awaited<ReturnType<typeof prepare>>>[] = [];
  for (let i = 0; i < instances.length; i++) {
    while (ahead.length < READ_AHEAD && i + ahead.length < instances.length) {
      const next = prepare(instances[i + ahead.length]!);
      next.catch(() => undefined); // awaited in its turn; not an unhandled rejection meanwhile
      ahead.push(next);
    }
    const part = await ahead.shift()!;
    await out.part({ 'Content-Type': `application/dicom; transfer-syntax=${part.type}` }, part.body);
  }
  await out.end();
}

/** A stored object's data set, parsed (deflated ones inflated first), and the syntax its values were in. */
async function parsedObject(
  deps: WadoRsDeps,
  inst: StoredInstance,
): Promise<{ ds: DataSet; transferSyntaxUid: string }> {
  return parsed(await readDataSetBytes(deps.objectFile(inst.location)));
}

function parsed(stored: { bytes: Buffer; transferSyntaxUid: string }): { ds: DataSet; transferSyntaxUid: string } {
  if (stored.transferSyntaxUid === TransferSyntax.DeflatedExplicitLittleEndian) {
    return {
      ds: parseDataSet(inflateRawSync(stored.bytes), encodingOf(TransferSyntax.ExplicitLittleEndian)),
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
    };
  }
  return {
    ds: parseDataSet(stored.bytes, encodingOf(stored.transferSyntaxUid)),
    transferSyntaxUid: stored.transferSyntaxUid,
  };
}

const uidOf = (ds: DataSet, tag: number) => textOf(ds.get(tag));

/** The instance's URL under the DICOMweb base, from its own UIDs. */
export function instanceUrl(baseUrl: string, study: string, series: string, sop: string): string {
  return `${baseUrl}/studies/${study}/series/${series}/instances/${sop}`;
}

/** The answer's form for JSON-or-XML resources (QIDO-RS, metadata) from the Accept header; a 406 when neither. */
export function modelFor(accept: string | undefined): 'json' | 'xml' {
  for (const r of acceptRanges(accept)) {
    if (
      r.type === 'application/dicom+json' ||
      r.type === 'application/json' ||
      r.type === '*/*' ||
      r.type === 'application/*'
    )
      return 'json';
    if (
      r.type === 'application/dicom+xml' ||
      (r.type === 'multipart/related' && (r.params.type ?? '').toLowerCase() === 'application/dicom+xml')
    )
      return 'xml';
  }
  throw new DicomWebError(
    406,
    'this resource is given as application/dicom+json, or as multipart/related; type="application/dicom+xml"',
  );
}

/** Metadata (PS3.18 10.4.1.1.2): one data set per instance, streamed as a JSON array or as XML parts. */
export async function writeMetadata(
  res: http.ServerResponse,
  deps: WadoRsDeps,
  instances: StoredInstance[],
  baseUrl: string,
  model: 'json' | 'xml' = 'json',
): Promise<void> {
  const json = (ds: DataSet, inst: StoredInstance) => {
    const url = instanceUrl(
      baseUrl,
      uidOf(ds, Tag.StudyInstanceUID),
      uidOf(ds, Tag.SeriesInstanceUID),
      inst.sopInstanceUid,
    );
    return jsonFromDataSet(ds, {
      bulkDataUri: (tag) =>
        tag === PixelTag.PixelData ? `${url}/frames/${frameList(ds)}` : `${url}/bulk/${tagKey(tag)}`,
    });
  };
  if (model === 'xml') {
    const out = new MultipartWriter(res, 'application/dicom+xml');
    for (const inst of instances) {
      const { ds } = await parsedObject(deps, inst);
      await out.part({ 'Content-Type': 'application/dicom+xml' }, Buffer.from(xmlFromJson(json(ds, inst))));
    }
    await out.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/dicom+json', 'cache-control': 'no-store' });
  const write = (text: string) => writeOrWait(res, text);
  await write('[');
  for (const [n, inst] of instances.entries()) {
    const { ds } = await parsedObject(deps, inst);
    await write(`${n ? ',' : ''}${JSON.stringify(json(ds, inst))}`);
  }
  res.end(']');
}

/** "1,2,...,n" for an object's frames. */
function frameList(ds: DataSet): string {
  const n = Number(textOf(ds.get(PixelTag.NumberOfFrames))) || 1;
  return Array.from({ length: n }, (_, i) => i + 1).join(',');
}

/** Media types of compressed frames as stored (PS3.18 Table 8.7.3-2), by transfer syntax. */
const FRAME_MEDIA: Record<string, string> = {
  [TransferSyntax.JpegBaseline]: 'image/jpeg',
  [TransferSyntax.JpegExtended]: 'image/jpeg',
  [TransferSyntax.JpegLossless]: 'image/jpeg',
  [TransferSyntax.JpegLosslessSV1]: 'image/jpeg',
  [TransferSyntax.JpegLsLossless]: 'image/jls',
  [TransferSyntax.JpegLsNearLossless]: 'image/jls',
  [TransferSyntax.Jpeg2000Lossless]: 'image/jp2',
  [TransferSyntax.Jpeg2000]: 'image/jp2',
  [TransferSyntax.HtJpeg2000Lossless]: 'image/jphc',
  [TransferSyntax.HtJpeg2000LosslessRpcl]: 'image/jphc',
  [TransferSyntax.HtJpeg2000]: 'image/jphc',
  [TransferSyntax.Rle]: 'image/x-dicom-rle',
};

/**
 * Frames (PS3.18 10.4.1.1.3), numbered from 1: native pixels as application/octet-stream (decoded by the codecs when
 * stored compressed), or as stored with transfer-syntax=* (compressed ones in their own media type).
 */
export async function writeFrames(
  res: http.ServerResponse,
  deps: WadoRsDeps,
  inst: StoredInstance,
  list: string,
  accept: string | undefined,
): Promise<void> {
  const numbers = list.split(',').map((f) => Number(f.trim()));
  if (!numbers.length || numbers.some((n) => !Number.isInteger(n) || n < 1))
    throw new DicomWebError(400, `"${list}" is not a list of frame numbers from 1`);
  let asStored = false;
  let chosen = false;
  for (const r of acceptRanges(accept)) {
    if (r.type === '*/*' || r.type === 'multipart/*') {
      chosen = true;
      break;
    }
    if (r.type !== 'multipart/related') continue;
    const partType = (r.params.type ?? 'application/octet-stream').toLowerCase();
    const syntax = r.params['transfer-syntax'];
    if (syntax === '*') {
      asStored = true;
      chosen = true;
      break;
    }
    if (partType === 'application/octet-stream' && (!syntax || syntax === TransferSyntax.ExplicitLittleEndian)) {
      chosen = true;
      break;
    }
    if (syntax === inst.transferSyntaxUid || FRAME_MEDIA[inst.transferSyntaxUid] === partType) {
      asStored = true;
      chosen = true;
      break;
    }
  }
  if (!chosen)
    throw new DicomWebError(
      406,
      'frames are given as multipart/related; type="application/octet-stream" (uncompressed), or as stored with transfer-syntax=*',
    );
  // Read once: parsed as stored, and converted from the same bytes when the frames are wanted native.
  const stored = await readDataSetBytes(deps.objectFile(inst.location));
  let { ds, transferSyntaxUid } = parsed(stored);
  const compressed = !Buffer.isBuffer(ds.get(PixelTag.PixelData)?.value);
  if (compressed && !asStored) {
    const native = await deps.transcoder.transcode(
      stored.bytes,
      stored.transferSyntaxUid,
      TransferSyntax.ExplicitLittleEndian,
    );
    ds = parseDataSet(native, encodingOf(TransferSyntax.ExplicitLittleEndian));
    transferSyntaxUid = TransferSyntax.ExplicitLittleEndian;
  }
  const pixel = ds.get(PixelTag.PixelData);
  if (!pixel) throw new DicomWebError(404, `${inst.sopInstanceUid} has no pixel data`);
  const p = pixelModuleOf(ds);
  if (numbers.some((n) => n > p.frames))
    throw new DicomWebError(404, `${inst.sopInstanceUid} has ${p.frames} frame(s)`);
  const frames = Buffer.isBuffer(pixel.value)
    ? undefined
    : framesOf((pixel.value as { fragments: Buffer }).fragments, p.frames);
  const media = frames ? (FRAME_MEDIA[transferSyntaxUid] ?? 'application/octet-stream') : 'application/octet-stream';
  const out = new MultipartWriter(res, media);
  const size = frameLength(p);
  for (const n of numbers) {
    const body = frames ? frames[n - 1]! : (pixel.value as Buffer).subarray((n - 1) * size, n * size);
    await out.part({ 'Content-Type': `${media}; transfer-syntax=${transferSyntaxUid}` }, body);
  }
  await out.end();
}

/** A large binary value of the instance's top level (the BulkDataURIs of its metadata), as application/octet-stream. */
export async function writeBulk(
  res: http.ServerResponse,
  deps: WadoRsDeps,
  inst: StoredInstance,
  tagText: string,
): Promise<void> {
  if (!/^[0-9A-Fa-f]{8}$/.test(tagText)) throw new DicomWebError(400, `"${tagText}" is not a tag (eight hex digits)`);
  const { ds } = await parsedObject(deps, inst);
  const e = ds.get(parseInt(tagText, 16));
  if (!e || !Buffer.isBuffer(e.value))
    throw new DicomWebError(404, `${inst.sopInstanceUid} has no bulk data at ${tagText.toUpperCase()}`);
  const out = new MultipartWriter(res, 'application/octet-stream');
  await out.part({ 'Content-Type': 'application/octet-stream' }, e.value);
  await out.end();
}
