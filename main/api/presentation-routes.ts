import type { PresentationStates } from '../presentation/presentation-states.ts';
import { route, type RouteDef } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';

/** The viewer's measurements of a study: the newest presentation state's, and saving them as a new one. */
export function presentationRoutes(states: Pick<PresentationStates, 'latest' | 'save'>): RouteDef[] {
  return [
    route(ENDPOINTS.annotations, async ({ params: [uid] }) => states.latest(uid!)),
    route(ENDPOINTS.saveAnnotations, async ({ params: [uid], body, principal, audit }) => {
      const annotations = (body as { annotations?: unknown }).annotations;
      const saved = await states.save(uid!, annotations, principal!.user);
      audit({
        action: 'edit',
        studyUid: uid!,
        detail: `${Array.isArray(annotations) ? annotations.length : 0} measurement(s) saved as presentation state ${saved.sopInstanceUid}`,
      });
      return saved;
    }),
  ];
}
