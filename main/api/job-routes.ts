import type { RetrieveRequest, SendRequest } from './contract.ts';
import { withJobStudies } from './query-routes.ts';
import { queryText } from './archive-routes.ts';
import { HttpError, found, listLimit, text, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { ArchiveService, JobService } from './services.ts';

const LEVELS = new Set(['PATIENT', 'STUDY', 'SERIES', 'IMAGE']);

/** A retrieve's patient name and description as its detail: short strings only, anything else left out. */
function aboutDetail(about: unknown): string {
  if (typeof about !== 'object' || about === null) return '';
  const { patientName, description } = about as Record<string, unknown>;
  const kept = Object.fromEntries(
    Object.entries({ patientName, description })
      .filter(([, v]) => typeof v === 'string' && v)
      .map(([k, v]) => [k, (v as string).slice(0, 200)]),
  );
  return Object.keys(kept).length ? JSON.stringify(kept) : '';
}

/** Sends, retrieves and the job queue (each job named by its study, as this archive knows it). */
export function jobRoutes(jobs: JobService, archive: Pick<ArchiveService, 'index'>): RouteDef[] {
  return [
    // The newest jobs (`?limit=`, 200 by default): the queue keeps every job it ever ran.
    route(ENDPOINTS.jobs, async ({ url }) => {
      return withJobStudies(
        archive.index,
        (await jobs.queue.list()).slice(-listLimit(url.searchParams.get('limit'), 200)),
      );
    }),
    route(ENDPOINTS.cancelJob, async ({ params: [id] }) => found(await jobs.queue.cancel(Number(id)), `job ${id}`)),
    route(ENDPOINTS.retryJob, async ({ params: [id] }) => found(await jobs.queue.retry(Number(id)), `job ${id}`)),
    route(ENDPOINTS.send, async ({ body, audit }) => {
      const b = body as Partial<SendRequest>;
      if (!LEVELS.has(String(b.level))) throw new HttpError(400, 'level must be PATIENT, STUDY, SERIES or IMAGE');
      if (b.commit !== undefined && typeof b.commit !== 'boolean')
        throw new HttpError(400, 'commit must be true or false');
      const job = await jobs.transfers.send(text(b.destination, 'destination'), b.level!, text(b.uid, 'uid'), {
        commit: b.commit,
      });
      audit({
        action: 'send',
        studyUid: b.level === 'STUDY' ? b.uid : '',
        detail: `${b.level} ${b.uid} to ${b.destination} (job ${job.id})`,
      });
      return job;
    }),
    route(ENDPOINTS.retrieve, async ({ body, audit }) => {
      const b = body as Partial<RetrieveRequest>;
      if (b.how !== 'move' && b.how !== 'get') throw new HttpError(400, 'how must be move or get');
      if (!b.query || !LEVELS.has(String(b.query.level)) || typeof b.query.keys !== 'object')
        throw new HttpError(400, 'query needs a level and keys');
      const job = await jobs.transfers.retrieve(
        text(b.source, 'source'),
        b.query,
        b.how,
        b.destination ?? '',
        aboutDetail(b.about),
      );
      const patientId =
        typeof b.patientId === 'string' ? b.patientId.slice(0, 64) : String(b.query.keys.PatientID ?? '');
      audit({
        action: 'retrieve',
        studyUid: String(b.query.keys.StudyInstanceUID ?? ''),
        patientId,
        detail: `C-${b.how.toUpperCase()} from ${b.source} to ${b.destination || 'here'}: ${queryText(b.query)}`,
      });
      return job;
    }),
  ];
}
