import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { DicomListener } from '../protocol/network.ts';
import { negotiate, type AcceptancePolicy, type NegotiationResult } from '../protocol/negotiation.ts';
import { ContextResult, RejectReason, RejectResult, RejectSource, type AssociateRQ } from '../protocol/pdu.ts';
import type { Association, AssociationHandler, IncomingMessage } from '../protocol/association.ts';
import { verificationService } from '../protocol/services/echo.ts';
import { RunningOperations } from '../protocol/services/operations.ts';
import { ServiceRegistry } from '../protocol/services/registry.ts';
import { LISTENER_FIELDS, withFields } from '../config/setting-effects.ts';
import { loadConfig } from '../config/load.ts';
import { TlsFileError, readTlsFiles } from '../config/tls-files.ts';
import { nodeAccess } from '../archive/node-access.ts';
import { watchAssociation } from '../runtime/monitoring.ts';
import { ListenerNotMoved } from '../runtime/listener-not-moved.ts';
import { auditAssociation, auditRequest } from '../audit/dicom-audit.ts';

export type AdmissionCheck = (assoc: Association) => Promise<string | undefined>;
export type RequestObserver = (assoc: Association, msg: IncomingMessage) => void;

export interface DicomPorts {
  /** Operations running on our associations, for C-CANCEL (the C-FIND, C-MOVE and C-GET services register theirs). */
  operations: RunningOperations;
  /** The plain listener's port (0 when PlainDICOM = 0), the TLS one's (0 when none). */
  port(): number;
  tlsPort(): number;
  openAssociations(): number;
  /**
   * Another check before an association negotiated by dicom.ini is accepted (a script's `[lua] association`): the
   * reason it is refused for, or undefined. Checks run in the order added, only for associations the rules accept.
   */
  admit(check: AdmissionCheck): void;
  /** Every DIMSE request on our associations, as it is dispatched (a script's `[lua] command`). */
  observeRequests(observer: RequestObserver): void;
  /**
   * Close every listener (open associations are aborted) and open them again on dicom.ini's current values; when they
   * cannot listen so, they listen as before and the error says why. Resolves with the DICOM port.
   */
  restart(): Promise<number>;
}

/**
 * The DICOM listeners (TCPPort, and TLSPort when set): associations negotiated by dicom.ini, dgatesop.lst and
 * noderights.map, then served by the DIMSE services every feature contributes (verification is this feature's own);
 * each association on the Monitor and in the audit trail.
 */
export const dicomListener: Feature<DicomPorts> = {
  name: 'dicom-listener',
  settings: [
    'TCPPort',
    'ListenAddress',
    'AcceptAnyCalledAE',
    'RequireKnownCallingAE',
    'TLSPort',
    'TLSRequireClientCertificate',
    'PlainDICOM',
  ],
  start(core, { all }) {
    const operations = new RunningOperations();
    const admissions: AdmissionCheck[] = [];
    const requestObservers: RequestObserver[] = [];
    let plain: DicomListener | undefined;
    let secure: DicomListener | undefined;
    let ports = { plain: 0, tls: 0 };
    const watch = (assoc: Association) => {
      watchAssociation(assoc, core.events);
      auditAssociation(assoc, (e) => core.audit.record(e));
    };
    const handler = (): AssociationHandler => {
      const registry = new ServiceRegistry(core.child('dimse'), operations).register(verificationService);
      for (const service of all.services()) registry.register(service);
      registry.observe((assoc, msg, data) => auditRequest(assoc, msg, data, (e) => core.audit.record(e)));
      registry.observe((assoc, msg) => {
        for (const observe of requestObservers) observe(assoc, msg);
      });
      return {
        negotiate: (rq, assoc) => {
          const decision = refusalsAudited(
            core,
            rq,
            assoc,
            negotiate(rq, acceptancePolicy(core, all.sopClasses()), assoc.remoteAddress),
          );
          return decision.rejection || !admissions.length ? decision : admitted(decision, assoc, admissions);
        },
        ...registry.handlers(),
      };
    };
    const log = core.child('server');
    const open = async () => {
      const s = core.settings;
      const host = core.listenAddress;
      const served = handler();
      if (s.plainDicom) {
        plain = new DicomListener(core.associationOptions(), served, core.child('dicom'), watch);
        ports.plain = await plain.listen(core.overrides.port ?? s.port, host);
      }
      if (s.tlsPort || core.overrides.tlsPort !== undefined) {
        const credentials = await readTlsFiles(s);
        if (!credentials) throw new TlsFileError('TLSPort is set but TLSCertificate and TLSPrivateKey are not');
        secure = new DicomListener(core.associationOptions(), served, core.child('dicom-tls'), watch, credentials);
        ports.tls = await secure.listen(core.overrides.tlsPort ?? s.tlsPort, host);
        log.info(
          `${s.aeTitle} listening for DICOM TLS on ${host}:${ports.tls}${credentials.requireClientCertificate ? ' (client certificates required)' : ''}`,
        );
      }
      log.info(
        `${s.aeTitle} ${plain ? `listening on ${host}:${ports.plain}` : 'listening for DICOM over TLS only (PlainDICOM = 0)'}; storage ${s.devices.join(', ')}; index ${s.index.engine === 'sqlite' ? s.index.file : `MySQL ${s.index.user}@${s.index.host}:${s.index.port}/${s.index.database}`}`,
      );
    };
    const close = async () => {
      await plain?.close().catch(() => undefined);
      await secure?.close().catch(() => undefined);
      plain = secure = undefined;
      ports = { plain: 0, tls: 0 };
    };
    const restart = async () => {
      const before = core.config;
      try {
        await all.restartListeners(async () => {
          const fresh = await loadConfig(before.configDir, before.dataDir);
          core.config = {
            ...before,
            sopList: fresh.sopList,
            settings: withFields(before.settings, fresh.settings, LISTENER_FIELDS),
          };
          return () => {
            core.config = before;
          };
        });
      } catch (err) {
        throw new ListenerNotMoved(
          `${(err as Error).message}; still listening as ${before.settings.aeTitle} on port ${ports.plain}`,
        );
      }
      return ports.plain;
    };
    return {
      provides: {
        operations,
        port: () => ports.plain,
        tlsPort: () => ports.tls,
        restart,
        openAssociations: () => (plain?.associations.size ?? 0) + (secure?.associations.size ?? 0),
        admit: (check) => admissions.push(check),
        observeRequests: (observer) => requestObservers.push(observer),
      },
      listener: { open, close },
    };
  },
};

function acceptancePolicy(core: ArchiveCore, extraSopClasses: string[]): AcceptancePolicy {
  const s = core.settings;
  const config = () => core.config;
  return {
    aeTitle: s.aeTitle,
    acceptAnyCalledAe: s.acceptAnyCalledAe,
    knownCallingAe: s.requireKnownCallingAe ? (ae) => core.config.nodes.find(ae) !== undefined : undefined,
    // dgatesop.lst's classes, and the N-services features turn on (a Conquest dgatesop.lst does not list them).
    sopClasses: extraSopClasses.length
      ? new Set([...core.config.sopList.sopClasses, ...extraSopClasses])
      : core.config.sopList.sopClasses,
    transferSyntaxes: core.config.sopList.transferSyntaxes,
    ...nodeAccess(config),
  };
}

/** The added checks on an association the rules accept: the first reason given rejects it (permanently, by us). */
async function admitted(
  decision: NegotiationResult,
  assoc: Association,
  checks: readonly AdmissionCheck[],
): Promise<NegotiationResult> {
  for (const check of checks) {
    const why = await check(assoc);
    if (why !== undefined)
      return {
        ...decision,
        rejection: {
          result: RejectResult.Permanent,
          source: RejectSource.ServiceUser,
          reason: RejectReason.NoReasonGiven,
          why,
        },
      };
  }
  return decision;
}

/** Services noderights.map refused the caller (rejected presentation contexts): logged and audited. */
function refusalsAudited(
  core: ArchiveCore,
  rq: AssociateRQ,
  assoc: Association,
  decision: NegotiationResult,
): NegotiationResult {
  const refused = decision.contexts
    .filter((c) => c.result === ContextResult.UserRejection)
    .map((c) => rq.contexts.find((p) => p.id === c.id)?.abstractSyntax ?? '');
  if (refused.length) {
    const classes = [...new Set(refused)].join(', ');
    core
      .child('server')
      .warn(
        `${rq.callingAe} (${assoc.remoteAddress}) may not use ${classes} (noderights.map): presentation contexts rejected`,
      );
    core.audit.record({
      user: rq.callingAe,
      source: `${rq.callingAe}@${assoc.remoteAddress}`,
      action: 'refused',
      outcome: 'refused',
      detail: `SOP classes refused by noderights.map: ${classes}`,
    });
  }
  return decision;
}
