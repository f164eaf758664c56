import type { Feature } from '../core/feature.ts';
import { Transfers } from '../archive/transfers.ts';
import { ingestStream } from '../archive/importer.ts';
import { CommandField } from '../protocol/command.ts';
import { transcoder } from '../codec/transcoder.ts';
import { nodeRoutes } from '../api/node-routes.ts';
import { jobRoutes } from '../api/job-routes.ts';
import { queryRetrieve } from './query-retrieve.ts';
import { dicomListener } from './dicom-listener.ts';

/**
 * The archive talking to other nodes: echo, search, sends, retrieves (C-MOVE, C-GET, DICOMweb) and forwards by the
 * dicom.ini rules, as jobs on the queue; the Nodes, Query/Retrieve and Transfers screens' API.
 */
export const transfers: Feature<Transfers> = {
  name: 'transfers',
  needs: [queryRetrieve, dicomListener],
  start(core, { the }) {
    const { storeScp } = the(queryRetrieve);
    const listener = the(dicomListener);
    const running = new Transfers({
      config: () => core.config,
      queue: core.queue,
      index: core.index,
      read: core.reader.bind(core),
      associationOptions: () => core.associationOptions(),
      events: core.events,
      tls: () => core.tls,
      logger: core.logger,
      codecs: transcoder,
      // The objects a C-GET of ours brings back, into our storage SCP.
      storage: (assoc, msg) => {
        if (msg.command.commandField === CommandField.CStoreRQ) storeScp.begin(assoc, msg);
      },
      // Reached on this computer: by loopback when it listens on every address, else on the one it listens on.
      self: () => {
        const address = core.listenAddress;
        const host = !address || address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
        return listener.port() ? { host, port: listener.port() } : undefined;
      },
      ingestObject: async (object, source) => {
        await ingestStream(object, core.importTarget(), source);
      },
    });
    core.onStored((e) => running.onStored(e));
    const routes = [
      ...nodeRoutes({ config: () => core.config, transfers: running, reloadAccess: () => core.applySettings() }),
      ...jobRoutes({ transfers: running, queue: core.queue }, { index: core.index }),
    ];
    return { provides: running, routes, stop: () => running.stop() };
  },
};
