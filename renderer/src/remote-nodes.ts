import { API_ROUTES, type NodeDto, type StatusDto } from '../../main/api/contract.ts';
import { call } from './api.ts';
import { useLoad } from './hooks.ts';

/**
 * The nodes this workstation can talk to: acrnema.map without our own AE title (acrnema.map often lists it, for
 * peers' C-MOVEs back to us, but sending to ourselves is never what a technician means) and without callers-only
 * entries (a wildcard host). Send to, retrieve to and Query/Retrieve choose from these.
 */
export function useRemoteNodes(): { data: NodeDto[] | undefined; error: string } {
  const nodes = useLoad(() => call<NodeDto[]>('GET', API_ROUTES.nodes), []);
  const status = useLoad(() => call<StatusDto>('GET', API_ROUTES.status), []);
  const ours = status.data?.aeTitle.toUpperCase();
  const data = nodes.data && status.data
    ? nodes.data.filter((n) => n.ae.toUpperCase() !== ours && !/[*?]/.test(n.host))
    : undefined;
  return { data, error: nodes.error || status.error };
}
