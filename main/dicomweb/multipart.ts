import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { once } from 'node:events';

/**
 * multipart/related (RFC 2387), the body of WADO-RS answers and STOW-RS requests: a writer that streams parts to an HTTP
 * response as they are ready (with the socket's backpressure), and a parser that splits a body into parts as it
 * arrives, handing each part's bytes on as they come (a STOW-RS part of 2 GB is never held in memory).
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
    res.writeHead(200, {
      'content-type': `multipart/related; type="${type}"; boundary=${boundary}`,
      'cache-control': 'no-store',
    });
  }

  private write(chunk: Uint8Array | string): Promise<void> {
    return writeOrWait(this.res, chunk);
  }

  /** One part: its headers, then its body (one buffer, or chunks as they are read). */
  async part(headers: Record<string, string>, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
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
    params[p.slice(0, at).trim().toLowerCase()] = p
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

export class MultipartError extends Error {}

/** What a multipart body holds, in order: a part's headers, its body's bytes in pieces, its end. */
export type MultipartEvent = { part: Record<string, string> } | { data: Buffer } | { end: true };

/** A part's header block longer than this is no part of ours (and is not held while waiting for its end). */
const MAX_PART_HEADERS = 16 * 1024;

/**
 * The events of a multipart body as it arrives: only a boundary's length of body bytes (and one part's headers) is held,
 * whatever a part's size. A body that ends before its closing boundary is an error: the parts that ended before were
 * complete, the one cut short has no end event.
 */
export async function* multipartEvents(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
): AsyncGenerator<MultipartEvent> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first boundary may come without the CRLF before it: pretend it was there.
  let held: Buffer = Buffer.from('\r\n', 'latin1');
  let state: 'preamble' | 'boundary-line' | 'headers' | 'body' | 'closed' = 'preamble';
  for await (const chunk of body) {
    if (state === 'closed') continue;
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    held = held.length ? Buffer.concat([held, piece]) : piece;
    for (;;) {
      if (state === 'preamble' || state === 'body') {
        const at = held.indexOf(delimiter);
        if (at < 0) {
          // All but what could be the start of a delimiter is body (or preamble, dropped).
          const keep = Math.min(held.length, delimiter.length - 1);
          if (state === 'body' && held.length > keep) yield { data: held.subarray(0, held.length - keep) };
          held = held.subarray(held.length - keep);
          break;
        }
        if (state === 'body') {
          if (at > 0) yield { data: held.subarray(0, at) };
          yield { end: true };
        }
        held = held.subarray(at + delimiter.length);
        state = 'boundary-line';
      }
      if (state === 'boundary-line') {
        // "--" ends the body; otherwise transport padding (spaces) may come before the line's CRLF.
        if (held.length < 2) break;
        if (held[0] === 0x2d && held[1] === 0x2d) {
          state = 'closed';
          held = Buffer.alloc(0);
          break;
        }
        const eol = held.indexOf('\r\n');
        if (eol < 0) {
          if (held.length > 1024) throw new MultipartError('a boundary line does not end');
          break;
        }
        held = held.subarray(eol + 2);
        state = 'headers';
      }
      if (state === 'headers') {
        // A part without headers starts with its empty line.
        const bare = held.length >= 2 && held[0] === 0x0d && held[1] === 0x0a;
        const end = bare ? 0 : held.indexOf('\r\n\r\n');
        const next = held.indexOf(delimiter);
        if (!bare && next >= 0 && (end < 0 || next < end))
          throw new MultipartError('a part has no empty line after its headers');
        if (!bare && end < 0) {
          if (held.length > MAX_PART_HEADERS)
            throw new MultipartError(`a part's headers are longer than ${MAX_PART_HEADERS} bytes`);
          break;
        }
        yield { part: headersOf(held.toString('latin1', 0, end)) };
        held = held.subarray(bare ? 2 : end + 4);
        state = 'body';
      }
    }
  }
  if (state !== 'closed')
    throw new MultipartError('the request body ended before its closing boundary: the last part is incomplete');
}

function headersOf(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Each part in turn to `take`, its body as the pieces arrive (nothing of it held here): `take` may stop reading early
 * (or throw); the rest of that part is skipped and the next part comes. An error of `take` stops the walk.
 */
export async function forEachPart(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  take: (headers: Record<string, string>, chunks: AsyncIterable<Buffer>) => Promise<void>,
): Promise<number> {
  const events = multipartEvents(body, boundary)[Symbol.asyncIterator]();
  let parts = 0;
  let next = await events.next();
  while (!next.done) {
    const event = next.value;
    if (!('part' in event)) {
      next = await events.next();
      continue;
    }
    parts++;
    let ended = false;
    const chunks = async function* (): AsyncGenerator<Buffer> {
      for (;;) {
        const piece = await events.next();
        if (piece.done) throw new MultipartError('the request body ended inside a part');
        if ('data' in piece.value) yield piece.value.data;
        else {
          ended = true;
          return;
        }
      }
    };
    await take(event.part, chunks());
    // What `take` left unread of its part is skipped.
    while (!ended) {
      const piece = await events.next();
      if (piece.done || !('data' in piece.value)) ended = true;
    }
    next = await events.next();
  }
  return parts;
}
