import type { PrefetchRule } from '../../common/prefetch-rules.ts';
import type { CompressionPlan } from '../../common/compression-code.ts';
import type { VirtualServer } from './virtual-servers.ts';

export type DuplicatePolicy = 'replace' | 'keep' | 'reject';

export type IndexSettings =
  | { engine: 'sqlite'; file: string }
  | { engine: 'mysql'; host: string; port: number; user: string; password: string; database: string };

/**
 * The settings the core runs on, read from dicom.ini (server-settings.ts reads them; setting-keys.ts declares each key
 * and the field it sets); relative paths are resolved against the data folder.
 */
export interface ServerSettings {
  aeTitle: string;
  port: number;
  listenAddress: string;
  devices: string[];
  /** MIRRORDevice<i>: the mirror of devices[i], where one is set (absolute). */
  mirrors: (string | undefined)[];
  /** Conquest's MAGDeviceFullThreshold: a storage folder with less free space (MB) takes no new objects. */
  magFullThresholdMB: number;
  /** Conquest's MAGDeviceThreshold: below this free space (MB) the least recently used patients are deleted (0: off). */
  magCleanThresholdMB: number;
  /** Conquest's NightlyCleanThreshold: the same clean-up at 01:00, down to this free space (MB; 0: off). */
  nightlyCleanThresholdMB: number;
  /** Where the scheduled backup goes ('' none), at which hour, and after how many days without one the Monitor warns. */
  backupFolder: string;
  backupHour: number;
  backupKeep: number;
  backupWarnDays: number;
  /** VirtualServerFor0..9 (with VirtualServerPerSeries0..9): the upstreams whose studies this archive answers too. */
  virtualServers: VirtualServer[];
  /** VirtualServerTimeout: seconds an upstream has to answer a query forwarded to it. */
  virtualServerTimeout: number;
  /** OverlapVirtualGet: objects fetched from an upstream are passed on as each arrives (0: once all are here). */
  overlapVirtualGet: number;
  /** CacheVirtualData: what is fetched from an upstream for a requester is kept here (0: removed once passed on). */
  cacheVirtualData: boolean;
  /** PrefetchRules: when and from where a patient's earlier studies are fetched (common/prefetch-rules.ts). */
  prefetchRules: PrefetchRule[];
  /** Each received object's CRC-32 computed as it is written (else taken at its first verification). */
  checksumOnArrival: boolean;
  /** VerifyStorage: read every stored object back once a day at verifyStorageHour; ask these nodes for damaged ones. */
  verifyStorage: boolean;
  verifyStorageHour: number;
  verifyRepairFrom: string[];
  fileNameSyntax: string;
  /** Where the index lives: an SQLite file, or a database on a MySQL/MariaDB server. */
  index: IndexSettings;
  duplicatePolicy: DuplicatePolicy;
  /** What objects received over the network, and objects imported, are stored as. */
  incomingCompression: CompressionPlan;
  droppedFileCompression: CompressionPlan;
  nameMatching: 'exact' | 'forgiving';
  requireKnownCallingAe: boolean;
  acceptAnyCalledAe: boolean;
  maxPduLength: number;
  artimTimeout: number;
  idleTimeout: number;
  /** Our SCU: seconds to wait for a TCP connection, and for a response to a request (0: no limit). */
  connectTimeout: number;
  dimseTimeout: number;
  acrNemaMap: string;
  sopClassList: string;
  /** dicom.sql (Conquest's kFactorFile), and the columns taken out of it that may be dropped (DropIndexColumns). */
  kFactorFile: string;
  dropIndexColumns: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Levels of their own for some log sources (LogSourceLevels). */
  logSourceLevels: ReadonlyMap<string, 'debug' | 'info' | 'warn' | 'error'>;
  /** The log files in DATA/logs: the size at which one is rotated (MB), and how many are kept. */
  logFileMB: number;
  logFileCount: number;
  forwardCollectDelaySeconds: number;
  allowExternalCommands: boolean;
  luaTimeoutSeconds: number;
  luaMemoryMB: number;
  converterErrorPolicy: 'keep' | 'reject';
  maxExportRetries: number;
  retryDelaySeconds: number;
  maxJobsPerNode: number;
  /** Conquest's ForwardAssociationLevel: what forwards to one node go together in (one job, one association). */
  forwardAssociationLevel: 'patient' | 'study' | 'series' | 'image' | 'sopclass' | 'global';
  failHoldOffSeconds: number;
  delayedForwarderThreads: number;
  /** 0: no limit. */
  maxDelayedRetries: number;
  apiPort: number;
  apiAddress: string;
  /** Finished jobs older than this many days leave the history (0: kept for ever). */
  jobHistoryDays: number;
  /** Objects and index rows on stable storage before success is answered (fsync); off trades safety for speed. */
  durableWrites: boolean;
  /** C-FIND: the most matches one query answers (0: no limit). */
  maxQueryResults: number;
  /** DICOMweb: the most answers a QIDO-RS search gives, and the web origins (CORS) allowed to call it from a page. */
  dicomWebMaxResults: number;
  dicomWebCorsOrigins: string[];
  /** Storage Commitment SCP and MPPS SCP accepted; how long our SCU waits on its association for a commitment report. */
  storageCommitment: boolean;
  commitmentWaitSeconds: number;
  mpps: boolean;
  /** Nodes every MPPS N-CREATE and N-SET is passed on to (dcm4chee's MPPS forward rules). */
  mppsForward: string[];
  /** The HL7 v2 listener (MLLP): on or off, its port, who may send, the character set of messages without MSH-18. */
  hl7Listener: boolean;
  hl7Port: number;
  /** Empty: loopback only; ['*']: any address. */
  hl7AllowedSenders: string[];
  hl7Tls: boolean;
  hl7DefaultCharset: string;
  /** DICOM TLS: a second listener (0: none), our certificate and key, the CAs we trust, whether peers must show one. */
  tlsPort: number;
  /** The plain (unencrypted) listener on TCPPort; off, only the TLS one serves (needs TLSPort). */
  plainDicom: boolean;
  tlsCertificate: string;
  tlsPrivateKey: string;
  tlsCaCertificates: string;
  tlsRequireClientCertificate: boolean;
  /** Nodes (AE titles) our SCU reaches over TLS (their acrnema.map port is their TLS port). */
  tlsNodes: string[];
  /** Sessions: end after this many idle minutes, and this many hours after the login in any case. */
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** The largest import or STOW-RS request, in MB (0: no limit). */
  maxUploadMB: number;
  /** Audit records older than this many days are purged (0: kept for ever); where they are also sent as ATNA syslog. */
  auditRetentionDays: number;
  auditSyslogHost: string;
  auditSyslogProtocol: 'udp' | 'tls';
  /** HTTPS for the API and UI: 'auto' (whenever not on loopback) or 'on' (always); its certificate and key. */
  apiHttps: 'auto' | 'on';
  /** Host names the API answers to besides IP addresses, localhost and this computer's name (['*']: any). */
  apiHostNames: string[];
  /** Folders the UI may export into (empty: removable media places and DATA/exports; export-roots.ts). */
  exportRoots: string[];
  apiCertificate: string;
  apiPrivateKey: string;
  /** What a scraper from another computer shows to read /metrics (Authorization: Bearer); '' serves loopback only. */
  metricsToken: string;
}
