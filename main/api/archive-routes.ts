import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DeletionDto, IndexKeyDto, StudyDeleted } from './contract.ts';
import type { AddedAttribute } from '../config/index-schema.ts';
import { objectHeader } from './object-header.ts';
import { findLocal } from './query-routes.ts';
import { HttpError, Streamed, found, listLimit, text, type RouteContext, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { ArchiveService } from './services.ts';
import { NotAReport, structuredReport } from './structured-report.ts';
import { importUpload } from './upload.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { picture } from './picture.ts';
import { encodeFileMeta } from '../store/part10.ts';
import type { RenderRequest } from '../codec/render.ts';
import type { StoredInstance } from '../index/archive-index.ts';
import { msg } from '../../common/message.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { LEVEL_NAMES } from '../query/attributes.ts';

/**
 * The local archive: searches, an object's header and report, WADO-URI (PS3.18 9: by its UIDs, only indexed objects,
 * never a path the request names — the object as stored or in the transferSyntax asked for, or one frame as a JPEG or
 * PNG picture, windowed and sized as asked), deleting a study, importing an uploaded file.
 */
/** WADO-URI's picture parameters (PS3.18 9.1), checked. */
function renderRequest(q: URLSearchParams, contentType: 'image/jpeg' | 'image/png'): RenderRequest {
  const number = (name: string, check: (n: number) => boolean, what: string): number | undefined => {
    const raw = q.get(name);
    if (raw === null || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) throw new HttpError(400, `${name} must be ${what}`);
    return n;
  };
  const whole = (n: number) => Number.isInteger(n) && n > 0;
  const region = q.get('region');
  let parts: number[] | undefined;
  if (region) {
    parts = region.split(',').map(Number);
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n)))
      throw new HttpError(400, 'region must be four numbers: left,top,right,bottom');
  }
  return {
    contentType,
    frame: (number('frameNumber', whole, 'a whole number from 1') ?? 1) - 1,
    windowCenter: number('windowCenter', () => true, 'a number'),
    windowWidth: number('windowWidth', (n) => n > 0, 'a number above 0'),
    rows: number('rows', whole, 'a whole number above 0'),
    columns: number('columns', whole, 'a whole number above 0'),
    region: parts as [number, number, number, number] | undefined,
    quality: number('imageQuality', (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number from 1 to 100'),
  };
}

/** The keys that name objects rather than search for them. */
const UID_KEYS = new Set(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID']);

/**
 * Whether a search of the local archive is one to audit: a search by patient, date, name... is; the viewer's and the
 * lists' look-ups of objects by their UIDs are not (what is then seen is audited as a view, with its patient).
 */
export function isSearch(body: unknown): boolean {
  const keys = ((body ?? {}) as { keys?: Record<string, unknown> }).keys ?? {};
  return Object.entries(keys).some(([k, v]) => v !== '' && v !== undefined && v !== null && !UID_KEYS.has(k));
}

/** A search's level and keys with values, for the audit trail. */
export function queryText(body: unknown): string {
  const b = (body ?? {}) as { level?: unknown; keys?: Record<string, unknown> };
  const keys = Object.entries(b.keys ?? {})
    .filter(([, v]) => v !== '' && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${String(b.level ?? 'STUDY')} ${keys.join(' ') || '(all)'}`.slice(0, 1000);
}

type AuditFn = RouteContext['audit'];

export function archiveRoutes(archive: ArchiveService): RouteDef[] {
  /** An object shown to the user: a view of its study, audited with the study's patient and counted as use (retention). */
  const seen = (inst: StoredInstance, audit: AuditFn, how: string) => {
    const studyUid = inst.studyInstanceUid ?? '';
    archive.used(studyUid);
    audit({ action: 'view', studyUid, detail: how });
  };
  const viewedFile = async (uid: string, audit: AuditFn, how: string) => {
    const inst = found(await archive.index.findInstance(uid), `object ${uid}`);
    seen(inst, audit, how);
    return archive.objectFile(inst.location);
  };
  return [
    route(ENDPOINTS.studies, async ({ body, audit }) => {
      if (isSearch(body)) audit({ action: 'query', detail: `local: ${queryText(body)}` });
      return findLocal(archive.index, body as object);
    }),
    route(ENDPOINTS.indexKeys, async () => {
      const { attributes, worklistKeys } = archive.index.schema;
      const key = (a: AddedAttribute, level: IndexKeyDto['level']): IndexKeyDto => ({
        keyword: a.keyword,
        name: a.added.conquestName,
        column: a.added.name,
        level,
        filling: a.filling,
      });
      return [
        ...attributes.filter((a) => keywordTag(a.keyword)).map((a) => key(a, LEVEL_NAMES[a.level])),
        ...worklistKeys.map((k) => key(k.attr, 'WORKLIST')),
      ];
    }),
    // The patient's other studies here, for the viewer: a look-up by the study, audited with the view, not as a search.
    route(ENDPOINTS.priors, async ({ params: [uid] }) => {
      const [study] = await findLocal(archive.index, {
        level: 'STUDY',
        keys: { StudyInstanceUID: uid!, PatientID: '' },
      });
      if (!study?.PatientID) return [];
      const keys = {
        PatientID: study.PatientID,
        StudyInstanceUID: '',
        PatientName: '',
        StudyDate: '',
        StudyDescription: '',
        ModalitiesInStudy: '',
        NumberOfStudyRelatedInstances: '',
      };
      return (await findLocal(archive.index, { level: 'STUDY', keys })).filter((r) => r.StudyInstanceUID !== uid);
    }),
    route(ENDPOINTS.objectHeader, async ({ params: [uid], audit }) =>
      objectHeader(await viewedFile(uid!, audit, 'header')),
    ),
    route(ENDPOINTS.objectReport, async ({ params: [uid], audit }) => {
      try {
        return await structuredReport(await viewedFile(uid!, audit, 'report'));
      } catch (err) {
        if (err instanceof NotAReport) throw new HttpError(422, err.message);
        throw err;
      }
    }),
    route(ENDPOINTS.wado, async ({ url, audit: viewed }) => {
      const q = url.searchParams;
      if (q.get('requestType') !== 'WADO') throw new HttpError(400, 'requestType must be WADO');
      const objectUid = text(q.get('objectUID'), 'objectUID');
      // PS3.18 9.1: image/jpeg unless the request names another type.
      const contentType = (q.get('contentType') ?? 'image/jpeg').split(',')[0]!.trim();
      const inst = found(await archive.index.findInstance(objectUid), `object ${objectUid}`);
      const file = archive.objectFile(inst.location);
      seen(inst, viewed, 'WADO');
      if (contentType === 'image/jpeg' || contentType === 'image/png')
        return picture(archive, inst, renderRequest(q, contentType));
      if (contentType !== 'application/dicom')
        throw new HttpError(
          406,
          `contentType ${contentType} is not available (application/dicom, image/jpeg and image/png are)`,
        );
      const wanted = q.get('transferSyntax');
      if (wanted && wanted !== inst.transferSyntaxUid) {
        if (!archive.transcoder.canTranscode(inst.transferSyntaxUid, wanted))
          throw new HttpError(406, `${objectUid} cannot be converted from ${inst.transferSyntaxUid} to ${wanted}`);
        const stored = await readDataSetBytes(file);
        const body = await archive.transcoder.transcode(stored.bytes, stored.transferSyntaxUid, wanted);
        const part10 = Buffer.concat([
          encodeFileMeta({ sopClassUid: inst.sopClassUid, sopInstanceUid: objectUid, transferSyntaxUid: wanted }),
          body,
        ]);
        return new Streamed(async (res) => {
          res.writeHead(200, {
            'content-type': 'application/dicom',
            'content-length': part10.length,
            'content-disposition': `attachment; filename="${objectUid}.dcm"`,
          });
          res.end(part10);
        });
      }
      const { size } = await stat(file);
      return new Streamed(async (res) => {
        res.writeHead(200, {
          'content-type': 'application/dicom',
          'content-length': size,
          'content-disposition': `attachment; filename="${objectUid}.dcm"`,
        });
        const stream = createReadStream(file);
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('end', () => resolve());
          stream.pipe(res);
        });
      });
    }),
    // A small picture of a study (its first image of the first series that has one), for lists.
    route(ENDPOINTS.studyThumbnail, async ({ params: [uid], url }) => {
      const size = Number(url.searchParams.get('size') ?? 64);
      if (!Number.isInteger(size) || size < 8 || size > 512)
        throw new HttpError(400, 'size must be a whole number from 8 to 512');
      const keys = { StudyInstanceUID: uid!, SeriesNumber: '', InstanceNumber: '', SOPInstanceUID: '', Rows: '' };
      const images = (await findLocal(archive.index, { level: 'IMAGE', keys }))
        .filter((r) => Number(r.Rows) > 0)
        .sort(
          (a, b) =>
            (Number(a.SeriesNumber) || 0) - (Number(b.SeriesNumber) || 0) ||
            (Number(a.InstanceNumber) || 0) - (Number(b.InstanceNumber) || 0),
        );
      const first = images[0];
      if (!first) throw new HttpError(404, msg('study {value} has no image to show', { value: String(uid!) }));
      const inst = found(await archive.index.findInstance(first.SOPInstanceUID!), `object ${first.SOPInstanceUID!}`);
      return picture(archive, inst, { contentType: 'image/jpeg', frame: 0, rows: size, columns: size, quality: 80 });
    }),
    route(ENDPOINTS.study, async ({ params: [uid], audit }) => {
      const done = found(await archive.deleteStudy(uid!), `study ${uid!}`);
      if (done === 'protected')
        throw new HttpError(
          409,
          msg('study {value} is protected: remove its protection first', { value: String(uid!) }),
        );
      audit({ action: 'delete', studyUid: uid!, detail: `${done.objects} objects, by the user` });
      return { studyUid: uid!, ...done } satisfies StudyDeleted;
    }),
    // Protected studies are never deleted by clean-up (MAGDeviceThreshold), nor by the user while protected.
    route(ENDPOINTS.studyProtection, async ({ params: [uid], body, audit }) => {
      const on = (body as { protected?: unknown }).protected;
      if (typeof on !== 'boolean') throw new HttpError(400, 'protected must be true or false');
      found((await archive.index.setStudyProtected(uid!, on)) || undefined, `study ${uid!}`);
      audit({ action: 'edit', studyUid: uid!, detail: on ? 'protected from clean-up' : 'protection removed' });
      return { studyUid: uid!, protected: on };
    }),
    route(ENDPOINTS.protectedStudies, async () => archive.index.protectedStudies()),
    route(ENDPOINTS.deletions, async ({ url }) => {
      return archive.index.listDeletions(listLimit(url.searchParams.get('limit'), 200)) satisfies Promise<
        DeletionDto[]
      >;
    }),
    // One Part-10 object per request, or a ZIP of them (and folders, a DICOMDIR); ?name= is the file's name, for the report.
    route(
      ENDPOINTS.importFile,
      async ({ req, url, upload, audit }) => {
        const type = req.headers['content-type'] ?? '';
        if (!/^application\/(dicom|octet-stream|zip|x-zip-compressed)\b/.test(type))
          throw new HttpError(415, 'send one DICOM file as application/dicom, or a ZIP of them as application/zip');
        const name = url.searchParams.get('name') ?? 'upload';
        const result = await importUpload(archive, upload!, name, /zip/.test(type));
        audit({
          action: 'import',
          outcome: result.imported || result.duplicates ? 'success' : 'failure',
          detail: `${name}: ${result.imported} stored, ${result.skipped.length} skipped, ${result.other.length} not DICOM`,
        });
        return result;
      },
      { rawBody: true },
    ),
  ];
}
