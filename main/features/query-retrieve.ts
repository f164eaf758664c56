import type { Feature } from '../core/feature.ts';
import { StoreScp } from '../protocol/services/store-scp.ts';
import { FindScp } from '../protocol/services/find-scp.ts';
import { RetrieveScp } from '../protocol/services/retrieve-scp.ts';
import { destinationPort, queryPort, retrievePort } from '../archive/archive-ports.ts';
import { retrieveObserver } from '../runtime/monitoring.ts';
import { transcoder } from '../codec/transcoder.ts';
import { dicomListener } from './dicom-listener.ts';
import { IdentifierChecks } from '../protocol/services/identifier-checks.ts';

export interface QueryRetrieve {
  /** Our storage SCP: also answers the objects a C-GET of ours brings back (transfers.ts). */
  storeScp: StoreScp;
  /** Checks on each C-FIND, C-MOVE and C-GET identifier before it is answered (the request converters). */
  requestChecks: IdentifierChecks;
  /** The query and retrieve services, for what extends them (virtual servers). */
  findScp: FindScp;
  retrieveScp: RetrieveScp;
}

/**
 * The archive as a DICOM node: C-STORE into the ingest, C-FIND of studies and of the worklist (MWL), C-MOVE and C-GET
 * out of the file store.
 */
export const queryRetrieve: Feature<QueryRetrieve> = {
  name: 'query-retrieve',
  settings: ['NameMatching', 'MaxQueryResults'],
  needs: [dicomListener],
  start(core, { the }) {
    const { operations } = the(dicomListener);
    const storeScp = new StoreScp(core.ingest, core.child('store-scp'), (assoc, r) =>
      core.events.emit('object', {
        direction: 'received',
        service: 'C-STORE',
        associationId: assoc.id,
        peerAe: assoc.role === 'acceptor' ? assoc.callingAe : assoc.calledAe,
        ...r,
      }),
    );
    const ports = {
      index: core.index,
      config: () => core.config,
      read: core.reader.bind(core),
      retrieved: core.access.retrieved.bind(core.access),
    };
    const aeTitle = () => core.settings.aeTitle;
    const requestChecks = new IdentifierChecks();
    const retrieveScp = new RetrieveScp({
      checks: requestChecks,
      objects: retrievePort(ports),
      destination: destinationPort(
        () => core.config,
        () => core.tls,
      ),
      aeTitle,
      subAssociationOptions: () => core.associationOptions(),
      operations,
      log: core.child('retrieve-scp'),
      observer: retrieveObserver(core.events),
      codecs: transcoder,
    });
    const findScp = new FindScp(
      queryPort(ports),
      aeTitle,
      operations,
      core.child('find-scp'),
      () => core.settings.maxQueryResults,
      requestChecks,
    );
    return {
      provides: { storeScp, requestChecks, findScp, retrieveScp },
      services: [storeScp, findScp, retrieveScp.move, retrieveScp.get],
    };
  },
};
