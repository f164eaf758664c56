import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { once } from 'node:events';

/**
 * multipart/related (RFC 2387), the body of WADO-RS answers and STOW-RS requests: a writer that streams parts to an HTTP
 * response as they are ready (with the socket's backpressure), and a parser that splits a request body into parts as
 * it arrives, never holding more than one part.
 */

export function newBoundary(): string {
  return `pacs-${randomBytes(12).toString('hex')}`;
}

/** Write to a response, waiting while the socket is full; throws once the client has gone. */
export async function writeOrWait(res: http.ServerResponse, chunk: Uint8Array | string): Promise<void> {
  if (res.destroyed) throw new Error('the client went away');
  if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

export class MultipartWriter {
  private readonly res: http.ServerResponse;
  readonly boundary: string;
  private started = false;

  /** `type`: the parts' media type, for the response's Content-Type (type="..."). */
  constructor(res: http.ServerResponse, type: string, boundary = newBoundary()) {
    this.res = res;
    this.boundary = boundary;
    res.writeHead(200, { 'content-type': `multipart/related; type="${type}"; boundary=${boundary}`, 'cache-control': 'no-store' });
  }

  private write(chunk: Uint8Array | string): Promise<void> {
    return writeOrWait(this.res, chunk);
  }

  /** One part: its headers, then its body (one buffer, or chunks as they are read). */
  async part(headers: Record<string, string>, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    await this.write(`${this.started ? '\r\n' : ''}--${this.boundary}\r\n${head}\r\n`);
    this.started = true;
    if (body instanceof Uint8Array) await this.write(body);
    else for await (const chunk of body) await this.write(chunk);
  }

  async end(): Promise<void> {
    await this.write(`${this.started ? '\r\n' : ''}--${this.boundary}--\r\n`);
    this.res.end();
  }
}

/** A Content-Type's media type and parameters (lower-case names, unquoted values). */
export function mediaType(value: string): { type: string; params: Record<string, string> } {
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const at = p.indexOf('=');
    if (at < 0) continue;
    params[p.slice(0, at).trim().toLowerCase()] = p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

export class MultipartError extends Error {}

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The parts of a multipart body as they complete. Each part is yielded whole (a DICOM object of a STOW-RS request);
 * `maxPart` bounds what one part may hold in memory. A body that ends before its closing boundary is an error: the
 * parts already yielded were complete, the one cut short is not yielded.
 */
export async function* parseMultipart(body: AsyncIterable<Uint8Array>, boundary: string, maxPart: number): AsyncGenerator<Part> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // What is not consumed yet, in a buffer that doubles when it must (appending chunk by chunk stays linear).
  let store = Buffer.allocUnsafe(1 << 20);
  // The first boundary may come without the CRLF before it: pretend it was there.
  let length = store.write('\r\n', 0, 'latin1');
  let searchFrom = 0;
  let inPart = false;
  let closed = false;
  const append = (chunk: Uint8Array) => {
    if (length + chunk.length > store.length) {
      const bigger = Buffer.allocUnsafe(Math.max(store.length * 2, length + chunk.length));
      store.copy(bigger, 0, 0, length);
      store = bigger;
    }
    store.set(chunk, length);
    length += chunk.length;
  };
  const consume = function* (): Generator<Part> {
    for (;;) {
      const view = store.subarray(0, length);
      const at = view.indexOf(delimiter, searchFrom);
      if (at < 0) {
        searchFrom = Math.max(0, length - delimiter.length);
        return;
      }
      const after = at + delimiter.length;
      // Whether "--" (the end) or the rest of the boundary line follows is seen once its CRLF is here.
      const eol = view.indexOf('\r\n', after);
      if (length < after + 2 || (view.toString('latin1', after, after + 2) !== '--' && eol < 0)) {
        searchFrom = at;
        return;
      }
      if (inPart) yield partOf(Buffer.from(view.subarray(0, at)));
      if (view.toString('latin1', after, after + 2) === '--') {
        closed = true;
        length = 0;
        return;
      }
      // Transport padding (spaces) may follow the boundary before its CRLF.
      store.copyWithin(0, eol + 2, length);
      length -= eol + 2;
      searchFrom = 0;
      inPart = true;
    }
  };
  for await (const chunk of body) {
    if (closed) continue;
    append(chunk);
    yield* consume();
    if (length > maxPart + 64 * 1024) throw new MultipartError(`a part is larger than ${maxPart} bytes`);
  }
  if (!closed) throw new MultipartError('the request body ended before its closing boundary: the last part is incomplete');
}

function partOf(raw: Buffer): Part {
  // A part without headers starts with its empty line.
  const bare = raw.length >= 2 && raw[0] === 0x0d && raw[1] === 0x0a;
  const end = bare ? -1 : raw.indexOf('\r\n\r\n');
  if (!bare && end < 0) throw new MultipartError('a part has no empty line after its headers');
  const headerText = bare ? '' : raw.toString('latin1', 0, end);
  const body = bare ? raw.subarray(2) : raw.subarray(end + 4);
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}
