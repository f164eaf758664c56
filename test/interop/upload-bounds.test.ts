import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, open, readdir, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';

/**
 * Uploads bounded in bytes, memory and disk (issue 30.9), driven over HTTP as a technician's browser or a DICOMweb
 * client would: chunked bodies (no Content-Length) counted against MaxUploadMB as they are read, a large STOW-RS part
 * passed to the disk as it arrives instead of held, and uploads stopped before they take the space kept for the
 * modalities (MAGDeviceFullThreshold), while a storescu still stores.
 */

/** A body sent in pieces without a declared length (Transfer-Encoding: chunked), `total` bytes of `piece`. */
function chunkedBody(total: number, piece: Buffer, head?: Buffer, tail?: Buffer): ReadableStream<Uint8Array> {
  let sent = 0;
  let headSent = !head;
  return new ReadableStream({
    pull(controller) {
      if (!headSent) {
        controller.enqueue(head!);
        headSent = true;
        return;
      }
      if (sent >= total) {
        if (tail) controller.enqueue(tail);
        controller.close();
        return;
      }
      const n = Math.min(piece.length, total - sent);
      controller.enqueue(piece.subarray(0, n));
      sent += n;
    },
  });
}

function post(
  archive: TestArchive,
  route: string,
  contentType: string,
  body: ReadableStream<Uint8Array>,
): Promise<Response> {
  return fetch(`${archive.server.apiUrl}${route}`, {
    method: 'POST',
    body,
    duplex: 'half',
    headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': contentType },
  } as RequestInit);
}

/**
 * A large image's header (everything before its pixels, Pixel Data's own header included) without making its pixels:
 * a small image's Rows, Columns, Number of Frames and Pixel Data length are rewritten to the large one's.
 */
function bigImage(
  rows: number,
  columns: number,
  frames: number,
): { header: Buffer; pixelBytes: number; sopUid: string } {
  const small = makeImage({ patientId: 'UPLOAD2', rows: 16, columns: 16, frames: 2 });
  const pixelBytes = rows * columns * frames * 2;
  const header = Buffer.from(small.bytes.subarray(0, small.bytes.length - 16 * 16 * 2 * 2));
  const patch = (tag: Buffer, value: Buffer) => {
    const at = header.indexOf(tag);
    if (at < 0) throw new Error(`no ${tag.toString('hex')} in the small image`);
    value.copy(header, at + tag.length);
  };
  patch(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00]), Buffer.from([rows & 0xff, rows >> 8]));
  patch(Buffer.from([0x28, 0x00, 0x11, 0x00, 0x55, 0x53, 0x02, 0x00]), Buffer.from([columns & 0xff, columns >> 8]));
  patch(Buffer.from([0x28, 0x00, 0x08, 0x00, 0x49, 0x53, 0x02, 0x00]), Buffer.from(`${frames} `.slice(0, 2), 'latin1'));
  const pixelLength = Buffer.alloc(4);
  pixelLength.writeUInt32LE(pixelBytes);
  patch(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0x00, 0x00]), pixelLength);
  return { header, pixelBytes, sopUid: small.sopUid };
}

const BOUNDARY = 'upload-bounds-b0undary';
const STOW_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

async function uploadsLeft(archive: TestArchive): Promise<string[]> {
  return readdir(path.join(archive.dataDir, 'uploads')).catch(() => []);
}

describe('uploads bounded in bytes, memory and disk', () => {
  let archive: TestArchive | undefined;
  const work: string[] = [];
  afterEach(async () => {
    await archive?.stop();
    archive = undefined;
  });
  afterAll(async () => {
    for (const dir of work) await rm(dir, { recursive: true, force: true });
  });

  it('counts chunked uploads against MaxUploadMB as they are read: import and STOW-RS both 413, nothing left behind', async () => {
    archive = await startArchive({ MaxUploadMB: '1' });
    const zeros = Buffer.alloc(64 * 1024);
    const imported = await post(
      archive,
      pathOf(ENDPOINTS.importFile, [], { name: 'big.dcm' }),
      'application/dicom',
      chunkedBody(3 << 20, zeros),
    );
    expect(imported.status).toBe(413);
    expect(((await imported.json()) as { error: string }).error).toMatch(/passed 1048576 bytes; MaxUploadMB/);
    const head = Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
    const stowed = await post(
      archive,
      '/dicom-web/studies',
      STOW_TYPE,
      chunkedBody(3 << 20, zeros, head, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)),
    );
    expect(stowed.status).toBe(413);
    expect(await uploadsLeft(archive)).toEqual([]);
    expect(await readdir(path.join(archive.dataDir, '.incoming')).catch(() => [])).toEqual([]);
    // Within the limit, a chunked upload is taken.
    const small = makeImage({ patientId: 'UPLOAD1', rows: 32, columns: 32 });
    const ok = await post(
      archive,
      pathOf(ENDPOINTS.importFile, [], { name: 'small.dcm' }),
      'application/dicom',
      chunkedBody(small.bytes.length, small.bytes),
    );
    expect(ok.status).toBe(200);
    expect(await archive.server.index.findInstance(small.sopUid)).toBeDefined();
  });

  it('passes a 192 MB STOW-RS part to the disk as it arrives, never holding it in memory', async () => {
    archive = await startArchive({ MaxUploadMB: '1024' });
    // 4096 x 4096 x 6 frames of 16 bits (192 MB of pixels), made as it is sent: this side holds 1 MB of it at a time.
    const big = bigImage(4096, 4096, 6);
    const head = Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    const piece = Buffer.alloc(1 << 20, 0x07);
    const body = chunkedBody(big.pixelBytes, piece, Buffer.concat([head, big.header]), tail);
    // The server runs in this process: the memory outside the JS heap (buffers) is watched while the part arrives.
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const watch = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 5);
    let res: Response;
    try {
      res = await post(archive, '/dicom-web/studies', STOW_TYPE, body);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      clearInterval(watch);
    }
    const stored = (await archive.server.index.findInstance(big.sopUid))!;
    expect(stored).toBeDefined();
    const file = archive.server.store.absolutePath(stored.location);
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(big.pixelBytes);
    const read = await open(file, 'r');
    const last = Buffer.alloc(4096);
    await read.read(last, 0, last.length, size - last.length);
    await read.close();
    expect(last.equals(piece.subarray(0, last.length))).toBe(true);
    // Held whole, the part alone would add 192 MB; streamed, what is held is a few chunks and garbage not yet collected.
    expect(peak - before).toBeLessThan(128 << 20);
  });

  it('stops an upload (507) before it takes the space kept for modalities; a storescu meanwhile still stores', async () => {
    // The data folder's disk is made "nearly full" by the threshold: 96 MB above what is free now stays for uploads.
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-upload-space-'));
    work.push(dir);
    const s = await statfs(dir);
    const freeMB = Math.floor((s.bavail * s.bsize) / (1 << 20));
    archive = await startArchive({ MaxUploadMB: '0', MAGDeviceFullThreshold: String(Math.max(1, freeMB - 96)) });
    const refused = await post(
      archive,
      pathOf(ENDPOINTS.importFile, [], { name: 'huge.dcm' }),
      'application/dicom',
      chunkedBody(1 << 30, Buffer.alloc(1 << 20)),
    );
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /stay for the modalities \(MAGDeviceFullThreshold\)/,
    );
    await expect.poll(() => uploadsLeft(archive!)).toEqual([]);
    // A declared size beyond the room left is refused before a byte is read.
    const declared = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${archive!.server.apiUrl}${pathOf(ENDPOINTS.importFile, [], { name: 'declared.dcm' })}`);
      const req = http.request(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${archive!.server.apiSecret}`,
          'content-type': 'application/dicom',
          'content-length': String(512 << 20),
        },
      });
      req.on('response', (answer) => {
        answer.resume();
        resolve(answer.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(declared).toBe(507);
    // The modality's objects go on being stored.
    const images = [
      makeImage({ patientId: 'UPLOAD3', rows: 64, columns: 64 }),
      makeImage({ patientId: 'UPLOAD3', rows: 64, columns: 64, instanceNumber: 2 }),
    ];
    const files = await writeImages(dir, images);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
    for (const image of images) expect(await archive.server.index.findInstance(image.sopUid)).toBeDefined();
  });
});
