import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { WebNode } from '../config/web-nodes.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { MultipartError, forEachPart, mediaType, newBoundary } from '../dicomweb/multipart.ts';
import type { OutgoingObject, SendResult } from '../protocol/services/store-scu.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { wholeBytes } from '../util/whole-bytes.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';

/**
 * Our side as a DICOMweb client (issue 15): a DICOMweb node searched with QIDO-RS, retrieved from with WADO-RS (each
 * object handed on as it arrives, never the whole study in memory) and sent to with STOW-RS. Errors name the node, the
 * request and what it answered.
 */

export class WebNodeError extends Refusal {
  constructor(said: Message | string) {
    super(502, said);
  }
}

export type WebAnswer = Record<string, string>;

function headers(node: WebNode, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...extra };
  if (node.auth.startsWith('bearer:')) out.authorization = `Bearer ${node.auth.slice(7)}`;
  if (node.auth.startsWith('basic:')) out.authorization = `Basic ${Buffer.from(node.auth.slice(6)).toString('base64')}`;
  return out;
}

/** A request to the node; an answer of 400 or above is an error naming it, unless `accept` lists its status. */
async function request(
  node: WebNode,
  path: string,
  init: RequestInit & { headers?: Record<string, string> },
  signal?: AbortSignal,
  accept: number[] = [],
): Promise<Response> {
  const url = `${node.url}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: headers(node, init.headers), signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new WebNodeError(
      msg('{name} at {url} cannot be reached: {value}', {
        name: node.name,
        url: node.url,
        value: cause?.code ?? cause?.message ?? (err as Error).message,
      }),
    );
  }
  if (res.status >= 400 && !accept.includes(res.status)) {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new WebNodeError(
      `${node.name} answered ${init.method ?? 'GET'} ${path} with ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`,
    );
  }
  return res;
}

/** One JSON model attribute as the text the screens show (names by their alphabetic group, values joined by \). */
function textOf(attr: { vr?: string; Value?: unknown[] } | undefined): string {
  if (!attr?.Value) return '';
  return attr.Value.map((v) =>
    v && typeof v === 'object' ? String((v as { Alphabetic?: string }).Alphabetic ?? '') : v === null ? '' : String(v),
  ).join('\\');
}

/** A search by keywords at a level, as QIDO-RS: keys with values match, empty ones are asked for (includefield). */
export async function searchWebNode(
  node: WebNode,
  level: 'STUDY' | 'SERIES' | 'IMAGE',
  keys: Record<string, string>,
  signal?: AbortSignal,
): Promise<WebAnswer[]> {
  const params = new URLSearchParams();
  const study = keys.StudyInstanceUID ?? '';
  const series = keys.SeriesInstanceUID ?? '';
  // A single study (and series) UID goes into the path, as the nested resources have it; lists and wildcards match.
  const single = (uid: string) => uid !== '' && !/[*?\\,]/.test(uid);
  let path = '/studies';
  const inPath = new Set<string>();
  if (level === 'SERIES') {
    path = single(study) ? `/studies/${study}/series` : '/series';
    if (single(study)) inPath.add('StudyInstanceUID');
  }
  if (level === 'IMAGE') {
    path = single(study) && single(series) ? `/studies/${study}/series/${series}/instances` : '/instances';
    if (single(study) && single(series)) {
      inPath.add('StudyInstanceUID');
      inPath.add('SeriesInstanceUID');
    }
  }
  for (const [k, v] of Object.entries(keys)) {
    if (inPath.has(k)) continue;
    if (v) params.append(k, v);
    else params.append('includefield', k);
  }
  const res = await request(
    node,
    `${path}${params.size ? `?${params}` : ''}`,
    { headers: { accept: 'application/dicom+json' } },
    signal,
  );
  if (res.status === 204) return [];
  const body = (await res.json()) as Record<string, { vr?: string; Value?: unknown[] }>[];
  if (!Array.isArray(body))
    throw new WebNodeError(msg('{name} answered a search with something other than a JSON array', { name: node.name }));
  return body.map((ds) =>
    Object.fromEntries(
      Object.keys(keys).map((k) => [k, textOf(ds[keywordTag(k)!.tag.toString(16).toUpperCase().padStart(8, '0')])]),
    ),
  );
}

/** How long a minimal search takes: the DICOMweb node's "echo". */
export async function pingWebNode(node: WebNode, signal?: AbortSignal): Promise<number> {
  const started = performance.now();
  await (
    await request(node, '/studies?limit=1', { headers: { accept: 'application/dicom+json' } }, signal)
  ).arrayBuffer();
  return Math.round(performance.now() - started);
}

/**
 * WADO-RS retrieve of a study, series or instance, as stored (transfer-syntax=*): each object is handed to `take` as it
 * arrives. Returns how many came; an object `take` refuses counts as failed with its reason, the rest go on.
 */
export async function retrieveFromWebNode(
  node: WebNode,
  uids: { study: string; series?: string; instance?: string },
  take: (object: AsyncIterable<Buffer>) => Promise<void>,
  onProgress: (done: number, failed: number) => void,
  signal?: AbortSignal,
): Promise<{ completed: number; failed: number; lastFailure: string }> {
  let path = `/studies/${uids.study}`;
  if (uids.series) path += `/series/${uids.series}`;
  if (uids.series && uids.instance) path += `/instances/${uids.instance}`;
  const res = await request(
    node,
    path,
    { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } },
    signal,
  );
  const { type, params } = mediaType(res.headers.get('content-type') ?? '');
  if (type !== 'multipart/related' || !params.boundary || !res.body)
    throw new WebNodeError(
      msg('{name} answered a retrieve with {value}, not multipart/related', {
        name: node.name,
        value: res.headers.get('content-type') ?? 'no content type',
      }),
    );
  let completed = 0;
  let failed = 0;
  let lastFailure = '';
  try {
    // Each object goes to the ingest as it arrives, never held whole in memory.
    await forEachPart(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      params.boundary,
      async (_headers, chunks) => {
        try {
          await take(chunks);
          completed++;
        } catch (err) {
          if (err instanceof MultipartError) throw err;
          failed++;
          lastFailure = (err as Error).message;
        }
        onProgress(completed, failed);
      },
    );
  } catch (err) {
    if (err instanceof MultipartError)
      throw new WebNodeError(
        msg("{name}'s answer broke off after {completed} object(s): {value}", {
          name: node.name,
          completed,
          value: err.message,
        }),
      );
    throw err;
  }
  return { completed, failed, lastFailure };
}

/** A STOW-RS request takes up to 50 objects, or fewer once it holds 64 MB (one large object goes alone). */
const STOW_BATCH = 50;
const STOW_BYTES = 64 << 20;

/** STOW-RS of stored objects (as stored), in requests of up to 50 objects; each object's result from the node's answer. */
export async function sendToWebNode(
  node: WebNode,
  objects: OutgoingObject[],
  onResult: (obj: OutgoingObject, result: SendResult) => void,
  signal?: AbortSignal,
): Promise<void> {
  let at = 0;
  while (at < objects.length) {
    if (signal?.aborted) return;
    const boundary = newBoundary();
    const parts: Buffer[] = [];
    const batch: OutgoingObject[] = [];
    let bytes = 0;
    while (at < objects.length && batch.length < STOW_BATCH && bytes < STOW_BYTES) {
      const obj = objects[at++]!;
      const read = await obj.read();
      const meta = encodeFileMeta({
        sopClassUid: obj.sopClassUid,
        sopInstanceUid: obj.sopInstanceUid,
        transferSyntaxUid: read.transferSyntaxUid ?? obj.transferSyntaxUid,
      });
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
        meta,
        await wholeBytes(read.bytes),
        Buffer.from('\r\n'),
      );
      batch.push(obj);
      bytes += read.length;
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const body = Buffer.concat(parts);
    // A 409 (nothing stored) still says why, object by object, in its body.
    const res = await request(
      node,
      '/studies',
      {
        method: 'POST',
        body,
        headers: {
          'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
          accept: 'application/dicom+json',
        },
      },
      signal,
      [409],
    );
    const answer = (await res.json().catch(() => ({}))) as Record<
      string,
      { Value?: Record<string, { Value?: unknown[] }>[] }
    >;
    const stored = new Set((answer['00081199']?.Value ?? []).map((i) => String(i['00081155']?.Value?.[0] ?? '')));
    const failed = new Map(
      (answer['00081198']?.Value ?? []).map((i) => [
        String(i['00081155']?.Value?.[0] ?? ''),
        Number(i['00081197']?.Value?.[0] ?? 0),
      ]),
    );
    for (const obj of batch) {
      const reason = failed.get(obj.sopInstanceUid);
      if (reason !== undefined)
        onResult(obj, {
          outcome: 'failed',
          status: reason,
          reason: `${node.name} refused it (failure reason 0x${reason.toString(16).padStart(4, '0')})`,
        });
      else if (stored.has(obj.sopInstanceUid) || res.status === 200)
        onResult(obj, { outcome: 'completed', status: 0, reason: 'stored' });
      else onResult(obj, { outcome: 'failed', reason: `${node.name} did not list it as stored` });
    }
  }
}
