import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadConfig, seedConfig, type LoadedConfig } from './config/load.ts';
import { Logger, consoleSink, type SourceLogger } from './util/log.ts';
import { DicomListener } from './protocol/network.ts';
import { negotiate, type AcceptancePolicy, type NegotiationResult } from './protocol/negotiation.ts';
import { ContextResult, type AssociateRQ } from './protocol/pdu.ts';
import type { AssociationHandler } from './protocol/association.ts';
import { CommandField } from './protocol/command.ts';
import { verificationService } from './protocol/services/echo.ts';
import { StoreScp } from './protocol/services/store-scp.ts';
import { FindScp } from './protocol/services/find-scp.ts';
import { RunningOperations } from './protocol/services/operations.ts';
import { RetrieveScp } from './protocol/services/retrieve-scp.ts';
import { ServiceRegistry } from './protocol/services/registry.ts';
import { commitmentServices } from './protocol/services/commitment-scp.ts';
import { mppsService } from './protocol/services/mpps-scp.ts';
import { MPPS_SOP_CLASS, STORAGE_COMMITMENT_SOP_CLASS } from '../common/uids.ts';
import { destinationPort, queryPort, retrievePort } from './archive/archive-ports.ts';
import { transcoder } from './codec/transcoder.ts';
import { readStoredDataSet } from './store/object-reader.ts';
import type { AssociationOptions } from './protocol/association.ts';
import { ArchiveEvents } from './runtime/events.ts';
import { Activity } from './runtime/activity.ts';
import { ListenerNotMoved } from './runtime/listener-not-moved.ts';
import { readForwardRules } from './config/forward-rules.ts';
import { LISTENER_FIELDS, LIVE_FIELDS, withFields } from './config/setting-effects.ts';
import { retrieveObserver, watchAssociation } from './runtime/monitoring.ts';
import { Transfers } from './archive/transfers.ts';
import { HttpApi } from './api/http-api.ts';
import type { ApiServices } from './api/services.ts';
import { apiSecret, newApiSecret } from './accounts/install-secret.ts';
import { ExpiringTokens } from './api/expiring-tokens.ts';
import { UploadSpace } from './api/upload-space.ts';
import { exportRoots } from './export/export-roots.ts';
import type { LinkGrant } from './api/request-auth.ts';
import { FileStore } from './store/file-store.ts';
import { compileLayout } from './store/layout.ts';
import { SqliteIndex } from './index/sqlite.ts';
import type { ArchiveIndex, StoredInstance } from './index/archive-index.ts';
import { ArchiveIngest, type StoredEvent } from './archive/ingest.ts';
import { importPath, ingestStream, type ImportTarget } from './archive/importer.ts';
import { Hl7Inbox } from './workflow/hl7/hl7-inbox.ts';
import { recoverIncoming, repairNewestRows } from './archive/store-repair.ts';
import { StudyRemoval } from './archive/study-removal.ts';
import { StudyAccess } from './archive/study-access.ts';
import { Retention } from './archive/retention.ts';
import { ActivityFile } from './runtime/activity-file.ts';
import { TlsFileError, readTlsFiles } from './config/tls-files.ts';
import type { TlsSettings } from './protocol/network.ts';
import { StudyEditor } from './edit/study-editor.ts';
import { Exporter } from './export/exporter.ts';
import type { Condition } from './query/condition.ts';
import { Hl7Listener } from './workflow/hl7/hl7-listener.ts';
import { Accounts } from './accounts/accounts.ts';
import { ApiKeys } from './accounts/api-keys.ts';
import { nodeAccess } from './archive/node-access.ts';
import { PresentationStates } from './presentation/presentation-states.ts';
import { auditAssociation, auditRequest } from './audit/dicom-audit.ts';
import { AtnaSyslog, parseHostPort } from './audit/atna-syslog.ts';
import type { Association } from './protocol/association.ts';
import { AuditTrail } from './audit/audit-trail.ts';
import { apiCertificate, apiNeedsTls, apiServer, type ApiCertificate } from './api/api-tls.ts';
import { msg } from '../common/message.ts';

export interface ServerOptions {
  /** Folder holding dicom.ini, acrnema.map and dgatesop.lst; seeded with defaults when empty. */
  configDir: string;
  /** Folder that relative paths in dicom.ini resolve against (storage, index). */
  dataDir: string;
  /** Overrides of dicom.ini for this run only. */
  port?: number;
  listenAddress?: string;
  /** API port for this run, overriding APIPort. */
  apiPort?: number;
  /** DICOM TLS port for this run, overriding TLSPort (0 picks a free one). */
  tlsPort?: number;
  /** What POST /api/shutdown does (serve: stop and exit); without it the route says the core cannot stop itself. */
  onShutdownRequest?: () => Promise<void>;
  logger?: Logger;
}

/** The archive core: configuration, file store, index and the DICOM listener, wired together. */
export class ArchiveServer {
  readonly logger: Logger;
  config!: LoadedConfig;
  index!: ArchiveIndex;
  store!: FileStore;
  port = 0;
  /** The plain DICOM listener (TCPPort); none when PlainDICOM = 0 leaves only the TLS one. */
  private listener?: DicomListener;
  private readonly options: ServerOptions;
  private readonly log: SourceLogger;
  private readonly storedListeners: ((e: StoredEvent) => void)[] = [];
  private readonly operations = new RunningOperations();
  /** Associations, objects and jobs as they happen. */
  readonly events = new ArchiveEvents();
  /** Recent associations and errors, for the monitor. */
  readonly activity = new Activity(this.events);
  /** Sends, retrieves, forwards and the SCU operations. */
  transfers!: Transfers;
  /** The HTTP/WebSocket API, and the secret its clients must show (kept in DATA/api-secret). */
  api?: HttpApi;
  apiSecret = '';
  /** One-time link tokens (a download or WebSocket URL of a page signed in with the secret: 60 s). */
  readonly linkTokens = new ExpiringTokens<LinkGrant>(60_000);
  /** One-time sign-in links for this computer's browser (printed at start, `cli.ts sign-in-link`: 10 minutes). */
  readonly signIns = new ExpiringTokens<true>(10 * 60_000);
  /** The local administrator's browser sessions, opened by sign-in links (SessionMaxHours; at most 100). */
  readonly localSessions = new ExpiringTokens<true>(() => this.config.settings.sessionMaxHours * 3_600_000, { max: 100 });
  private handler!: AssociationHandler;

  constructor(options: ServerOptions) {
    this.options = options;
    this.logger = options.logger ?? new Logger();
    if (!options.logger) this.logger.addSink(consoleSink);
    this.log = this.logger.child('server');
  }

  onStored(listener: (e: StoredEvent) => void): void {
    this.storedListeners.push(listener);
  }

  /** Deleting studies through the index's journal; when studies were last used; clean-up when the disk fills. */
  removal!: StudyRemoval;
  /** Corrections of stored objects (edit, merge, move). */
  editor!: StudyEditor;
  private activityFile?: ActivityFile;
  access!: StudyAccess;
  retention!: Retention;

  /** Receiving into the archive (also used by the importer). */
  ingest!: ArchiveIngest;
  /** Who did what (audit-trail.ts); users, sessions and the first administrator's set-up. */
  audit!: AuditTrail;
  accounts!: Accounts;
  apiKeys!: ApiKeys;
  /** The API's HTTPS certificate, when it speaks HTTPS; the one-time link that sets up the first administrator. */
  apiCertificate?: ApiCertificate;
  setupLink?: string;
  private atna?: AtnaSyslog;

  /** Start the archive; with `listen: false` only configuration, storage and index open (regen, import). */
  async start(options: { listen?: boolean } = {}): Promise<void> {
    const dataDir = path.resolve(this.options.dataDir);
    const configDir = path.resolve(this.options.configDir);
    const seeded = await seedConfig(configDir);
    if (seeded.length) this.log.info(`new configuration in ${configDir}: ${seeded.join(', ')} from the defaults`);
    this.config = await loadConfig(configDir, dataDir);
    const s = this.config.settings;
    if (!this.options.logger) this.logger.level = s.logLevel;

    // DICOM TLS credentials, read once: a node of TLSNodes is reached with them, the TLS listener shows them.
    this.tlsCredentials = await readTlsFiles(s);
    if (s.tlsNodes.length && !this.tlsCredentials) throw new TlsFileError('TLSNodes names nodes, but TLSCertificate and TLSPrivateKey are not set');
    this.store = new FileStore({ devices: s.devices, layout: compileLayout(s.fileNameSyntax), thresholdMB: s.magFullThresholdMB, durable: s.durableWrites }, this.logger.child('store'));
    await this.store.open();
    // mysql2 is loaded only for a MySQL index: the embedded default does not carry it.
    if (s.index.engine === 'sqlite') this.index = new SqliteIndex(s.index.file, { durable: s.durableWrites });
    else {
      const { engine: _engine, ...mysqlOptions } = s.index;
      this.index = await (await import('./index/mysql.ts')).MysqlIndex.open(mysqlOptions);
    }
    this.audit = new AuditTrail(this.index.auditStore(), () => this.config.settings.auditRetentionDays, this.logger.child('audit'));
    this.audit.patientsOf = (uids) => this.index.patientsOfStudies(uids);
    if (s.auditSyslogHost) {
      const credentials = this.tlsCredentials ?? (s.tlsCaCertificates ? { ca: await readFile(s.tlsCaCertificates) } : undefined);
      this.atna = new AtnaSyslog({ ...parseHostPort(s.auditSyslogHost), protocol: s.auditSyslogProtocol, credentials },
        () => this.config.settings.aeTitle, this.logger.child('audit'));
      this.audit.addSink(this.atna);
    }
    this.accounts = new Accounts(this.index.accountStore(), (e) => this.audit.record(e),
      () => ({ idleMinutes: this.config.settings.sessionIdleMinutes, maxHours: this.config.settings.sessionMaxHours }));
    this.apiKeys = new ApiKeys(this.index.apiKeyStore(), (e) => this.audit.record(e));
    await this.apiKeys.load();
    this.activityFile = new ActivityFile(path.join(dataDir, 'activity.json'), this.activity, this.logger.child('server'));
    await this.activityFile.open();
    this.removal = new StudyRemoval(this.index, this.store, this.logger.child('retention'));
    await this.removal.recover();
    // What a crash or power cut left, repaired; the Monitor shows it with the recent errors.
    const restored = await recoverIncoming(this.index, this.store, this.logger.child('store'));
    if (restored) this.activity.problem(msg('at start: {n, plural, one {# object answered as stored before a crash or power cut was} other {# objects answered as stored before a crash or power cut were}} put in place from the incoming folder', { n: restored }));
    const rowsRemoved = await repairNewestRows(this.index, this.store, this.logger.child('store'));
    if (rowsRemoved) this.activity.problem(msg('at start: {n, plural, one {# index row whose file never reached the disk was} other {# index rows whose files never reached the disk were}} removed (their senders were not told the objects were stored)', { n: rowsRemoved }));
    this.access = new StudyAccess(this.index, this.logger.child('retention'));
    this.retention = new Retention({
      index: this.index, store: this.store, access: this.access, removal: this.removal, log: this.logger.child('retention'),
      thresholds: () => ({ cleanMB: this.config.settings.magCleanThresholdMB, nightlyMB: this.config.settings.nightlyCleanThresholdMB }),
    });
    this.onStored((e) => { this.access.touch(e.header.studyInstanceUid); this.retention.nudge(); });
    this.ingest = new ArchiveIngest(this.store, this.index, () => this.config.settings.duplicatePolicy, this.logger.child('ingest'),
      (e) => { for (const l of this.storedListeners) l(e); },
      (dropped) => (dropped ? this.config.settings.droppedFileCompression : this.config.settings.incomingCompression));
    const ingest = this.ingest;
    const storeScp = new StoreScp(ingest, this.logger.child('store-scp'), (assoc, r) => this.events.emit('object', {
      direction: 'received', associationId: assoc.id, peerAe: assoc.role === 'acceptor' ? assoc.callingAe : assoc.calledAe, ...r }));
    const read = (inst: StoredInstance) => () => readStoredDataSet(this.store.absolutePath(inst.location));
    this.transfers = new Transfers({
      config: () => this.config, index: this.index, read, associationOptions: () => this.associationOptions(), events: this.events,
      objectFile: (location) => this.store.absolutePath(location), tls: () => this.tlsCredentials,
      logger: this.logger, storage: (assoc, msg) => { if (msg.command.commandField === CommandField.CStoreRQ) storeScp.begin(assoc, msg); },
      ingestObject: async (object, source) => { await ingestStream(object, this.importTarget(), source); }, codecs: transcoder,
    });
    this.onStored((e) => this.transfers.onStored(e));
    this.editor = new StudyEditor({ index: this.index, queue: this.transfers.queue, objectFile: (location) => this.store.absolutePath(location),
      tempFile: (location) => this.store.tempPathFor(location), locks: this.ingest.locks, log: this.logger.child('edit') });
    await this.editor.open();
    this.onStored((e) => {
      const corrected = this.editor.aliasOf(e.header.patientId);
      if (corrected) {
        void this.editor.followAlias(e.header.sopInstanceUid, e.header.patientId, corrected)
          .catch((err: Error) => this.log.error(`cannot correct ${e.header.sopInstanceUid} from patient ${e.header.patientId} to ${corrected}: ${err.message}`));
      }
    });

    // The DIMSE services, by SOP class and command; the archive answers their ports.
    const ports = { index: this.index, config: () => this.config, read, retrieved: (conditions: Condition[]) => this.access.retrieved(conditions) };
    const aeTitle = () => this.config.settings.aeTitle;
    const retrieveScp = new RetrieveScp({
      objects: retrievePort(ports), destination: destinationPort(() => this.config, () => this.tlsCredentials), aeTitle,
      subAssociationOptions: () => this.associationOptions(), operations: this.operations, log: this.logger.child('retrieve-scp'),
      observer: retrieveObserver(this.events), codecs: transcoder,
    });
    const registry = new ServiceRegistry(this.logger.child('dimse'), this.operations)
      .register(verificationService)
      .register(storeScp)
      .register(new FindScp(queryPort(ports), aeTitle, this.operations, this.logger.child('find-scp'), () => this.config.settings.maxQueryResults))
      .register(retrieveScp.move)
      .register(retrieveScp.get);
    for (const service of commitmentServices(this.transfers.commitments, this.logger.child('commitment'))) registry.register(service);
    registry.register(mppsService(this.transfers.performedSteps, this.logger.child('mpps')));
    registry.observe((assoc, msg, data) => auditRequest(assoc, msg, data, (e) => this.audit.record(e)));
    this.handler = { negotiate: (rq, assoc) => this.negotiated(rq, assoc, negotiate(rq, this.acceptancePolicy(), assoc.remoteAddress)), ...registry.handlers() };
    if (options.listen === false) return;
    await this.openListener();
    await this.openHl7();
    await this.transfers.start();
    this.retention.start();
    this.removal.start();
    await this.audit.start();
    this.apiSecret = await apiSecret(dataDir);
    this.apiCertificate = apiNeedsTls(s) ? await apiCertificate(s, dataDir) : undefined;
    this.api = new HttpApi(this.apiServices(), this.logger.child('api'), apiServer(this.apiCertificate));
    await this.api.listen(this.options.apiPort ?? s.apiPort, s.apiAddress);
    this.log.info(`API on ${this.apiCertificate ? 'https' : 'http'}://${s.apiAddress}:${this.api.port}/`);
    if (this.apiCertificate) {
      this.log.info(`HTTPS certificate${this.apiCertificate.selfSigned ? ' (self-signed, made here)' : ''}: SHA-256 fingerprint ${this.apiCertificate.fingerprint}`);
    }
    this.audit.record({ user: 'system', source: '', action: 'application-start', detail: `${s.aeTitle} on DICOM port ${this.port}, API ${this.apiUrl}` });
    const setup = await this.accounts.prepareSetup();
    if (setup) {
      this.setupLink = `${this.apiUrl}/#setup=${setup}`;
      this.log.warn(`no user accounts yet: open ${this.setupLink} once to create the first administrator (the link works until then)`);
    }
  }

  /** What each group of API routes may use (api/services.ts): parts of the archive, never the server itself. */
  private apiServices(): ApiServices {
    const config = () => this.config;
    return {
      status: {
        aeTitle: () => this.config.settings.aeTitle, dicomPort: () => this.port || this.tlsPort, openAssociations: () => this.openAssociations,
        counts: () => this.index.counts(), devices: () => this.store.devices, activity: () => this.activity.snapshot(), storedBytes: () => this.storedBytes(),
        https: () => (this.apiCertificate ? { fingerprint: this.apiCertificate.fingerprint, selfSigned: this.apiCertificate.selfSigned } : undefined),
      },
      archive: {
        index: this.index, objectFile: (location) => this.store.absolutePath(location), deleteStudy: (uid) => this.deleteStudy(uid), used: (uid) => this.access.touch(uid),
        importTarget: () => this.importTarget(), uploadDir: () => path.join(this.config.dataDir, 'uploads'), transcoder,
      },
      nodes: { config, transfers: this.transfers, reloadAccess: () => this.applySettings() },
      jobs: { transfers: this.transfers, queue: this.transfers.queue },
      settings: {
        config, applySettings: () => this.applySettings(), restartListener: () => this.restartListener(),
        shutdown: this.options.onShutdownRequest,
      },
      worklist: this.index,
      edit: { editor: this.editor, destinations: (uid) => this.index.studyDestinations(uid), patientNames: (ids) => this.index.patientNames(ids) },
      exporter: this.exporter(),
      dicomweb: {
        index: this.index, objectFile: (location) => this.store.absolutePath(location), transcoder, importTarget: () => this.importTarget(),
        maxResults: () => this.config.settings.dicomWebMaxResults, corsOrigins: () => this.config.settings.dicomWebCorsOrigins, used: (uid) => this.access.touch(uid),
      },
      events: this.events,
      accounts: {
        accounts: this.accounts, keys: this.apiKeys, sessionMaxHours: () => this.config.settings.sessionMaxHours, secure: () => this.apiCertificate !== undefined,
      },
      links: {
        links: this.linkTokens, signIns: this.signIns, secret: () => this.apiSecret, apiUrl: () => this.apiUrl, local: this.localSessions,
        sessionMaxHours: () => this.config.settings.sessionMaxHours, secure: () => this.apiCertificate !== undefined,
        rotateSecret: async () => { this.apiSecret = await newApiSecret(path.resolve(this.options.dataDir)); },
      },
      audit: { record: (e) => this.audit.record(e), store: this.index.auditStore() },
      uploads: new UploadSpace({
        dir: () => path.join(this.config.dataDir, 'uploads'), limitBytes: () => this.config.settings.maxUploadMB * 1024 * 1024,
        reserveBytes: () => this.config.settings.magFullThresholdMB * 1024 * 1024,
      }),
      hostNames: () => this.config.settings.apiHostNames,
      exportRoots: () => exportRoots(this.config.settings.exportRoots, path.resolve(this.options.dataDir)),
      presentations: new PresentationStates({ index: this.index, objectFile: (location) => this.store.absolutePath(location), importTarget: () => this.importTarget() }),
    };
  }

  /** The archive's size, recomputed at most every minute: a sum over every object row is a full scan on a big index. */
  private storedBytesCache?: { at: number; value: Promise<number> };

  private storedBytes(): Promise<number> {
    const now = Date.now();
    if (!this.storedBytesCache || now - this.storedBytesCache.at > 60_000) this.storedBytesCache = { at: now, value: this.index.storedBytes() };
    return this.storedBytesCache.value;
  }

  /** Media export (folder, ZIP, ISO) of what the archive holds; also the CLI's `export`. */
  exporter(): Exporter {
    return new Exporter(this.index, { objectFile: (location) => this.store.absolutePath(location), transcoder }, path.join(this.config.dataDir, 'exports'),
      async (folder) => {
        const result = await importPath(folder, this.importTarget(), 'copy');
        await this.ingest.recodingIdle();
        return result;
      });
  }

  /** The API's address as this computer reaches it (a wildcard listen address is reached on loopback). */
  get apiUrl(): string {
    const address = this.config.settings.apiAddress;
    const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
    return `${this.apiCertificate ? 'https' : 'http'}://${host}:${this.api!.port}`;
  }

  private acceptancePolicy(): AcceptancePolicy {
    const s = this.config.settings;
    return {
      aeTitle: s.aeTitle,
      acceptAnyCalledAe: s.acceptAnyCalledAe,
      knownCallingAe: s.requireKnownCallingAe ? (ae) => this.config.nodes.find(ae) !== undefined : undefined,
      sopClasses: this.acceptedSopClasses(),
      transferSyntaxes: this.config.sopList.transferSyntaxes,
      ...nodeAccess(() => this.config),
    };
  }

  /** dgatesop.lst's classes, and the N-services dicom.ini turns on (a Conquest dgatesop.lst does not list them). */
  private acceptedSopClasses(): ReadonlySet<string> {
    const s = this.config.settings;
    const extra = [...(s.storageCommitment ? [STORAGE_COMMITMENT_SOP_CLASS] : []), ...(s.mpps ? [MPPS_SOP_CLASS] : [])];
    return extra.length ? new Set([...this.config.sopList.sopClasses, ...extra]) : this.config.sopList.sopClasses;
  }

  /** The HL7 listener, when HL7Listener = 1 (on the DICOM listener's address). */
  hl7?: Hl7Listener;

  private async openHl7(): Promise<void> {
    const s = this.config.settings;
    if (!s.hl7Listener) return;
    const inbox = new Hl7Inbox(this.index, () => ({ defaultCharset: this.config.settings.hl7DefaultCharset, ourApplication: this.config.settings.aeTitle }),
      this.logger.child('hl7'), this.editor, (e) => this.audit.record(e));
    const secure = s.hl7Tls ? await readTlsFiles(s) : undefined;
    if (s.hl7Tls && !secure) throw new TlsFileError('HL7TLS is on but TLSCertificate and TLSPrivateKey are not set');
    this.hl7 = new Hl7Listener(inbox, () => this.config.settings.hl7AllowedSenders, this.events, this.logger.child('hl7'), secure);
    await this.hl7.listen(s.hl7Port, this.options.listenAddress ?? s.listenAddress);
  }

  private async closeTls(): Promise<void> {
    await this.tlsListener?.close().catch(() => undefined);
    this.tlsListener = undefined;
  }

  private async closeHl7(): Promise<void> {
    await this.hl7?.close();
    this.hl7 = undefined;
  }

  /** The DICOM TLS listener (TLSPort), when configured, and its port; our TLS credentials. */
  private tlsListener?: DicomListener;
  private tlsCredentials?: TlsSettings;
  tlsPort = 0;

  private async openListener(): Promise<void> {
    const s = this.config.settings;
    const host = this.options.listenAddress ?? s.listenAddress;
    if (s.plainDicom) {
      this.listener = new DicomListener(this.associationOptions(), this.handler, this.logger.child('dicom'), (assoc) => this.watch(assoc));
      this.port = await this.listener.listen(this.options.port ?? s.port, host);
    } else {
      this.listener = undefined;
      this.port = 0;
    }
    if (s.tlsPort || this.options.tlsPort !== undefined) {
      const secure = await readTlsFiles(s);
      if (!secure) throw new TlsFileError('TLSPort is set but TLSCertificate and TLSPrivateKey are not');
      this.tlsCredentials = secure;
      this.tlsListener = new DicomListener(this.associationOptions(), this.handler, this.logger.child('dicom-tls'), (assoc) => this.watch(assoc), secure);
      this.tlsPort = await this.tlsListener.listen(this.options.tlsPort ?? s.tlsPort, host);
      this.log.info(`${s.aeTitle} listening for DICOM TLS on ${host}:${this.tlsPort}${secure.requireClientCertificate ? ' (client certificates required)' : ''}`);
    }
    this.log.info(`${s.aeTitle} ${this.listener ? `listening on ${host}:${this.port}` : 'listening for DICOM over TLS only (PlainDICOM = 0)'}; storage ${s.devices.join(', ')}; index ${s.index.engine === 'sqlite' ? s.index.file : `MySQL ${s.index.user}@${s.index.host}:${s.index.port}/${s.index.database}`}`);
  }

  /**
   * dicom.ini was saved: apply at once what can be (setting-effects.ts: job retries and limits, forwarding rules, log
   * level); what needs the listener restarted or the program restarted keeps its running value until then.
   */
  async applySettings(): Promise<void> {
    const fresh = await loadConfig(this.config.configDir, this.config.dataDir);
    const old = this.config;
    this.config = {
      ...old, ini: fresh.ini, forwardRules: readForwardRules(fresh.ini, old.nodes), settings: withFields(old.settings, fresh.settings, LIVE_FIELDS),
      nodeRights: fresh.nodeRights, checkedHosts: fresh.checkedHosts,
    };
    if (!this.options.logger) this.logger.level = this.config.settings.logLevel;
  }

  /**
   * Close the DICOM listener (open associations are aborted) and open it again on dicom.ini's current values. When it
   * cannot listen so (the port is taken, the address is not this computer's), it goes back to listening as before
   * and the error says why.
   */
  async restartListener(): Promise<number> {
    const fresh = await loadConfig(this.config.configDir, this.config.dataDir);
    const before = this.config;
    await this.listener?.close();
    await this.closeTls();
    await this.closeHl7();
    this.config = { ...before, sopList: fresh.sopList, settings: withFields(before.settings, fresh.settings, LISTENER_FIELDS) };
    try {
      await this.openListener();
      await this.openHl7();
    } catch (err) {
      // The DICOM listener may be up on the new settings while the HL7 one could not start: both go back.
      await this.listener?.close().catch(() => undefined);
      await this.closeTls();
      await this.closeHl7();
      this.config = before;
      await this.openListener();
      await this.openHl7();
      throw new ListenerNotMoved(`${(err as Error).message}; still listening as ${before.settings.aeTitle} on port ${this.port}`);
    }
    return this.port;
  }

  /** Services noderights.map refused the caller (rejected presentation contexts): logged and audited. */
  private negotiated(rq: AssociateRQ, assoc: Association, decision: NegotiationResult): NegotiationResult {
    const refused = decision.contexts.filter((c) => c.result === ContextResult.UserRejection)
      .map((c) => rq.contexts.find((p) => p.id === c.id)?.abstractSyntax ?? '');
    if (refused.length) {
      const classes = [...new Set(refused)].join(', ');
      this.log.warn(`${rq.callingAe} (${assoc.remoteAddress}) may not use ${classes} (noderights.map): presentation contexts rejected`);
      this.audit.record({ user: rq.callingAe, source: `${rq.callingAe}@${assoc.remoteAddress}`, action: 'refused', outcome: 'refused', detail: `SOP classes refused by noderights.map: ${classes}` });
    }
    return decision;
  }

  /** Each association peers open to us: on the event stream (Monitor) and in the audit trail. */
  private watch(assoc: Association): void {
    watchAssociation(assoc, this.events);
    auditAssociation(assoc, (e) => this.audit.record(e));
  }

  private associationOptions(): AssociationOptions {
    const s = this.config.settings;
    return {
      maxPduLength: s.maxPduLength, artimTimeout: s.artimTimeout, idleTimeout: s.idleTimeout, maxBufferedDataSet: 16 << 20,
      connectTimeout: s.connectTimeout, dimseTimeout: s.dimseTimeout,
    };
  }

  /** Delete a study (journaled: study-removal.ts); undefined for a study the archive does not hold, 'protected' for a protected one. */
  async deleteStudy(studyUid: string): Promise<{ objects: number; filesNotDeleted: number } | 'protected' | undefined> {
    const done = await this.removal.remove(studyUid, 'deleted by the user');
    return done === undefined || done === 'protected' ? done : { objects: done.objects, filesNotDeleted: done.filesNotDeleted };
  }

  /** Where imports (CLI, upload, the desktop's folder dialog) store objects: the ingest, under today's duplicate policy. */
  importTarget(): ImportTarget {
    return { ingest: this.ingest, store: this.store, index: this.index, policy: this.config.settings.duplicatePolicy };
  }

  get openAssociations(): number {
    return (this.listener?.associations.size ?? 0) + (this.tlsListener?.associations.size ?? 0);
  }

  async stop(): Promise<void> {
    if (this.api) this.audit?.record({ user: 'system', source: '', action: 'application-stop' });
    await this.retention?.stop();
    this.removal?.stop();
    await this.access?.flush();
    await this.api?.close();
    await this.transfers?.stop();
    await this.listener?.close();
    await this.closeTls();
    await this.closeHl7();
    await this.activityFile?.close();
    await this.audit?.close();
    await this.atna?.close();
    await this.ingest?.close();
    await this.index?.close();
  }
}
