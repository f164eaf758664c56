import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../config/config-error.ts';
import type { EchoResult, NodeAccessDto, NodeDto, WebNodeDto } from './contract.ts';
import {
  NODE_RIGHTS_FILE,
  RIGHTS,
  nodeRightsLine,
  type NodeRights,
  type NodeRightsMap,
} from '../config/node-rights.ts';
import path from 'node:path';
import { findRemote } from './query-routes.ts';
import { queryText } from './archive-routes.ts';
import { HttpError, text, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';
import type { NodeService } from './services.ts';
import { isMessage, msg, saidOf } from '../../common/message.ts';

function accessOf(map: NodeRightsMap, ae: string): NodeAccessDto {
  const own = map.find(ae);
  const r = map.of(ae);
  return {
    rights: r.rights,
    retrieveTo: r.retrieveTo,
    checkHost: r.checkHost,
    own: !!own && own.ae.toUpperCase() === ae.toUpperCase(),
  };
}

/** A node's rights as the Nodes screen sends them, checked as a noderights.map line is. */
function checkedAccess(ae: string, a: Partial<NodeAccessDto>): Omit<NodeRights, 'ae' | 'line'> {
  if (!Array.isArray(a.rights) || a.rights.some((r) => !(RIGHTS as readonly string[]).includes(r)))
    throw new HttpError(400, `access.rights are among ${RIGHTS.join(', ')}`);
  const to =
    a.retrieveTo === '*' || a.retrieveTo === undefined
      ? '*'
      : Array.isArray(a.retrieveTo)
        ? a.retrieveTo.length
          ? a.retrieveTo.join(',')
          : '-'
        : undefined;
  if (to === undefined) throw new HttpError(400, 'access.retrieveTo is "*" or a list of AE titles');
  const parsed = nodeRightsLine([ae, a.rights.length ? a.rights.join(',') : '-', to, a.checkHost ? 'host' : '-']);
  if (isMessage(parsed)) throw new HttpError(400, parsed);
  const { ae: _ae, ...rights } = parsed;
  return rights;
}

/** The nodes of acrnema.map with their rights (noderights.map): list, add or replace, delete, echo, search one with C-FIND. */
export function nodeRoutes(nodes: NodeService): RouteDef[] {
  const save = () => writeFile(nodes.config().settings.acrNemaMap, nodes.config().nodes.toString());
  const saveAccess = async () => {
    await writeFile(path.join(nodes.config().configDir, NODE_RIGHTS_FILE), nodes.config().nodeRights.toString());
    await nodes.reloadAccess();
  };
  return [
    route(ENDPOINTS.nodes, async () =>
      nodes.config().nodes.nodes.map(
        ({ ae, host, port, compression }): NodeDto => ({
          ae,
          host,
          port,
          compression,
          access: accessOf(nodes.config().nodeRights, ae),
        }),
      ),
    ),
    route(ENDPOINTS.addNode, async ({ body, audit }) => {
      const b = body as Partial<NodeDto>;
      const node = {
        ae: text(b.ae, 'ae'),
        host: text(b.host, 'host'),
        port: Number(b.port),
        compression: b.compression || 'un',
      };
      const access = b.access === undefined ? undefined : checkedAccess(node.ae, b.access);
      try {
        nodes.config().nodes.upsert(node);
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(400, err.reasonSaid);
        throw err;
      }
      await save();
      if (access) {
        nodes.config().nodeRights.set(node.ae, access);
        await saveAccess();
      }
      const rights = access
        ? `; may ${access.rights.join(',') || 'nothing'}, retrieve to ${access.retrieveTo === '*' ? 'any' : access.retrieveTo.join(',') || 'none'}${access.checkHost ? ', host checked' : ''}`
        : '';
      audit({ action: 'nodes-changed', detail: `${node.ae} = ${node.host}:${node.port} ${node.compression}${rights}` });
      return { ...node, access: accessOf(nodes.config().nodeRights, node.ae) };
    }),
    route(ENDPOINTS.node, async ({ params: [ae], audit }) => {
      // A forwarding rule naming the node would make dicom.ini refused at the next start.
      const named = (d: string) => d.toUpperCase() === ae!.toUpperCase();
      const rule = nodes.config().forwardRules.find((r) => r.destinations.some(named));
      if (rule)
        throw new HttpError(
          409,
          msg(
            'ExportConverter{index} (dicom.ini line {line}) forwards to {destination}: change or remove that rule first',
            { index: rule.index, line: String(rule.line), destination: rule.destinations.find(named)! },
          ),
        );
      if (!nodes.config().nodes.remove(ae!)) throw new HttpError(404, msg('no node {value}', { value: ae! }));
      await save();
      if (nodes.config().nodeRights.find(ae!)?.ae.toUpperCase() === ae!.toUpperCase()) {
        nodes.config().nodeRights.set(ae!, undefined);
        await saveAccess();
      }
      audit({ action: 'nodes-changed', detail: `${ae!} removed` });
      return { removed: ae! };
    }),
    route(ENDPOINTS.echo, async ({ params: [ae], signal }) => {
      try {
        return {
          ae: ae!,
          ok: true,
          milliseconds: Math.round(await nodes.transfers.echo(ae!, signal)),
        } satisfies EchoResult;
      } catch (err) {
        return { ae: ae!, ok: false, error: (err as Error).message, message: saidOf(err) } satisfies EchoResult;
      }
    }),
    route(ENDPOINTS.remoteFind, async ({ params: [ae], body, signal, audit }) => {
      audit({ action: 'query', detail: `${ae!}: ${queryText(body)}` });
      return findRemote(nodes, ae!, body as object, signal);
    }),
    // DICOMweb nodes (dicomweb.map): echo and find above serve them too, by name.
    route(ENDPOINTS.webNodes, async () =>
      nodes
        .config()
        .webNodes.nodes.map(({ name, url, auth }): WebNodeDto => ({ name, url, auth: auth.split(':')[0] ?? '' })),
    ),
    route(ENDPOINTS.addWebNode, async ({ body, audit }) => {
      const b = body as Partial<WebNodeDto>;
      const name = text(b.name, 'name');
      const map = nodes.config().webNodes;
      if (nodes.config().nodes.nodes.some((n) => n.ae.toUpperCase() === name.toUpperCase()))
        throw new HttpError(
          409,
          msg('{name} is a DICOM node of acrnema.map: give the DICOMweb node another name', { name }),
        );
      const auth = b.auth === 'keep' ? (map.find(name)?.auth ?? '') : (b.auth ?? '').trim();
      try {
        map.upsert({ name, url: text(b.url, 'url'), auth });
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(400, err.reasonSaid);
        throw err;
      }
      await writeFile(map.file, map.toString());
      audit({ action: 'nodes-changed', detail: `DICOMweb ${name} = ${map.find(name)!.url}` });
      return { name, url: map.find(name)!.url, auth: auth.split(':')[0] ?? '' } satisfies WebNodeDto;
    }),
    route(ENDPOINTS.webNode, async ({ params: [name], audit }) => {
      const map = nodes.config().webNodes;
      if (!map.remove(name!)) throw new HttpError(404, msg('no DICOMweb node {value}', { value: name! }));
      await writeFile(map.file, map.toString());
      audit({ action: 'nodes-changed', detail: `DICOMweb ${name!} removed` });
      return { removed: name! };
    }),
  ];
}
