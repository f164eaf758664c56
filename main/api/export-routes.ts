import path from 'node:path';
import type { Exporter, ExportLevel } from '../export/exporter.ts';
import { insideRoots } from '../export/export-roots.ts';
import type { AnonymizeRequest } from '../anonymize/anonymizer.ts';
import { HttpError, Streamed, text, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import { isLoopback } from './request-auth.ts';
import { msg } from '../../common/message.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { findLocal } from './query-routes.ts';

/**
 * A download's file name: whose and what, for a single study or patient (Novak_Jan_20261120_US.zip, with its diacritics
 * where the browser takes them: filename*); a de-identified copy never names its patient.
 */
async function downloadName(
  index: Pick<ArchiveIndex, 'queryArchive'>,
  level: string,
  uids: string[],
  format: string,
  anonymized: boolean,
): Promise<{ text: string; ascii: string }> {
  const plain = (text: string) => ({ text, ascii: text });
  if (uids.length > 1) return plain(`${uids.length}-${level.toLowerCase()}-export.${format}`);
  const keys: Record<string, string> =
    level === 'PATIENT'
      ? { PatientID: uids[0]!, PatientName: '' }
      : { StudyInstanceUID: uids[0]!, PatientName: '', StudyDate: '', ModalitiesInStudy: '' };
  const [row] = level === 'PATIENT' || level === 'STUDY' ? await findLocal(index, { level, keys }) : [];
  if (!row) return plain(`${level.toLowerCase()}-${uids[0]!.slice(-24)}.${format}`);
  const who = anonymized
    ? 'anonymized'
    : (row.PatientName ?? '').split('=')[0]!.split('^').filter(Boolean).slice(0, 2).join('_');
  const text =
    [who, row.StudyDate, row.ModalitiesInStudy?.replace(/\\/g, '-')]
      .filter(Boolean)
      .join('_')
      .replace(/[\\/:*?"<>|\s]+/g, '_') + `.${format}`;
  return {
    text,
    ascii: text
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/[^\x20-\x7e]/g, '_'),
  };
}

/** Export as DICOM media (issue 17): a ZIP or an ISO image downloaded, or a media set written to a folder of this computer. */
/** `roots`: the folders an export folder may be in (export-roots.ts). */
export function exportRoutes(
  exporter: Pick<Exporter, 'toFolder' | 'toArchive' | 'anonymizedCopy'>,
  index: Pick<ArchiveIndex, 'queryArchive'>,
  roots: () => string[],
): RouteDef[] {
  const level = (v: unknown): ExportLevel => {
    if (v !== 'PATIENT' && v !== 'STUDY' && v !== 'SERIES')
      throw new HttpError(400, 'level must be PATIENT, STUDY or SERIES');
    return v;
  };
  /** De-identification as asked (a body's `anonymize` object, or the query's anonymize=1 and its options); undefined: none. */
  const anonymizeFrom = (a: unknown): AnonymizeRequest | undefined => {
    if (a === undefined || a === false) return undefined;
    if (a === true) return {};
    if (typeof a !== 'object' || a === null) throw new HttpError(400, 'anonymize must be true or an object of options');
    const o = a as Record<string, unknown>;
    const flag = (k: string) => {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new HttpError(400, `${k} must be true or false`);
      return o[k] === true;
    };
    const name = (k: string) => {
      if (o[k] !== undefined && typeof o[k] !== 'string') throw new HttpError(400, `${k} must be text`);
      return (o[k] as string | undefined) || undefined;
    };
    return {
      retainLongitudinalFullDates: flag('retainLongitudinalFullDates'),
      retainPatientCharacteristics: flag('retainPatientCharacteristics'),
      cleanDescriptors: flag('cleanDescriptors'),
      keepPrivateTags: flag('keepPrivateTags'),
      patientName: name('patientName'),
      patientId: name('patientId'),
    };
  };
  const fromQuery = (q: URLSearchParams) =>
    q.get('anonymize') === '1'
      ? anonymizeFrom({
          retainLongitudinalFullDates: q.get('dates') === '1',
          retainPatientCharacteristics: q.get('characteristics') === '1',
          cleanDescriptors: q.get('descriptors') === '1',
          keepPrivateTags: q.get('private') === '1',
          patientName: q.get('patientName') ?? undefined,
          patientId: q.get('patientId') ?? undefined,
        })
      : undefined;
  return [
    route(ENDPOINTS.export, async ({ url, audit }) => {
      const q = url.searchParams;
      const format = q.get('format') ?? 'zip';
      if (format !== 'zip' && format !== 'iso') throw new HttpError(400, 'format must be zip or iso');
      const what = level(q.get('level') ?? 'STUDY');
      // Several (a search result): UIDs separated by commas, which no UID contains.
      const uids = text(q.get('uid'), 'uid')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      const name = await downloadName(index, what, uids, format, q.get('anonymize') === '1');
      for (const uid of uids)
        audit({
          action: 'export',
          studyUid: what === 'STUDY' ? uid : '',
          patientId: what === 'PATIENT' ? uid : '',
          detail: `${format} download of ${what} ${uid}${q.get('anonymize') === '1' ? ', de-identified' : ''}`,
        });
      return new Streamed(async (res) => {
        await exporter.toArchive(
          what,
          uids,
          format,
          res,
          (size) => {
            res.writeHead(200, {
              'content-type': format === 'zip' ? 'application/zip' : 'application/x-iso9660-image',
              'content-disposition': `attachment; filename="${name.ascii}"; filename*=UTF-8''${encodeURIComponent(name.text)}`,
              ...(size === undefined ? {} : { 'content-length': size }),
            });
          },
          fromQuery(q),
        );
      });
    }),
    // A folder of this computer: only for a user at this computer (a remote client downloads a ZIP instead).
    route(ENDPOINTS.exportTo, async ({ body, source, audit }) => {
      if (!isLoopback(source))
        throw new HttpError(
          403,
          msg("export to a folder is for a user at the archive's computer; download a ZIP or ISO instead"),
        );
      const b = (body ?? {}) as Record<string, unknown>;
      const what = level(b.level ?? 'STUDY');
      const uid = text(b.uid, 'uid');
      const to = text(b.to, 'to');
      const allowed = roots();
      if (!path.isAbsolute(to) || !(await insideRoots(to, allowed))) {
        throw new HttpError(
          403,
          msg('an export folder goes under one of {roots} (ExportRoots)', { roots: allowed.join('; ') }),
        );
      }
      audit({
        action: 'export',
        studyUid: what === 'STUDY' ? uid : '',
        detail: `folder ${to} of ${what} ${uid}${b.anonymize ? ', de-identified' : ''}`,
      });
      return exporter.toFolder(what, [uid], to, anonymizeFrom(b.anonymize));
    }),
    // A de-identified copy kept here as a new patient and study (PS3.15 Annex E Basic profile, with its options).
    route(ENDPOINTS.anonymize, async ({ body, audit }) => {
      const b = (body ?? {}) as Record<string, unknown>;
      audit({ action: 'export', detail: `de-identified copy of ${String(b.level ?? 'STUDY')} ${String(b.uid)}` });
      return exporter.anonymizedCopy(
        level(b.level ?? 'STUDY'),
        [text(b.uid, 'uid')],
        anonymizeFrom(b.options ?? true)!,
      );
    }),
  ];
}
