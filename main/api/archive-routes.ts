import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { StudyDeleted } from './contract.ts';
import { objectHeader } from './object-header.ts';
import { findLocal } from './query-routes.ts';
import { HttpError, Streamed, found, text, type RouteDef } from './router.ts';
import type { ArchiveService } from './services.ts';
import { NotAReport, structuredReport } from './structured-report.ts';
import { importUpload } from './upload.ts';

/**
 * The local archive: searches, an object's header and report, WADO-URI (PS3.18 9: the object as stored, by its UIDs;
 * only indexed objects, never a path the request names), deleting a study, importing an uploaded file.
 */
export function archiveRoutes(archive: ArchiveService): RouteDef[] {
  const fileOf = async (uid: string) => archive.objectFile(found(await archive.index.findInstance(uid), `object ${uid}`).location);
  return [
    { method: 'POST', path: '/api/find', permission: 'view', handler: async ({ body }) => findLocal(archive.index, body as object) },
    { method: 'GET', path: '/api/objects/:uid/header', permission: 'view', handler: async ({ params: [uid] }) => objectHeader(await fileOf(uid!)) },
    {
      method: 'GET', path: '/api/objects/:uid/report', permission: 'view',
      handler: async ({ params: [uid] }) => {
        try {
          return await structuredReport(await fileOf(uid!));
        } catch (err) {
          if (err instanceof NotAReport) throw new HttpError(422, err.message);
          throw err;
        }
      },
    },
    {
      method: 'GET', path: '/wado', permission: 'view',
      handler: async ({ url }) => {
        const q = url.searchParams;
        if (q.get('requestType') !== 'WADO') throw new HttpError(400, 'requestType must be WADO');
        const objectUid = text(q.get('objectUID'), 'objectUID');
        const contentType = q.get('contentType') ?? 'application/dicom';
        if (contentType !== 'application/dicom') throw new HttpError(406, `contentType ${contentType} is not available (application/dicom is)`);
        const file = await fileOf(objectUid);
        const { size } = await stat(file);
        return new Streamed(async (res) => {
          res.writeHead(200, { 'content-type': 'application/dicom', 'content-length': size, 'content-disposition': `attachment; filename="${objectUid}.dcm"` });
          const stream = createReadStream(file);
          await new Promise<void>((resolve, reject) => {
            stream.on('error', reject);
            stream.on('end', () => resolve());
            stream.pipe(res);
          });
        });
      },
    },
    {
      method: 'DELETE', path: '/api/studies/:uid', permission: 'edit',
      handler: async ({ params: [uid] }) => ({ studyUid: uid!, ...found(await archive.deleteStudy(uid!), `study ${uid!}`) }) satisfies StudyDeleted,
    },
    {
      // One Part-10 object per request; ?name= is the file's name, for the report.
      method: 'POST', path: '/api/import', permission: 'edit', rawBody: true,
      handler: async ({ req, url }) => {
        const type = req.headers['content-type'] ?? '';
        if (!/^application\/(dicom|octet-stream)\b/.test(type)) throw new HttpError(415, 'send one DICOM file as application/dicom');
        return importUpload(archive, req, url.searchParams.get('name') ?? 'upload');
      },
    },
  ];
}
