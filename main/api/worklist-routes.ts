import { HttpError, found, type RouteDef } from './router.ts';
import type { WorklistService } from './services.ts';
import type { MppsDto } from './contract.ts';

/** The modality worklist's scheduled procedure steps. */
export function worklistRoutes(worklist: WorklistService): RouteDef[] {
  return [
    { method: 'GET', path: '/api/worklist', permission: 'view', handler: async () => worklist.listWorklist() },
    {
      method: 'GET', path: '/api/mpps', permission: 'view',
      handler: async (): Promise<MppsDto[]> => (await worklist.mppsStore().list()).map(({ dataSet: _omitted, ...step }) => step),
    },
    { method: 'POST', path: '/api/worklist', permission: 'edit', handler: async ({ body }) => worklist.addWorklistEntry(body as object) },
    { method: 'PUT', path: '/api/worklist/:id', permission: 'edit', handler: async ({ params: [id], body }) => found(await worklist.updateWorklistEntry(Number(id), body as object), `worklist entry ${id}`) },
    {
      method: 'DELETE', path: '/api/worklist/:id', permission: 'edit',
      handler: async ({ params: [id] }) => {
        if (!(await worklist.deleteWorklistEntry(Number(id)))) throw new HttpError(404, `no worklist entry ${id}`);
        return { removed: Number(id) };
      },
    },
  ];
}
