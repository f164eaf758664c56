import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../config/config-error.ts';
import type { EchoResult, NodeDto, WebNodeDto } from './contract.ts';
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
    // DICOMweb nodes (dicomweb.map): echo and find above serve them too, by name.
    {
      method: 'GET', path: '/api/web-nodes', permission: 'view',
      handler: async () => nodes.config().webNodes.nodes.map(({ name, url, auth }): WebNodeDto => ({ name, url, auth: auth.split(':')[0] ?? '' })),
    },
    {
      method: 'POST', path: '/api/web-nodes', permission: 'configure',
      handler: async ({ body }) => {
        const b = body as Partial<WebNodeDto>;
        const name = text(b.name, 'name');
        const map = nodes.config().webNodes;
        if (nodes.config().nodes.nodes.some((n) => n.ae.toUpperCase() === name.toUpperCase())) throw new HttpError(409, `${name} is a DICOM node of acrnema.map: give the DICOMweb node another name`);
        const auth = b.auth === 'keep' ? map.find(name)?.auth ?? '' : (b.auth ?? '').trim();
        try {
          map.upsert({ name, url: text(b.url, 'url'), auth });
        } catch (err) {
          if (err instanceof ConfigError) throw new HttpError(400, err.reason);
          throw err;
        }
        await writeFile(map.file, map.toString());
        return { name, url: map.find(name)!.url, auth: auth.split(':')[0] ?? '' } satisfies WebNodeDto;
      },
    },
    {
      method: 'DELETE', path: '/api/web-nodes/:name', permission: 'configure',
      handler: async ({ params: [name] }) => {
        const map = nodes.config().webNodes;
        if (!map.remove(name!)) throw new HttpError(404, `no DICOMweb node ${name!}`);
        await writeFile(map.file, map.toString());
        return { removed: name! };
      },
    },
  ];
}
