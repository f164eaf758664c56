import type { StoredInstance } from '../index/archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { DicomTranscoder } from '../codec/transcoder.ts';
import type { RenderRequest } from '../codec/render.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { HttpError, Streamed } from './router.ts';

/**
 * One frame of a stored object as a picture (WADO-URI, WADO-RS rendered and thumbnails, the study list's thumbnails),
 * answered as such; 422 with the reason when it cannot be rendered so.
 */
export async function picture(
  source: { objectFile(location: StoredLocation): string; transcoder: Pick<DicomTranscoder, 'render'> },
  inst: StoredInstance,
  request: RenderRequest,
): Promise<Streamed> {
  let bytes: Buffer;
  try {
    const stored = await readDataSetBytes(source.objectFile(inst.location));
    bytes = await source.transcoder.render(stored.bytes, stored.transferSyntaxUid, request);
  } catch (err) {
    // No pixel data, a frame it does not have, a photometric interpretation not rendered.
    throw new HttpError(422, `${inst.sopInstanceUid}: ${(err as Error).message}`);
  }
  return new Streamed(async (res) => {
    res.writeHead(200, {
      'content-type': request.contentType,
      'content-length': bytes.length,
      'cache-control': 'private, max-age=3600',
    });
    res.end(bytes);
  });
}
