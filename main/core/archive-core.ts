import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadConfig, seedConfig, type LoadedConfig } from '../config/load.ts';
import type { ServerSettings as Settings } from '../config/settings-types.ts';
import { readForwardRules } from '../config/forward-rules.ts';
import { LIVE_FIELDS, withFields } from '../config/setting-effects.ts';
import { TlsFileError, readTlsFiles } from '../config/tls-files.ts';
import { Logger, consoleSink, type SourceLogger } from '../util/log.ts';
import { FileStore, type StoredLocation } from '../store/file-store.ts';
import { compileLayout } from '../store/layout.ts';
import { readStoredDataSet } from '../store/object-reader.ts';
import { indexMoreTags } from '../dicom/instance-header.ts';
import { SqliteIndex } from '../index/sqlite.ts';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import { AuditTrail } from '../audit/audit-trail.ts';
import { AtnaSyslog, parseHostPort } from '../audit/atna-syslog.ts';
import { ArchiveEvents } from '../runtime/events.ts';
import { Activity } from '../runtime/activity.ts';
import { ActivityFile } from '../runtime/activity-file.ts';
import { ArchiveIngest, type StoredEvent } from '../archive/ingest.ts';
import type { ImportTarget } from '../archive/importer.ts';
import { StudyRemoval } from '../archive/study-removal.ts';
import { StudyAccess } from '../archive/study-access.ts';
import { recoverIncoming, repairNewestRows } from '../archive/store-repair.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import type { TlsSettings } from '../protocol/network.ts';
import type { AssociationOptions } from '../protocol/association.ts';
import { msg } from '../../common/message.ts';

import type { KeyName } from '../config/setting-keys.ts';

/** The dicom.ini keys of the core itself: storage, index, jobs, associations, DICOM TLS credentials, audit, files, log. */
export const CORE_SETTINGS: readonly KeyName[] = [
  'MyACRNema',
  'MaxPDULength',
  'ARTIMTimeout',
  'IdleTimeout',
  'ConnectTimeout',
  'DIMSETimeout',
  'MAGDevices',
  'MIRRORDevices',
  'MAGDeviceFullThreshold',
  'FileNameSyntax',
  'DuplicatePolicy',
  'IncomingCompression',
  'DroppedFileCompression',
  'DurableWrites',
  'ChecksumOnArrival',
  'SqLite',
  'MySQL',
  'SQLServer',
  'SQLHost',
  'SQLPort',
  'Username',
  'Password',
  'MaximumExportRetries',
  'RetryDelay',
  'MaxJobsPerNode',
  'ForwardAssociationLevel',
  'FailHoldOff',
  'DelayedForwarderThreads',
  'MaximumDelayedFetchForwardRetries',
  'JobHistoryDays',
  'TLSCertificate',
  'TLSPrivateKey',
  'TLSCACertificates',
  'TLSNodes',
  'AuditRetentionDays',
  'AuditSyslogHost',
  'AuditSyslogProtocol',
  'ACRNemaMap',
  'SOPClassList',
  'kFactorFile',
  'DropIndexColumns',
  'LogLevel',
  'LogSourceLevels',
];

export interface CoreOptions {
  /** Folder holding dicom.ini, acrnema.map and dgatesop.lst; seeded with defaults when empty. */
  configDir: string;
  /** Folder that relative paths in dicom.ini resolve against (storage, index). */
  dataDir: string;
  /** Where log lines go; without one, to the console. */
  logger?: Logger;
  /** Whether dicom.ini's LogLevel sets the logger's level (the default when no logger is given). */
  levelFromSettings?: boolean;
  /** Overrides of dicom.ini for this run only (kept across listener restarts). */
  overrides?: RunOverrides;
  /** What POST /api/shutdown does (serve: stop and exit); without it the API says the core cannot stop itself. */
  onShutdownRequest?: () => Promise<void>;
}

export interface RunOverrides {
  port?: number;
  listenAddress?: string;
  /** DICOM TLS port, overriding TLSPort (0 picks a free one). */
  tlsPort?: number;
  /** API port, overriding APIPort. */
  apiPort?: number;
}

/** The parts every feature stands on, opened together (ArchiveCore.open). */
interface CoreParts {
  config: LoadedConfig;
  tls: TlsSettings | undefined;
  store: FileStore;
  index: ArchiveIndex;
  audit: AuditTrail;
  atna: AtnaSyslog | undefined;
}

/**
 * The archive's small core, which every feature (main/features) stands on: the configuration, the file store, the
 * index, the events and activity of the Monitor, the audit trail, the job queue (features add their runners), the ingest
 * with its stored-object hooks, and the study journal (deletions, last use). Opening it repairs what a crash left.
 */
export class ArchiveCore {
  readonly logger: Logger;
  readonly dataDir: string;
  readonly overrides: RunOverrides;
  /** Stop the program (set by `serve`; absent when the core runs inside another program). */
  readonly shutdown: (() => Promise<void>) | undefined;
  config: LoadedConfig;
  /** Our DICOM TLS credentials (TLSCertificate, TLSPrivateKey), read once at start. */
  readonly tls: TlsSettings | undefined;
  readonly store: FileStore;
  readonly index: ArchiveIndex;
  readonly events = new ArchiveEvents();
  /** Recent associations and errors, for the Monitor (kept in DATA/activity.json). */
  readonly activity = new Activity(this.events);
  readonly audit: AuditTrail;
  readonly queue: JobQueue;
  readonly ingest: ArchiveIngest;
  /** Deleting studies through the index's journal. */
  readonly removal: StudyRemoval;
  /** When studies were last used (clean-up keeps the recent ones). */
  readonly access: StudyAccess;
  private readonly atna: AtnaSyslog | undefined;
  private readonly activityFile: ActivityFile;
  private readonly storedHooks: ((e: StoredEvent) => void)[] = [];
  private readonly ownLogger: boolean;

  private constructor(options: CoreOptions, logger: Logger, parts: CoreParts) {
    this.logger = logger;
    this.ownLogger = options.levelFromSettings ?? !options.logger;
    this.dataDir = path.resolve(options.dataDir);
    this.overrides = options.overrides ?? {};
    this.shutdown = options.onShutdownRequest;
    ({
      config: this.config,
      tls: this.tls,
      store: this.store,
      index: this.index,
      audit: this.audit,
      atna: this.atna,
    } = parts);
    this.queue = new JobQueue({
      store: this.index.jobStore(),
      runners: {},
      events: this.events,
      log: logger.child('jobs'),
      settings: () => {
        const s = this.settings;
        return {
          maxRetries: s.maxExportRetries,
          retryDelaySeconds: s.retryDelaySeconds,
          maxPerNode: s.maxJobsPerNode,
          historyDays: s.jobHistoryDays,
          failHoldOffSeconds: s.failHoldOffSeconds,
          delayedThreads: s.delayedForwarderThreads,
          maxDelayedRetries: s.maxDelayedRetries,
        };
      },
    });
    this.ingest = new ArchiveIngest(
      this.store,
      this.index,
      () => this.settings.duplicatePolicy,
      logger.child('ingest'),
      (e) => {
        for (const hook of this.storedHooks) hook(e);
      },
      (dropped) => (dropped ? this.settings.droppedFileCompression : this.settings.incomingCompression),
    );
    this.removal = new StudyRemoval(this.index, this.store, logger.child('retention'));
    this.access = new StudyAccess(this.index, logger.child('retention'));
    this.activityFile = new ActivityFile(
      path.join(this.dataDir, 'activity.json'),
      this.activity,
      logger.child('server'),
    );
    this.onStored((e) => this.access.touch(e.header.studyInstanceUid));
  }

  /** Read the configuration, open the store and the index, and repair what a crash or power cut left. */
  static async open(options: CoreOptions): Promise<ArchiveCore> {
    const logger = options.logger ?? new Logger();
    if (!options.logger) logger.addSink(consoleSink);
    const configDir = path.resolve(options.configDir);
    const seeded = await seedConfig(configDir);
    if (seeded.length)
      logger.child('server').info(`new configuration in ${configDir}: ${seeded.join(', ')} from the defaults`);
    const config = await loadConfig(configDir, path.resolve(options.dataDir));
    const s = config.settings;
    if (options.levelFromSettings ?? !options.logger) {
      logger.level = s.logLevel;
      logger.sourceLevels = s.logSourceLevels;
    }
    // DICOM TLS credentials, read once: a node of TLSNodes is reached with them, the TLS listener shows them.
    const tls = await readTlsFiles(s);
    if (s.tlsNodes.length && !tls)
      throw new TlsFileError('TLSNodes names nodes, but TLSCertificate and TLSPrivateKey are not set');
    const store = new FileStore(
      {
        devices: s.devices,
        layout: compileLayout(s.fileNameSyntax),
        thresholdMB: s.magFullThresholdMB,
        durable: s.durableWrites,
        mirrors: s.mirrors,
        pendingFile: path.join(path.resolve(options.dataDir), 'mirror-copies.txt'),
        checksums: s.checksumOnArrival,
      },
      logger.child('store'),
    );
    await store.open();
    const index = await openIndex(s);
    // dicom.sql's columns exist before the first object is stored (or a crash's leftovers indexed by repair()).
    indexMoreTags(config.indexSchema.attributes.map((a) => a.tag));
    try {
      await index.applySchema(config.indexSchema, s.dropIndexColumns);
    } catch (err) {
      await index.close();
      throw err;
    }
    const audit = new AuditTrail(index.auditStore(), () => core.settings.auditRetentionDays, logger.child('audit'));
    audit.patientsOf = (uids) => index.patientsOfStudies(uids);
    let atna: AtnaSyslog | undefined;
    if (s.auditSyslogHost) {
      const credentials = tls ?? (s.tlsCaCertificates ? { ca: await readFile(s.tlsCaCertificates) } : undefined);
      atna = new AtnaSyslog(
        { ...parseHostPort(s.auditSyslogHost), protocol: s.auditSyslogProtocol, credentials },
        () => core.settings.aeTitle,
        logger.child('audit'),
      );
      audit.addSink(atna);
    }
    const core = new ArchiveCore(options, logger, { config, tls, store, index, audit, atna });
    await core.repair();
    core.reportSkippedConverters();
    return core;
  }

  /**
   * Converters the start left out (a line this version refuses): each in the log and on the Monitor with its line and
   * reason; the Automation screen shows it to be changed or switched off.
   */
  reportSkippedConverters(): void {
    const log = this.logger.child('converters');
    for (const s of this.config.skippedConverters) {
      log.error(`${this.config.ini.file}:${s.line}: ${s.key} is not run: ${s.reason}`);
      this.activity.problem(msg('{converter} is not run: {reason}', { converter: s.key, reason: s.reason }));
    }
  }

  /** Pending deletions finished, then objects a crash left half-placed put right; the Monitor shows what was found. */
  private async repair(): Promise<void> {
    await this.activityFile.open();
    await this.removal.recover();
    const log = this.logger.child('store');
    const restored = await recoverIncoming(this.index, this.store, log);
    if (restored)
      this.activity.problem(
        msg(
          'at start: {n, plural, one {# object answered as stored before a crash or power cut was} other {# objects answered as stored before a crash or power cut were}} put in place from the incoming folder',
          { n: restored },
        ),
      );
    const rowsRemoved = await repairNewestRows(this.index, this.store, log);
    if (rowsRemoved)
      this.activity.problem(
        msg(
          'at start: {n, plural, one {# index row whose file never reached the disk was} other {# index rows whose files never reached the disk were}} removed (their senders were not told the objects were stored)',
          { n: rowsRemoved },
        ),
      );
  }

  get settings(): Settings {
    return this.config.settings;
  }

  /** The address the DICOM and HL7 listeners listen on (ListenAddress, or this run's override). */
  get listenAddress(): string {
    return this.overrides.listenAddress ?? this.settings.listenAddress;
  }

  child(source: string): SourceLogger {
    return this.logger.child(source);
  }

  /** Call `hook` for each object stored (received, imported, retrieved); hooks never delay or fail the store. */
  onStored(hook: (e: StoredEvent) => void): void {
    this.storedHooks.push(hook);
  }

  objectFile(location: StoredLocation): string {
    return this.store.absolutePath(location);
  }

  /**
   * A stored object's data set, read when asked (a send, a retrieve); from its mirror's copy when its own file cannot
   * be opened (a mirrored device's file gone or unreadable).
   */
  reader(instance: StoredInstance): () => ReturnType<typeof readStoredDataSet> {
    return () =>
      readStoredDataSet(this.store.absolutePath(instance.location)).catch((err: Error) => {
        const other = this.store.otherCopy(instance.location);
        if (!other) throw err;
        return readStoredDataSet(other).catch(() => {
          throw err;
        });
      });
  }

  /** Where imports (CLI, upload, DICOMweb, the viewer) store objects: the ingest, under today's duplicate policy. */
  importTarget(): ImportTarget {
    return { ingest: this.ingest, store: this.store, index: this.index, policy: this.settings.duplicatePolicy };
  }

  /** Our associations' limits and timers, as dicom.ini says now. */
  associationOptions(): AssociationOptions {
    const s = this.settings;
    return {
      maxPduLength: s.maxPduLength,
      artimTimeout: s.artimTimeout,
      idleTimeout: s.idleTimeout,
      maxBufferedDataSet: 16 << 20,
      connectTimeout: s.connectTimeout,
      dimseTimeout: s.dimseTimeout,
    };
  }

  /**
   * dicom.ini was saved: apply at once what can be (setting-effects.ts: job retries and limits, forwarding rules, log
   * level, noderights.map); what needs the listener or the program restarted keeps its running value until then.
   */
  async applySettings(): Promise<void> {
    const fresh = await loadConfig(this.config.configDir, this.config.dataDir);
    const old = this.config;
    this.config = {
      ...old,
      ini: fresh.ini,
      // Against the running acrnema.map; what the start's leniency left out (and a line it cannot run) stays out.
      forwardRules: readForwardRules(fresh.ini, old.nodes, () => undefined).filter(
        (r) => !fresh.skippedConverters.some((s) => s.key === `ExportConverter${r.index}`),
      ),
      importConverters: fresh.importConverters,
      requestConverters: fresh.requestConverters,
      luaHooks: fresh.luaHooks,
      skippedConverters: fresh.skippedConverters,
      settings: withFields(old.settings, fresh.settings, LIVE_FIELDS),
      nodeRights: fresh.nodeRights,
      checkedHosts: fresh.checkedHosts,
    };
    if (this.ownLogger) {
      this.logger.level = this.settings.logLevel;
      this.logger.sourceLevels = this.settings.logSourceLevels;
    }
  }

  /** Begin the core's own work: the job queue (jobs a stop interrupted resume), the journal's retries, the audit's upkeep. */
  async serve(): Promise<void> {
    await this.queue.start();
    this.removal.start();
    await this.audit.start();
  }

  async close(): Promise<void> {
    await this.queue.stop();
    this.removal.stop();
    await this.access.flush();
    await this.activityFile.close();
    await this.audit.close();
    await this.atna?.close();
    await this.ingest.close();
    await this.index.close();
  }
}

/** The index dicom.ini names; mysql2 is loaded only for a MySQL index (the embedded default does not carry it). */
async function openIndex(s: Settings): Promise<ArchiveIndex> {
  if (s.index.engine === 'sqlite') return new SqliteIndex(s.index.file, { durable: s.durableWrites });
  const { engine: _engine, ...mysqlOptions } = s.index;
  return (await import('../index/mysql.ts')).MysqlIndex.open(mysqlOptions);
}
