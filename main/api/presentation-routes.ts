import type { PresentationStates } from '../presentation/presentation-states.ts';
import type { RouteDef } from './router.ts';

/** The viewer's measurements of a study: the newest presentation state's, and saving them as a new one. */
export function presentationRoutes(states: Pick<PresentationStates, 'latest' | 'save'>): RouteDef[] {
  return [
    { method: 'GET', path: '/api/studies/:uid/annotations', permission: 'view', handler: async ({ params: [uid] }) => states.latest(uid!) },
    {
      method: 'POST', path: '/api/studies/:uid/annotations', permission: 'edit',
      handler: async ({ params: [uid], body, principal, audit }) => {
        const annotations = (body as { annotations?: unknown }).annotations;
        const saved = await states.save(uid!, annotations, principal!.user);
        audit({ action: 'edit', studyUid: uid!, detail: `${Array.isArray(annotations) ? annotations.length : 0} measurement(s) saved as presentation state ${saved.sopInstanceUid}` });
        return saved;
      },
    },
  ];
}
