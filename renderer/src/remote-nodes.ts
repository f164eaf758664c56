import { ENDPOINTS } from '../../main/api/endpoints.ts';
import type { NodeDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { useLoad } from './hooks.ts';
import { t } from './i18n.ts';

/** A node to send to or search: a DICOM node of acrnema.map, or a DICOMweb node (`web`: its URL is in `host`). */
export type RemoteNode = NodeDto & { web?: boolean; everywhere?: string[] };

/** How a node is named in a list: AE (host:port), or name (DICOMweb URL). */
export function nodeLabel(n: RemoteNode): string {
  if (n.everywhere) return t('Everywhere: this archive and {nodes}', { nodes: n.everywhere.join(', ') });
  return n.web ? `${n.ae} (DICOMweb ${n.host})` : `${n.ae} (${n.host}:${n.port})`;
}

/**
 * The nodes this workstation can talk to: acrnema.map without our own AE title (acrnema.map often lists it, for
 * peers' C-MOVEs back to us, but sending to ourselves is never what a technician means) and without callers-only
 * entries (a wildcard host), then the DICOMweb nodes. Send to, retrieve to and Query/Retrieve choose from these.
 */
export function useRemoteNodes(): { data: RemoteNode[] | undefined; error: string; self?: RemoteNode } {
  const nodes = useLoad(() => api(ENDPOINTS.nodes), []);
  const web = useLoad(() => api(ENDPOINTS.webNodes), []);
  const status = useLoad(() => api(ENDPOINTS.status), []);
  const ours = status.data?.aeTitle.toUpperCase();
  const data =
    nodes.data && status.data && web.data
      ? [
          ...nodes.data.filter((n) => n.ae.toUpperCase() !== ours && !/[*?]/.test(n.host)),
          ...web.data.map((w): RemoteNode => ({ ae: w.name, host: w.url, port: 0, compression: 'as', web: true })),
        ]
      : undefined;
  // With virtual servers, this archive itself is a node to search: its answer merges its upstreams' (VirtualServerFor).
  const self = status.data?.virtualServers.length
    ? {
        ae: status.data.aeTitle,
        host: '127.0.0.1',
        port: status.data.dicomPort,
        compression: 'as',
        everywhere: status.data.virtualServers,
      }
    : undefined;
  return { data, error: nodes.error || web.error || status.error, self };
}
