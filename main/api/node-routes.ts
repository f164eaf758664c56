import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../config/config-error.ts';
import type { EchoResult, NodeDto } from './contract.ts';
import { findRemote } from './query-routes.ts';
import { HttpError, text, type RouteDef } from './router.ts';
import type { NodeService } from './services.ts';

/** The nodes of acrnema.map: list, add or replace, delete, echo, search one with C-FIND. */
export function nodeRoutes(nodes: NodeService): RouteDef[] {
  const save = () => writeFile(nodes.config().settings.acrNemaMap, nodes.config().nodes.toString());
  return [
    { method: 'GET', path: '/api/nodes', permission: 'view', handler: async () => nodes.config().nodes.nodes.map(({ ae, host, port, compression }): NodeDto => ({ ae, host, port, compression })) },
    {
      method: 'POST', path: '/api/nodes', permission: 'configure',
      handler: async ({ body }) => {
        const b = body as Partial<NodeDto>;
        const node = { ae: text(b.ae, 'ae'), host: text(b.host, 'host'), port: Number(b.port), compression: b.compression || 'un' };
        try {
          nodes.config().nodes.upsert(node);
        } catch (err) {
          if (err instanceof ConfigError) throw new HttpError(400, err.reason);
          throw err;
        }
        await save();
        return node;
      },
    },
    {
      method: 'DELETE', path: '/api/nodes/:ae', permission: 'configure',
      handler: async ({ params: [ae] }) => {
        // A forwarding rule naming the node would make dicom.ini refused at the next start.
        const rule = nodes.config().forwardRules.find((r) => r.destination.toUpperCase() === ae!.toUpperCase());
        if (rule) throw new HttpError(409, `ExportConverter${rule.index} (dicom.ini line ${rule.line}) forwards to ${rule.destination}: change or remove that rule first`);
        if (!nodes.config().nodes.remove(ae!)) throw new HttpError(404, `no node ${ae!}`);
        await save();
        return { removed: ae! };
      },
    },
    {
      method: 'POST', path: '/api/nodes/:ae/echo', permission: 'view',
      handler: async ({ params: [ae], signal }) => {
        try {
          return { ae: ae!, ok: true, milliseconds: Math.round(await nodes.transfers.echo(ae!, signal)) } satisfies EchoResult;
        } catch (err) {
          return { ae: ae!, ok: false, error: (err as Error).message } satisfies EchoResult;
        }
      },
    },
    { method: 'POST', path: '/api/nodes/:ae/find', permission: 'view', handler: async ({ params: [ae], body, signal }) => findRemote(nodes, ae!, body as object, signal) },
  ];
}
