import type { Job } from '../jobs/job.ts';
import { HttpError, text, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { EditService } from './services.ts';

/** Corrections of stored objects (issue 17): each answers the edit job that carries it out. */
export function editRoutes(edit: EditService): RouteDef[] {
  const body = (b: unknown) => (b ?? {}) as Record<string, unknown>;
  const changes = (b: Record<string, unknown>) => {
    if (typeof b.changes !== 'object' || b.changes === null || Array.isArray(b.changes))
      throw new HttpError(400, 'changes must be an object of fields and values');
    return b.changes as Record<string, string>;
  };
  const routes: RouteDef[] = [
    route(
      ENDPOINTS.editPatient,
      async ({ body: b }): Promise<Job> =>
        edit.editor.editPatient(text(body(b).patientId, 'patientId'), changes(body(b))),
    ),
    route(
      ENDPOINTS.editStudy,
      async ({ body: b }): Promise<Job> => edit.editor.editStudy(text(body(b).studyUid, 'studyUid'), changes(body(b))),
    ),
    // The spellings a patient's studies were received with become the one chosen (files rewritten, name confirmed).
    route(
      ENDPOINTS.reconcileName,
      async ({ body: b }): Promise<Job> =>
        edit.editor.reconcilePatientName(
          text(body(b).patientId, 'patientId'),
          text(body(b).patientName, 'patientName'),
        ),
    ),
    route(
      ENDPOINTS.mergePatients,
      async ({ body: b }): Promise<Job> =>
        edit.editor.mergePatients(text(body(b).from, 'from'), text(body(b).into, 'into')),
    ),
    route(
      ENDPOINTS.mergeStudies,
      async ({ body: b }): Promise<Job> =>
        edit.editor.mergeStudies(text(body(b).from, 'from'), text(body(b).into, 'into')),
    ),
    route(ENDPOINTS.moveSeries, async ({ body: b }): Promise<Job> => {
      const { newSeriesUid } = body(b);
      if (newSeriesUid !== undefined && typeof newSeriesUid !== 'boolean')
        throw new HttpError(400, 'newSeriesUid must be true or false');
      return edit.editor.moveSeries(
        text(body(b).seriesUid, 'seriesUid'),
        text(body(b).into, 'into'),
        newSeriesUid === true,
      );
    }),
  ];
  // Every correction is audited with what it asked (the job carries it out).
  const audited = routes.map(
    (r): RouteDef => ({
      ...r,
      handler: async (ctx) => {
        const job = (await r.handler(ctx)) as Job;
        const b = body(ctx.body);
        ctx.audit({
          action: 'edit',
          studyUid: typeof b.studyUid === 'string' ? b.studyUid : '',
          patientId: typeof b.patientId === 'string' ? b.patientId : '',
          detail: `${r.path.slice('/api/edit/'.length)} ${JSON.stringify(b).slice(0, 900)} (job ${job.id})`,
        });
        return job;
      },
    }),
  );
  return [
    ...audited,
    route(ENDPOINTS.destinations, async ({ params: [uid] }) => edit.destinations(uid!)),
    route(ENDPOINTS.patientNames, async ({ body: b }) => {
      const ids = body(b).patientIds;
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string') || ids.length > 5000)
        throw new HttpError(400, 'patientIds must be a list of at most 5000 patient IDs');
      return edit.patientNames(ids as string[]);
    }),
  ];
}
