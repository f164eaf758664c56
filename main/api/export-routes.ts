import type { Exporter, ExportLevel } from '../export/exporter.ts';
import { HttpError, Streamed, text, type RouteDef } from './router.ts';

/** Export as DICOM media (issue 17): a ZIP or an ISO image downloaded, or a media set written to a folder of this computer. */
export function exportRoutes(exporter: Pick<Exporter, 'toFolder' | 'toArchive'>): RouteDef[] {
  const level = (v: unknown): ExportLevel => {
    if (v !== 'PATIENT' && v !== 'STUDY' && v !== 'SERIES') throw new HttpError(400, 'level must be PATIENT, STUDY or SERIES');
    return v;
  };
  return [
    {
      method: 'GET', path: '/api/export', permission: 'transfer',
      handler: async ({ url }) => {
        const q = url.searchParams;
        const format = q.get('format') ?? 'zip';
        if (format !== 'zip' && format !== 'iso') throw new HttpError(400, 'format must be zip or iso');
        const what = level(q.get('level') ?? 'STUDY');
        const uid = text(q.get('uid'), 'uid');
        const name = `${what.toLowerCase()}-${uid.slice(-24)}.${format}`;
        return new Streamed(async (res) => {
          await exporter.toArchive(what, [uid], format, res, (size) => {
            res.writeHead(200, {
              'content-type': format === 'zip' ? 'application/zip' : 'application/x-iso9660-image',
              'content-disposition': `attachment; filename="${name}"`, ...(size === undefined ? {} : { 'content-length': size }),
            });
          });
        });
      },
    },
    {
      method: 'POST', path: '/api/export', permission: 'transfer',
      handler: async ({ body }) => {
        const b = (body ?? {}) as Record<string, unknown>;
        return exporter.toFolder(level(b.level ?? 'STUDY'), [text(b.uid, 'uid')], text(b.to, 'to'));
      },
    },
  ];
}
