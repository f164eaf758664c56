import { HttpError, found, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { WorklistService } from './services.ts';
import type { MppsDto } from './contract.ts';
import { findLocal } from './query-routes.ts';
import { msg } from '../../common/message.ts';

/** The modality worklist's scheduled procedure steps. */
export function worklistRoutes(worklist: WorklistService): RouteDef[] {
  return [
    route(ENDPOINTS.worklist, async () => worklist.listWorklist()),
    // Each step with how many of each series' images are here: a step completed whose images never arrived shows.
    route(ENDPOINTS.mpps, async (): Promise<MppsDto[]> => {
      const steps = await worklist.mppsStore().list();
      const uids = [...new Set(steps.flatMap((s) => s.series.map((x) => x.seriesUid)).filter(Boolean))];
      const here = new Map<string, number>();
      for (let at = 0; at < uids.length; at += 500) {
        const keys = { SeriesInstanceUID: uids.slice(at, at + 500).join('\\'), NumberOfSeriesRelatedInstances: '' };
        for (const r of await findLocal(worklist, { level: 'SERIES', keys }))
          here.set(r.SeriesInstanceUID!, Number(r.NumberOfSeriesRelatedInstances) || 0);
      }
      return steps.map(({ dataSet: _omitted, series, ...step }) => ({
        ...step,
        series: series.map((x) => ({ ...x, here: here.get(x.seriesUid) ?? 0 })),
      }));
    }),
    route(ENDPOINTS.addWorklistEntry, async ({ body }) => worklist.addWorklistEntry(body as object)),
    route(ENDPOINTS.worklistEntry, async ({ params: [id], body }) =>
      found(await worklist.updateWorklistEntry(Number(id), body as object), `worklist entry ${id}`),
    ),
    route(ENDPOINTS.deleteWorklistEntry, async ({ params: [id] }) => {
      if (!(await worklist.deleteWorklistEntry(Number(id))))
        throw new HttpError(404, msg('no worklist entry {id}', { id: String(id) }));
      return { removed: Number(id) };
    }),
  ];
}
