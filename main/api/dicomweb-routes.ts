import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import type { ImportTarget } from '../archive/importer.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { DicomTranscoder } from '../codec/transcoder.ts';
import type { RenderRequest } from '../codec/render.ts';
import { picture } from './picture.ts';
import { HttpError, Streamed, type RouteDef } from './router.ts';
import { QidoError, qido, type QidoScope } from '../dicomweb/qido.ts';
import {
  acceptRanges,
  dicomSyntaxFor,
  instancesOf,
  modelFor,
  writeBulk,
  writeFrames,
  writeInstances,
  writeMetadata,
  type RetrieveScope,
} from '../dicomweb/wado-rs.ts';
import { MultipartWriter } from '../dicomweb/multipart.ts';
import { xmlFromJson } from '../dicomweb/dicom-xml.ts';
import { stow } from '../dicomweb/stow-rs.ts';
import { DicomWebError } from '../dicomweb/errors.ts';

/**
 * DICOMweb (PS3.18) under /dicom-web: QIDO-RS searches, WADO-RS retrieval (objects, metadata, frames, bulk data,
 * rendered images and thumbnails) and STOW-RS storing, with the API's authentication.
 */

export interface DicomWebService {
  index: Pick<ArchiveIndex, 'queryArchive' | 'instancesMatching' | 'schema'>;
  objectFile(location: StoredLocation): string;
  transcoder: Pick<DicomTranscoder, 'canTranscode' | 'transcode' | 'render'>;
  importTarget(): ImportTarget;
  maxResults(): number;
  /** Web origins whose pages may call DICOMweb (CORS); '*' for any. */
  corsOrigins(): string[];
  /** A study read (retrieved or its metadata loaded): clean-up counts it as used now. */
  used(studyUid: string): void;
}

export const DICOMWEB_PREFIX = '/dicom-web';

/** The DICOMweb base URL as the client reached it (Retrieve URLs and BulkDataURIs are made from it). */
/** URLs in answers: the scheme the client came by (HTTPS when the API speaks it), the Host it named (http-api.ts checks it). */
function baseUrl(req: http.IncomingMessage): string {
  return `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${DICOMWEB_PREFIX}`;
}

/** DICOMweb's own errors as HTTP answers with their status. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof QidoError) throw new HttpError(400, err.message);
    if (err instanceof DicomWebError) throw new HttpError(err.status, err.message);
    throw err;
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Streamed(async (res) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/dicom+json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  });

/** A rendered picture's request from PS3.18 8.3.5.1.3's parameters (window, viewport, quality) and Accept. */
function renderRequest(url: URL, accept: string | undefined, frame: number, thumbnail: boolean): RenderRequest {
  let contentType: RenderRequest['contentType'] | undefined;
  for (const r of acceptRanges(accept)) {
    if (r.type === 'image/jpeg' || r.type === 'image/*' || r.type === '*/*') {
      contentType = 'image/jpeg';
      break;
    }
    if (r.type === 'image/png') {
      contentType = 'image/png';
      break;
    }
  }
  if (!contentType) throw new HttpError(406, 'rendered images are given as image/jpeg or image/png');
  const request: RenderRequest = { contentType, frame, ...(thumbnail ? { rows: 128, columns: 128 } : {}) };
  const window = url.searchParams.get('window');
  if (window) {
    const [center, width] = window.split(',').map(Number);
    if (!Number.isFinite(center) || !Number.isFinite(width) || width! <= 0)
      throw new HttpError(400, 'window is center,width[,function] with a width above 0');
    Object.assign(request, { windowCenter: center, windowWidth: width });
  }
  const viewport = url.searchParams.get('viewport');
  if (viewport) {
    const [columns, rows] = viewport.split(',').map(Number);
    if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns! < 1 || rows! < 1)
      throw new HttpError(400, 'viewport is width,height in pixels');
    Object.assign(request, { columns, rows });
  }
  const quality = url.searchParams.get('quality');
  if (quality) {
    const q = Number(quality);
    if (!Number.isInteger(q) || q < 1 || q > 100) throw new HttpError(400, 'quality is a whole number from 1 to 100');
    request.quality = q;
  }
  return request;
}

/** The middle object of a series or study (in series and instance order): what its thumbnail shows. */
async function representative(service: DicomWebService, scope: RetrieveScope): Promise<StoredInstance> {
  const all = await instancesOf(service, scope);
  return all[Math.floor(all.length / 2)]!;
}

export function dicomWebRoutes(service: DicomWebService): RouteDef[] {
  const P = DICOMWEB_PREFIX;
  const search = (path: string, scope: (params: string[]) => QidoScope): RouteDef => ({
    method: 'GET',
    path: `${P}${path}`,
    permission: 'view',
    handler: ({ req, url, params }) =>
      answering(async () => {
        const model = modelFor(req.headers.accept);
        const answer = await qido(service.index, scope(params), url.searchParams, baseUrl(req), service.maxResults());
        const warning: Record<string, string> = answer.warnings.length ? { warning: answer.warnings.join(', ') } : {};
        if (model === 'json') return json(200, answer.results, warning);
        // XML: one Native DICOM Model document a match (PS3.18 10.6.3.2.2).
        return new Streamed(async (res) => {
          for (const [k, v] of Object.entries(warning)) res.setHeader(k, v);
          const out = new MultipartWriter(res, 'application/dicom+xml');
          for (const result of answer.results)
            await out.part({ 'Content-Type': 'application/dicom+xml' }, Buffer.from(xmlFromJson(result)));
          await out.end();
        });
      }),
  });
  const retrieve = (path: string, scope: (params: string[]) => RetrieveScope): RouteDef[] => [
    {
      method: 'GET',
      path: `${P}${path}`,
      permission: 'view',
      handler: ({ req, params, audit }) =>
        answering(async () => {
          const syntax = dicomSyntaxFor(req.headers.accept);
          const wanted = scope(params);
          const instances = await instancesOf(service, wanted);
          if (wanted.studyUid) service.used(wanted.studyUid);
          audit({ action: 'view', studyUid: wanted.studyUid ?? '', detail: 'WADO-RS' });
          return new Streamed((res) => answering(() => writeInstances(res, service, instances, syntax)));
        }),
    },
    {
      method: 'GET',
      path: `${P}${path}/metadata`,
      permission: 'view',
      handler: ({ req, params, audit }) =>
        answering(async () => {
          const model = modelFor(req.headers.accept);
          const wanted = scope(params);
          const instances = await instancesOf(service, wanted);
          if (wanted.studyUid) service.used(wanted.studyUid);
          audit({ action: 'view', studyUid: wanted.studyUid ?? '', detail: 'WADO-RS metadata' });
          return new Streamed((res) => writeMetadata(res, service, instances, baseUrl(req), model));
        }),
    },
  ];
  const instance = (params: string[]) => ({ studyUid: params[0]!, seriesUid: params[1]!, sopInstanceUid: params[2]! });
  const one = async (params: string[]) => (await instancesOf(service, instance(params)))[0]!;
  const I = '/studies/:study/series/:series/instances/:instance';
  return [
    search('/studies', () => ({ level: 1 })),
    search('/series', () => ({ level: 2 })),
    search('/instances', () => ({ level: 3 })),
    search('/studies/:study/series', ([study]) => ({ level: 2, studyUid: study })),
    search('/studies/:study/instances', ([study]) => ({ level: 3, studyUid: study })),
    search('/studies/:study/series/:series/instances', ([study, series]) => ({
      level: 3,
      studyUid: study,
      seriesUid: series,
    })),
    ...retrieve('/studies/:study', ([study]) => ({ studyUid: study! })),
    ...retrieve('/studies/:study/series/:series', ([study, series]) => ({ studyUid: study!, seriesUid: series })),
    ...retrieve(I, instance),
    {
      method: 'GET',
      path: `${P}${I}/frames/:frames`,
      permission: 'view',
      handler: ({ req, params }) =>
        answering(async () => {
          const inst = await one(params);
          return new Streamed((res) =>
            answering(() => writeFrames(res, service, inst, params[3]!, req.headers.accept)),
          );
        }),
    },
    {
      method: 'GET',
      path: `${P}${I}/bulk/:tag`,
      permission: 'view',
      handler: ({ params }) =>
        answering(async () => {
          const inst = await one(params);
          return new Streamed((res) => answering(() => writeBulk(res, service, inst, params[3]!)));
        }),
    },
    {
      method: 'GET',
      path: `${P}${I}/rendered`,
      permission: 'view',
      handler: ({ req, url, params }) =>
        answering(async () => picture(service, await one(params), renderRequest(url, req.headers.accept, 0, false))),
    },
    {
      method: 'GET',
      path: `${P}${I}/frames/:frame/rendered`,
      permission: 'view',
      handler: ({ req, url, params }) =>
        answering(async () => {
          const frame = Number(params[3]);
          if (!Number.isInteger(frame) || frame < 1) throw new HttpError(400, 'the frame number counts from 1');
          return picture(service, await one(params), renderRequest(url, req.headers.accept, frame - 1, false));
        }),
    },
    {
      method: 'GET',
      path: `${P}${I}/thumbnail`,
      permission: 'view',
      handler: ({ req, url, params }) =>
        answering(async () => picture(service, await one(params), renderRequest(url, req.headers.accept, 0, true))),
    },
    {
      method: 'GET',
      path: `${P}/studies/:study/series/:series/thumbnail`,
      permission: 'view',
      handler: ({ req, url, params: [study, series] }) =>
        answering(async () =>
          picture(
            service,
            await representative(service, { studyUid: study!, seriesUid: series }),
            renderRequest(url, req.headers.accept, 0, true),
          ),
        ),
    },
    {
      method: 'GET',
      path: `${P}/studies/:study/thumbnail`,
      permission: 'view',
      handler: ({ req, url, params: [study] }) =>
        answering(async () =>
          picture(
            service,
            await representative(service, { studyUid: study! }),
            renderRequest(url, req.headers.accept, 0, true),
          ),
        ),
    },
    {
      method: 'POST',
      path: `${P}/studies`,
      permission: 'edit',
      rawBody: true,
      handler: ({ req, upload, audit }) =>
        answering(async () => {
          const outcome = await stow(req, upload!, service.importTarget(), baseUrl(req));
          audit({
            action: 'import',
            outcome: outcome.status < 300 ? 'success' : 'failure',
            detail: `STOW-RS, HTTP ${outcome.status}`,
          });
          return json(outcome.status, outcome.body);
        }),
    },
    {
      method: 'POST',
      path: `${P}/studies/:study`,
      permission: 'edit',
      rawBody: true,
      handler: ({ req, upload, params: [study], audit }) =>
        answering(async () => {
          const outcome = await stow(req, upload!, service.importTarget(), baseUrl(req), study);
          audit({
            action: 'import',
            studyUid: study,
            outcome: outcome.status < 300 ? 'success' : 'failure',
            detail: `STOW-RS, HTTP ${outcome.status}`,
          });
          return json(outcome.status, outcome.body);
        }),
    },
  ];
}
