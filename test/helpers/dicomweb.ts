import type { TestArchive } from './archive.ts';

/** The test's own reading of a multipart/related body (RFC 2046), independent of the server's parser. */
export function splitMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  const marker = Buffer.from(`--${boundary}`);
  let at = body.indexOf(marker);
  while (at >= 0) {
    const lineEnd = body.indexOf('\r\n', at);
    if (body.toString('latin1', at + marker.length, at + marker.length + 2) === '--') break;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), lineEnd);
    const raw = body.subarray(lineEnd + 2, next);
    const split = raw.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of raw.toString('latin1', 0, split).split('\r\n')) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    parts.push({ headers, body: raw.subarray(split + 4) });
    at = next + 2;
  }
  return parts;
}

/** A multipart/related body of application/dicom parts, for STOW-RS. */
export function multipartOf(files: Buffer[], boundary = 'test-boundary-1234'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const f of files)
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** The archive's DICOMweb base URL and a fetch with its secret. */
export function dicomWeb(archive: TestArchive): {
  base: string;
  get: (path: string, accept?: string) => Promise<Response>;
  post: (path: string, body: Buffer, contentType: string) => Promise<Response>;
} {
  const base = `http://127.0.0.1:${archive.server.api!.port}/dicom-web`;
  const auth = { authorization: `Bearer ${archive.server.apiSecret}` };
  return {
    base,
    get: (path, accept) => fetch(`${base}${path}`, { headers: { ...auth, ...(accept ? { accept } : {}) } }),
    post: (path, body, contentType) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body }),
  };
}
