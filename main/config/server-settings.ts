import path from 'node:path';
import { ConfigError, ConfigErrors } from './config-error.ts';
import type { IniDocument } from '../../common/ini-document.ts';
import { aeTitleProblem } from './ae-title.ts';
import { compileLayout, FileNameSyntaxError } from '../store/layout.ts';
import { parseCompressionCode, type CompressionPlan } from '../../common/compression-code.ts';
import { SaidError, msg, saidOf, type Message } from '../../common/message.ts';

export const SECTION = 'sscscp';

export type DuplicatePolicy = 'replace' | 'keep' | 'reject';

export type IndexSettings =
  | { engine: 'sqlite'; file: string }
  | { engine: 'mysql'; host: string; port: number; user: string; password: string; database: string };

/** The settings the core runs on, read from dicom.ini; relative paths are resolved against the data folder. */
export interface ServerSettings {
  aeTitle: string;
  port: number;
  listenAddress: string;
  devices: string[];
  /** Conquest's MAGDeviceFullThreshold: a storage folder with less free space (MB) takes no new objects. */
  magFullThresholdMB: number;
  /** Conquest's MAGDeviceThreshold: below this free space (MB) the least recently used patients are deleted (0: off). */
  magCleanThresholdMB: number;
  /** Conquest's NightlyCleanThreshold: the same clean-up at 01:00, down to this free space (MB; 0: off). */
  nightlyCleanThresholdMB: number;
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
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  maxExportRetries: number;
  retryDelaySeconds: number;
  maxJobsPerNode: number;
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
}

type Parse<T> = (value: string) => T;
const reason = (said: Message | string): never => { throw new SaidError(said); };

const int = (min: number, max: number): Parse<number> => (v) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : reason(msg('"{value}" is not a whole number from {min} to {max}', { value: v, min: String(min), max: String(max) }));
const flag: Parse<boolean> = (v) => (v === '1' ? true : v === '0' ? false : reason(msg('"{value}" must be 0 or 1', { value: v })));
const oneOf = <T extends string>(...allowed: T[]): Parse<T> => (v) =>
  (allowed as string[]).includes(v.toLowerCase()) ? (v.toLowerCase() as T) : reason(msg('"{value}" must be one of {allowed}', { value: v, allowed: allowed.join(', ') }));
const text: Parse<string> = (v) => (v.length ? v : reason(msg('a value is required')));
const origins: Parse<string[]> = (v) => {
  const list = v.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of list) if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) reason(msg('"{value}" is not a web origin (http://host:port, https://host) or *', { value: o }));
  return list;
};
const compression: Parse<CompressionPlan> = (v) => {
  const plan = parseCompressionCode(v);
  return 'error' in plan ? reason(plan.error) : plan;
};
const aeList: Parse<string[]> = (v) => {
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const ae of list) { const p = aeTitleProblem(ae); if (p) reason(p); }
  return list;
};
const addressList: Parse<string[]> = (v) => {
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const a of list) if (!/^[0-9A-Fa-f.:]+$/.test(a)) reason(msg('"{value}" is not an IP address', { value: a }));
  return list;
};
/** ExportRoots: absolute folders, separated by ; (a Windows path may hold a comma). */
const folderList: Parse<string[]> = (v) => {
  const list = v.split(';').map((f) => f.trim()).filter(Boolean);
  for (const f of list) if (!path.isAbsolute(f) && !/^[A-Za-z]:[\\/]/.test(f)) reason(msg('"{value}" is not a full path', { value: f }));
  return list;
};
/** APIHostNames: DNS names, or * alone for any. */
const hostNameList: Parse<string[]> = (v) => {
  if (v.trim() === '*') return ['*'];
  const list = v.split(/[,\s]+/).filter(Boolean);
  for (const n of list) if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(n)) reason(msg('"{value}" is not a host name', { value: n }));
  return list;
};
/** HL7AllowedSenders: addresses, or * alone for any. */
const senderList: Parse<string[]> = (v) => (v.trim() === '*' ? ['*'] : addressList(v));
const hostPort: Parse<string> = (v) => (v === '' || /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/.test(v) ? v : reason(msg('"{value}" is not host:port', { value: v })));
const address: Parse<string> = (v) => (/^[0-9A-Fa-f.:]+$|^localhost$/.test(v) ? v : reason(msg('"{value}" is not an IP address', { value: v })));

/** Every key the core understands: its default, how it is checked, and a line of help for the settings screen. */
export const SETTING_KEYS = {
  MyACRNema: { def: 'PACSWS', parse: (v: string) => { const p = aeTitleProblem(v); return p ? reason(p) : v; }, help: 'Our AE title; peers must call us by it.' },
  TCPPort: { def: '11112', parse: int(0, 65535), help: 'TCP port the DICOM listener uses (0 picks a free one).' },
  ListenAddress: { def: '0.0.0.0', parse: address, help: 'Address to listen on; 127.0.0.1 keeps the archive local.' },
  MAGDevices: { def: '1', parse: int(1, 10), help: 'How many storage folders (MAGDevice0..n) are used.' },
  MAGDeviceThreshold: {
    def: '0', parse: int(0, 1 << 30), aliases: ['MAGDeviceThreshHold'],
    help: 'Clean-up, as Conquest does it: when a storage folder has less free space than this (MB), the least recently used patients on it (stored, viewed or retrieved longest ago) are deleted until there is 5 MB more; studies marked protected never are. Every deletion is logged and listed on the Monitor. 0: off (Conquest\'s MAGDeviceThreshHold).',
  },
  MAGDeviceFullThreshold: { def: '30', parse: int(0, 1 << 30), aliases: ['MAGDeviceFullThreshHold'], help: 'A storage folder with less free space than this (MB) takes no new objects; the next folder does (Conquest\'s MAGDeviceFullThreshHold).' },
  NightlyCleanThreshold: { def: '0', parse: int(0, 1 << 30), help: 'At 01:00, the clean-up of MAGDeviceThreshold runs until each storage folder has this much free space (MB); 0: off.' },
  FileNameSyntax: { def: '%id/%studyuid/%seriesuid/%sopuid.dcm', parse: (v: string) => { try { compileLayout(v); return v; } catch (e) { return e instanceof FileNameSyntaxError ? reason(e.message) : reason(String(e)); } }, help: 'Path of each object under its storage folder.' },
  SQLServer: { def: 'index/archive.db3', parse: text, help: 'SQLite: the index database file; MySQL/MariaDB: the database name.' },
  SqLite: { def: '1', parse: flag, help: 'Use the embedded SQLite index.' },
  MySQL: { def: '0', parse: flag, help: 'Use a MySQL/MariaDB server for the index (SQLHost, SQLPort, Username, Password, SQLServer).' },
  SQLHost: { def: 'localhost', parse: (v: string) => (/^[A-Za-z0-9.\-:_]+$/.test(v) ? v : reason(msg('"{value}" is not a host name or address', { value: v }))), help: 'MySQL/MariaDB: the server (host or host:port).' },
  SQLPort: { def: '3306', parse: int(1, 65535), help: 'MySQL/MariaDB: the server port, when SQLHost does not name one.' },
  Username: { def: 'root', parse: text, help: 'MySQL/MariaDB: the user.' },
  Password: { def: '', parse: (v: string) => v, help: 'MySQL/MariaDB: the password.' },
  DuplicatePolicy: { def: 'replace', parse: oneOf<DuplicatePolicy>('replace', 'keep', 'reject'), help: 'What a second object with a known SOP Instance UID does: replace it, keep the first, or reject.' },
  IncomingCompression: { def: 'as', parse: compression, help: 'How objects received over the network are stored: as (as received), un (uncompressed), uj (uncompressed, JPEG kept), js (JPEG-LS lossless), jk (JPEG 2000 lossless), j1/j2 (JPEG lossless); lossy, with an optional quality NN: j3NN (JPEG, 8-bit images), j7NN (JPEG-LS near-lossless), jlNN (JPEG 2000). Conquest\'s codes.' },
  DroppedFileCompression: { def: 'as', parse: compression, help: 'How imported objects (folders, CDs, uploads) are stored; the same codes as IncomingCompression.' },
  NameMatching: { def: 'forgiving', parse: oneOf<'exact' | 'forgiving'>('exact', 'forgiving'), help: 'How C-FIND matches person names, patient IDs and accession numbers: forgiving, names without diacritics and ue/oe/ae as ü/ö/ä (dvorak finds Dvořák, mueller Müller), IDs and accession numbers case aside (cz780 finds CZ780); or exact: names case aside, IDs as written. The search screens are always forgiving.' },
  RequireKnownCallingAE: { def: '0', parse: flag, help: 'Refuse associations from AE titles not in acrnema.map.' },
  AcceptAnyCalledAE: { def: '0', parse: flag, help: 'Accept associations whatever AE title the peer calls us by.' },
  MaxPDULength: { def: '262144', parse: int(4096, 16 << 20), help: 'Largest PDU we receive (bytes).' },
  ARTIMTimeout: { def: '30', parse: int(1, 3600), help: 'Seconds to wait for association set-up or release.' },
  IdleTimeout: { def: '300', parse: int(0, 86400), help: 'Seconds an association may stay silent before it is aborted (0: never).' },
  ConnectTimeout: { def: '10', parse: int(1, 3600), help: 'Seconds to wait for a remote node to take the connection (echo, query, send, retrieve).' },
  DIMSETimeout: { def: '60', parse: int(0, 86400), help: 'Seconds to wait for a remote node\'s next response to a request (each progress report restarts it; 0: no limit).' },
  ACRNemaMap: { def: 'acrnema.map', parse: text, help: 'File of known DICOM nodes.' },
  SOPClassList: { def: 'dgatesop.lst', parse: text, help: 'File of accepted SOP classes and transfer syntaxes.' },
  MaximumExportRetries: { def: '3', parse: int(0, 100), help: 'How many times a failed send or retrieve is tried again before it is marked failed.' },
  RetryDelay: { def: '10', parse: int(1, 86400), help: 'Seconds before the first retry of a failed job; each further retry waits twice as long.' },
  MaxJobsPerNode: { def: '2', parse: int(1, 16), help: 'How many sends and retrieves may run at once with one remote node.' },
  APIPort: { def: '8711', parse: int(0, 65535), help: 'TCP port of the HTTP/WebSocket API and UI (0 picks a free one).' },
  APIAddress: { def: '127.0.0.1', parse: address, help: 'Address the API listens on; 127.0.0.1 keeps it to this computer.' },
  LogLevel: { def: 'info', parse: oneOf('debug', 'info', 'warn', 'error'), help: 'How much the log says.' },
  JobHistoryDays: { def: '30', parse: int(0, 36500), help: 'Finished sends, forwards and retrieves older than this many days are removed from the job history, every hour (0: kept for ever).' },
  DurableWrites: { def: '1', parse: flag, help: 'Answer success only when the object file, its folder entry and its index row are on stable storage (fsync), so a power cut loses nothing answered; 0 is faster but may lose the last objects. Applies at the next start.' },
  MaxQueryResults: { def: '0', parse: int(0, 100000000), help: 'C-FIND: the most matches one query answers; beyond it the query ends with status A700 after that many (0: no limit; answers are streamed either way).' },
  DicomWebMaxResults: { def: '1000', parse: int(1, 1000000), help: 'DICOMweb: the most matches a QIDO-RS search answers with; more are asked for with offset (the answer says so).' },
  DicomWebCorsOrigins: { def: '', parse: origins, help: 'DICOMweb: web origins allowed to call /dicom-web from a page served elsewhere (a web viewer), separated by commas, or * for any; empty for none.' },
  StorageCommitment: { def: '1', parse: flag, help: 'Storage Commitment SCP: modalities may ask us to commit to keeping what they sent (N-ACTION); we report on the same association while the modality keeps it open, else on a new one to its AE in acrnema.map.' },
  CommitmentWaitSeconds: { def: '2', parse: int(0, 600), help: 'Sends and forwards that ask a node for storage commitment keep their association open this many seconds for the report; later reports come on an association the node opens to us.' },
  MPPS: { def: '1', parse: flag, help: 'Modality Performed Procedure Step SCP: modalities report procedures in progress, completed or discontinued (N-CREATE, N-SET); the worklist shows it.' },
  MPPSForward: { def: '', parse: aeList, help: 'AE titles (acrnema.map) every MPPS message is passed on to, separated by commas (a RIS, another archive); empty for none.' },
  HL7Listener: { def: '0', parse: flag, help: 'Receive HL7 v2 messages (MLLP): orders (ORM^O01, OMI^O23) fill the worklist, ADT^A08/A31 update patients, ADT^A40 merges them.' },
  HL7Port: { def: '2575', parse: int(0, 65535), help: 'TCP port of the HL7 listener (0 picks a free one).' },
  HL7AllowedSenders: { def: '', parse: senderList, help: 'IP addresses allowed to send HL7 messages (the RIS), separated by commas; empty: this computer only; * allows any.' },
  HL7TLS: { def: '0', parse: flag, help: 'The HL7 listener speaks MLLP over TLS, with the DICOM TLS certificate, key and trusted CAs (and TLSRequireClientCertificate).' },
  HL7DefaultCharset: { def: 'ASCII', parse: oneOf('ascii', '8859/1', '8859/2', 'unicode utf-8'), help: 'Character set of HL7 messages whose MSH-18 is empty: ASCII, 8859/1, 8859/2 or UNICODE UTF-8.' },
  TLSPort: { def: '0', parse: int(0, 65535), help: 'DICOM over TLS (PS3.15 B.1, TLS 1.2+): a second listener on this port beside TCPPort (0: none). Needs TLSCertificate and TLSPrivateKey.' },
  TLSCertificate: { def: '', parse: (v: string) => v, help: 'Our certificate for DICOM TLS (PEM file, relative to the configuration folder), shown to peers by the TLS listener and by our SCU.' },
  TLSPrivateKey: { def: '', parse: (v: string) => v, help: 'The private key of TLSCertificate (PEM file, unencrypted; keep it readable only by the archive).' },
  TLSCACertificates: { def: '', parse: (v: string) => v, help: 'The CA certificates we trust (PEM file): a peer\'s certificate must chain to one of them, both ways.' },
  PlainDICOM: { def: '1', parse: flag, help: 'The plain, unencrypted DICOM listener on TCPPort. 0 with TLSPort set: only the TLS listener serves, so every peer must use TLS.' },
  TLSRequireClientCertificate: { def: '1', parse: flag, help: 'The TLS listener refuses peers that show no certificate from a trusted CA (mutual authentication).' },
  TLSNodes: { def: '', parse: aeList, help: 'AE titles (acrnema.map) our SCU reaches over TLS, separated by commas; their acrnema.map port is their TLS port.' },
  SessionIdleMinutes: { def: '30', parse: int(1, 1440), help: 'A signed-in user is signed out after this many minutes without using the archive.' },
  SessionMaxHours: { def: '12', parse: int(1, 720), help: 'A sign-in lasts at most this many hours, used or not.' },
  MaxUploadMB: { def: '4096', parse: int(0, 1048576), help: 'The largest file the UI may import or a DICOMweb client may send in one request (STOW-RS), in MB (0: no limit).' },
  AuditRetentionDays: { def: '400', parse: int(0, 36500), help: 'Audit records (logins, changes, queries, retrieves, views, ...) older than this many days are removed, every hour (0: kept for ever).' },
  AuditSyslogHost: { def: '', parse: hostPort, help: 'Also send every audit record as an IHE ATNA message (DICOM PS3.15 A.5) over syslog to this host:port (an audit record repository); empty for none.' },
  AuditSyslogProtocol: { def: 'udp', parse: oneOf('udp', 'tls'), help: 'How audit messages reach AuditSyslogHost: udp (RFC 5426) or tls (RFC 5425; trusts TLSCACertificates, shows TLSCertificate).' },
  ExportRoots: { def: '', parse: folderList, help: 'Folders (separated by ;) under which the UI may write an export folder; empty: where removable media appear (/media, /run/media, /mnt; on Windows every drive but the system drive) and the data folder\'s exports.' },
  APIHostNames: { def: '', parse: hostNameList, help: 'Names the UI and API answer to besides IP addresses, localhost and this computer\'s name (e.g. pacs.clinic.local), separated by commas; * takes any. Other names are refused (against DNS rebinding).' },
  APIHttps: { def: 'auto', parse: oneOf('auto', 'on'), help: 'HTTPS for the UI and API: auto uses it whenever APIAddress is not this computer only (loopback); on uses it always. Plain HTTP is never used beyond loopback.' },
  APICertificate: { def: '', parse: (v: string) => v, help: 'The certificate for HTTPS (PEM file, relative to the configuration folder); empty: a self-signed one made at the first start (DATA/https), its fingerprint shown in the log and on the Monitor.' },
  APIPrivateKey: { def: '', parse: (v: string) => v, help: 'The private key of APICertificate (PEM file, unencrypted).' },
} as const;

type KeyName = keyof typeof SETTING_KEYS;

/** A key's line in dicom.ini under its name or one of its aliases (Conquest spells some two ways; case never matters). */
export function findSetting(doc: IniDocument, key: string): { value: string; line: number; spelling: string } | undefined {
  const spec = (SETTING_KEYS as Record<string, { aliases?: readonly string[] }>)[key];
  for (const name of [key, ...(spec?.aliases ?? [])]) {
    const found = doc.get(SECTION, name);
    if (found) return { ...found, spelling: name };
  }
  return undefined;
}

/** The key a name (or an alias, in any case) stands for; the name itself when it is no alias. */
export function canonicalKey(name: string): string {
  const lower = name.toLowerCase();
  for (const [key, spec] of Object.entries(SETTING_KEYS) as [string, { aliases?: readonly string[] }][]) {
    if (key.toLowerCase() === lower || spec.aliases?.some((a) => a.toLowerCase() === lower)) return key;
  }
  return name;
}

/** Read and check every known key; all problems are reported together, each with its line. */
export function readSettings(doc: IniDocument, configDir: string, dataDir: string): ServerSettings {
  const errors: ConfigError[] = [];
  const values = new Map<string, unknown>();
  for (const [key, spec] of Object.entries(SETTING_KEYS) as [KeyName, (typeof SETTING_KEYS)[KeyName]][]) {
    const found = findSetting(doc, key);
    try {
      values.set(key, spec.parse(found ? found.value : spec.def));
    } catch (err) {
      errors.push(new ConfigError(doc.file, found?.line ?? 0, msg('{key}: {reason}', { key, reason: saidOf(err) })));
    }
  }
  const devices: string[] = [];
  const count = (values.get('MAGDevices') as number | undefined) ?? 1;
  for (let i = 0; i < count; i++) {
    const found = doc.get(SECTION, `MAGDevice${i}`);
    if (!found && i > 0) { errors.push(new ConfigError(doc.file, doc.get(SECTION, 'MAGDevices')?.line ?? 0, msg('MAGDevices is {count} but MAGDevice{i} is not set', { count: String(count), i: String(i) }))); continue; }
    const value = found?.value || 'storage';
    devices.push(path.resolve(dataDir, value));
  }
  if (values.get('PlainDICOM') === false && !values.get('TLSPort')) {
    errors.push(new ConfigError(doc.file, findSetting(doc, 'PlainDICOM')?.line ?? 0, msg('PlainDICOM: 0 needs TLSPort set (the TLS listener would be the only one)')));
  }
  if (errors.length) throw new ConfigErrors(errors.sort((a, b) => a.line - b.line));
  const get = <K extends KeyName>(k: K) => values.get(k) as ReturnType<(typeof SETTING_KEYS)[K]['parse']>;
  /** A file a key may name, relative to the configuration folder; empty when it names none. */
  const optionalFile = (k: 'TLSCertificate' | 'TLSPrivateKey' | 'TLSCACertificates' | 'APICertificate' | 'APIPrivateKey') => {
    const file = get(k);
    return file && path.resolve(configDir, file);
  };
  return {
    aeTitle: get('MyACRNema'),
    port: get('TCPPort'),
    listenAddress: get('ListenAddress'),
    devices,
    magFullThresholdMB: get('MAGDeviceFullThreshold'),
    magCleanThresholdMB: get('MAGDeviceThreshold'),
    nightlyCleanThresholdMB: get('NightlyCleanThreshold'),
    fileNameSyntax: get('FileNameSyntax'),
    index: indexSettings(get('MySQL'), get('SQLServer'), get('SQLHost'), get('SQLPort'), get('Username'), get('Password'), dataDir, doc),
    duplicatePolicy: get('DuplicatePolicy'),
    incomingCompression: get('IncomingCompression'),
    droppedFileCompression: get('DroppedFileCompression'),
    nameMatching: get('NameMatching'),
    requireKnownCallingAe: get('RequireKnownCallingAE'),
    acceptAnyCalledAe: get('AcceptAnyCalledAE'),
    maxPduLength: get('MaxPDULength'),
    artimTimeout: get('ARTIMTimeout'),
    idleTimeout: get('IdleTimeout'),
    connectTimeout: get('ConnectTimeout'),
    dimseTimeout: get('DIMSETimeout'),
    acrNemaMap: path.resolve(configDir, get('ACRNemaMap')),
    sopClassList: path.resolve(configDir, get('SOPClassList')),
    logLevel: get('LogLevel') as ServerSettings['logLevel'],
    maxExportRetries: get('MaximumExportRetries'),
    retryDelaySeconds: get('RetryDelay'),
    maxJobsPerNode: get('MaxJobsPerNode'),
    apiPort: get('APIPort'),
    apiAddress: get('APIAddress'),
    jobHistoryDays: get('JobHistoryDays'),
    durableWrites: get('DurableWrites'),
    maxQueryResults: get('MaxQueryResults'),
    dicomWebMaxResults: get('DicomWebMaxResults'),
    dicomWebCorsOrigins: get('DicomWebCorsOrigins'),
    storageCommitment: get('StorageCommitment'),
    commitmentWaitSeconds: get('CommitmentWaitSeconds'),
    mpps: get('MPPS'),
    mppsForward: get('MPPSForward'),
    hl7Listener: get('HL7Listener'),
    hl7Port: get('HL7Port'),
    hl7AllowedSenders: get('HL7AllowedSenders'),
    hl7Tls: get('HL7TLS'),
    hl7DefaultCharset: get('HL7DefaultCharset'),
    tlsPort: get('TLSPort'),
    plainDicom: get('PlainDICOM'),
    tlsCertificate: optionalFile('TLSCertificate'),
    tlsPrivateKey: optionalFile('TLSPrivateKey'),
    tlsCaCertificates: optionalFile('TLSCACertificates'),
    tlsRequireClientCertificate: get('TLSRequireClientCertificate'),
    tlsNodes: get('TLSNodes'),
    sessionIdleMinutes: get('SessionIdleMinutes'),
    sessionMaxHours: get('SessionMaxHours'),
    maxUploadMB: get('MaxUploadMB'),
    auditRetentionDays: get('AuditRetentionDays'),
    auditSyslogHost: get('AuditSyslogHost'),
    auditSyslogProtocol: get('AuditSyslogProtocol'),
    apiHttps: get('APIHttps'),
    apiHostNames: get('APIHostNames'),
    exportRoots: get('ExportRoots'),
    apiCertificate: optionalFile('APICertificate'),
    apiPrivateKey: optionalFile('APIPrivateKey'),
  };
}

function indexSettings(mysql: boolean, server: string, host: string, port: number, user: string, password: string, dataDir: string, doc: IniDocument): IndexSettings {
  if (!mysql) return { engine: 'sqlite', file: path.resolve(dataDir, server) };
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(server)) {
    throw new ConfigErrors([new ConfigError(doc.file, doc.get(SECTION, 'SQLServer')?.line ?? 0, `SQLServer: "${server}" is not a MySQL database name (letters, digits, _ and $)`)]);
  }
  const [h, p] = host.split(':');
  return { engine: 'mysql', host: h!, port: p ? Number(p) : port, user, password, database: server };
}
