import type http from 'node:http';
import { HttpError } from './router.ts';

/** A JSON request body is small (searches, settings text, a user): 2 MiB is far above any the UI sends. */
export const MAX_JSON_BODY = 2 << 20;
/** Deeper JSON than this is no request of ours; refused before a handler walks it. */
const MAX_JSON_DEPTH = 32;

/** The request's JSON body, read up to its size limit, checked for depth: a 413 or a 400 that says why otherwise. */
export async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_JSON_BODY)
    throw new HttpError(413, `the request body is ${declared} bytes; at most ${MAX_JSON_BODY} are read`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, `the request body is larger than ${MAX_JSON_BODY} bytes`);
    parts.push(chunk as Buffer);
  }
  if (!parts.length) return {};
  const text = Buffer.concat(parts).toString('utf8');
  if (nesting(text) > MAX_JSON_DEPTH)
    throw new HttpError(400, `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
  // Every route takes an object ({...}); null, a list, a number or a string is refused here, not met by a handler.
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the request body is a JSON object ({...})');
  return body;
}

/** How deep brackets nest in JSON text (outside strings), counted without parsing. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
