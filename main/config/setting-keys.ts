import { aeTitleProblem } from './ae-title.ts';
import { msg } from '../../common/message.ts';
import { compileLayout, FileNameSyntaxError } from '../store/layout.ts';
import type { DuplicatePolicy, ServerSettings } from './settings-types.ts';
import {
  address, aeList, compression, flag, folderList, hostNameList, hostPort, int, oneOf, origins, reason, senderList, text,
  type Parse,
} from './setting-parsers.ts';

/**
 * Every dicom.ini key the core reads, declared once: where the Settings form shows it (group, label), when a change
 * takes effect, which field of the running settings it sets (and whether its value names a file of the configuration
 * folder), its default, its check and its help. The core's settings, the effects of a save, the Settings form (through
 * the API) and the catalogs' test all derive from this table; a new key is one entry here, its field in
 * ServerSettings, and its Czech and German words.
 */

/** The Settings form's groups, in the order shown. */
export const SETTING_GROUPS = {
  network: 'This archive on the network',
  storage: 'Storage',
  index: 'Index database',
  sending: 'Sending and retrieving',
  tls: 'DICOM TLS',
  workflow: 'Hospital workflow: storage commitment, MPPS, HL7',
  access: 'Users, HTTPS and audit',
  files: 'Files, API, DICOMweb and log',
} as const;

/**
 * When a changed key takes effect in a running server: `live` at once (timeouts, job retries, forwarding rules, the
 * duplicate policy, the log level...); `listener` when the DICOM listener restarts, on the user's request since it
 * drops open associations (AE title, port, acceptance rules...); `restart` at the next start of the program (storage
 * folders and layout, the index database, the API).
 */
export type KeyEffect = 'live' | 'listener' | 'restart';

export interface SettingSpec<T = unknown> {
  group: keyof typeof SETTING_GROUPS;
  /** The form's plain words for the key (the key itself is shown beside them, as Conquest users know it). */
  label: string;
  effect: KeyEffect;
  /** The field of ServerSettings the key sets by itself (the index and storage-folder keys are read together). */
  field?: keyof ServerSettings;
  /** The value names a file of the configuration folder (resolved against it; an optional one may be empty). */
  resolve?: 'config-file' | 'optional-config-file';
  def: string;
  parse: Parse<T>;
  /** Other spellings dicom.ini may use (Conquest spells some two ways). */
  aliases?: readonly string[];
  /** Forced input kind where the parser's would not do (a password). */
  input?: 'secret';
  help: string;
}

export const SETTING_KEYS = {
  MyACRNema: {
    group: 'network', label: 'AE title of this archive', effect: 'listener', field: 'aeTitle',
    def: 'PACSWS', parse: (v: string) => { const p = aeTitleProblem(v); return p ? reason(p) : v; },
    help: 'Our AE title; peers must call us by it.',
  },
  TCPPort: {
    group: 'network', label: 'DICOM port', effect: 'listener', field: 'port',
    def: '11112', parse: int(0, 65535),
    help: 'TCP port the DICOM listener uses (0 picks a free one).',
  },
  ListenAddress: {
    group: 'network', label: 'Listen on address', effect: 'listener', field: 'listenAddress',
    def: '0.0.0.0', parse: address,
    help: 'Address to listen on; 127.0.0.1 keeps the archive local.',
  },
  AcceptAnyCalledAE: {
    group: 'network', label: 'Accept any called AE title', effect: 'listener', field: 'acceptAnyCalledAe',
    def: '0', parse: flag,
    help: 'Accept associations whatever AE title the peer calls us by.',
  },
  RequireKnownCallingAE: {
    group: 'network', label: 'Only nodes of the node list may connect', effect: 'listener', field: 'requireKnownCallingAe',
    def: '0', parse: flag,
    help: 'Refuse associations from AE titles not in acrnema.map.',
  },
  MaxPDULength: {
    group: 'network', label: 'Largest PDU (bytes)', effect: 'listener', field: 'maxPduLength',
    def: '262144', parse: int(4096, 16 << 20),
    help: 'Largest PDU we receive (bytes).',
  },
  ARTIMTimeout: {
    group: 'network', label: 'Association set-up timeout (s)', effect: 'listener', field: 'artimTimeout',
    def: '30', parse: int(1, 3600),
    help: 'Seconds to wait for association set-up or release.',
  },
  IdleTimeout: {
    group: 'network', label: 'Idle association timeout (s)', effect: 'listener', field: 'idleTimeout',
    def: '300', parse: int(0, 86400),
    help: 'Seconds an association may stay silent before it is aborted (0: never).',
  },
  NameMatching: {
    group: 'network', label: 'Name matching in queries', effect: 'live', field: 'nameMatching',
    def: 'forgiving', parse: oneOf<'exact' | 'forgiving'>('exact', 'forgiving'),
    help: 'How C-FIND matches person names, patient IDs and accession numbers: forgiving, names without diacritics and ue/oe/ae as ü/ö/ä (dvorak finds Dvořák, mueller Müller), IDs and accession numbers case aside (cz780 finds CZ780); or exact: names case aside, IDs as written. The search screens are always forgiving.',
  },
  MaxQueryResults: {
    group: 'network', label: 'Most answers to one C-FIND', effect: 'live', field: 'maxQueryResults',
    def: '0', parse: int(0, 100000000),
    help: 'C-FIND: the most matches one query answers; beyond it the query ends with status A700 after that many (0: no limit; answers are streamed either way).',
  },
  MAGDevices: {
    group: 'storage', label: 'Number of storage folders', effect: 'restart',
    def: '1', parse: int(1, 10),
    help: 'How many storage folders (MAGDevice0..n) are used.',
  },
  MAGDeviceFullThreshold: {
    group: 'storage', label: 'Stop writing to a folder below (MB free)', effect: 'restart', field: 'magFullThresholdMB',
    def: '30', parse: int(0, 1 << 30), aliases: ['MAGDeviceFullThreshHold'],
    help: 'A storage folder with less free space than this (MB) takes no new objects; the next folder does (Conquest\'s MAGDeviceFullThreshHold).',
  },
  MAGDeviceThreshold: {
    group: 'storage', label: 'Clean up when free space falls below (MB)', effect: 'live', field: 'magCleanThresholdMB',
    def: '0', parse: int(0, 1 << 30), aliases: ['MAGDeviceThreshHold'],
    help: 'Clean-up, as Conquest does it: when a storage folder has less free space than this (MB), the least recently used patients on it (stored, viewed or retrieved longest ago) are deleted until there is 5 MB more; studies marked protected never are. Every deletion is logged and listed on the Monitor. 0: off (Conquest\'s MAGDeviceThreshHold).',
  },
  NightlyCleanThreshold: {
    group: 'storage', label: 'Nightly clean-up until free (MB)', effect: 'live', field: 'nightlyCleanThresholdMB',
    def: '0', parse: int(0, 1 << 30),
    help: 'At 01:00, the clean-up of MAGDeviceThreshold runs until each storage folder has this much free space (MB); 0: off.',
  },
  FileNameSyntax: {
    group: 'storage', label: 'File names in storage', effect: 'restart', field: 'fileNameSyntax',
    def: '%id/%studyuid/%seriesuid/%sopuid.dcm', parse: (v: string) => { try { compileLayout(v); return v; } catch (e) { return e instanceof FileNameSyntaxError ? reason(e.message) : reason(String(e)); } },
    help: 'Path of each object under its storage folder.',
  },
  DuplicatePolicy: {
    group: 'storage', label: 'When an object arrives again', effect: 'live', field: 'duplicatePolicy',
    def: 'replace', parse: oneOf<DuplicatePolicy>('replace', 'keep', 'reject'),
    help: 'What a second object with a known SOP Instance UID does: replace it, keep the first, or reject.',
  },
  IncomingCompression: {
    group: 'storage', label: 'Store received objects as', effect: 'live', field: 'incomingCompression',
    def: 'as', parse: compression,
    help: 'How objects received over the network are stored: as (as received), un (uncompressed), uj (uncompressed, JPEG kept), js (JPEG-LS lossless), jk (JPEG 2000 lossless), j1/j2 (JPEG lossless); lossy, with an optional quality NN: j3NN (JPEG, 8-bit images), j7NN (JPEG-LS near-lossless), jlNN (JPEG 2000). Conquest\'s codes.',
  },
  DroppedFileCompression: {
    group: 'storage', label: 'Store imported objects as', effect: 'live', field: 'droppedFileCompression',
    def: 'as', parse: compression,
    help: 'How imported objects (folders, CDs, uploads) are stored; the same codes as IncomingCompression.',
  },
  DurableWrites: {
    group: 'storage', label: 'Safe writes (survive a power cut)', effect: 'restart', field: 'durableWrites',
    def: '1', parse: flag,
    help: 'Answer success only when the object file, its folder entry and its index row are on stable storage (fsync), so a power cut loses nothing answered; 0 is faster but may lose the last objects. Applies at the next start.',
  },
  SqLite: {
    group: 'index', label: 'Embedded SQLite database', effect: 'restart',
    def: '1', parse: flag,
    help: 'Use the embedded SQLite index.',
  },
  MySQL: {
    group: 'index', label: 'MySQL or MariaDB database', effect: 'restart',
    def: '0', parse: flag,
    help: 'Use a MySQL/MariaDB server for the index (SQLHost, SQLPort, Username, Password, SQLServer).',
  },
  SQLServer: {
    group: 'index', label: 'Database (file or name)', effect: 'restart',
    def: 'index/archive.db3', parse: text,
    help: 'SQLite: the index database file; MySQL/MariaDB: the database name.',
  },
  SQLHost: {
    group: 'index', label: 'Database server', effect: 'restart',
    def: 'localhost', parse: (v: string) => (/^[A-Za-z0-9.\-:_]+$/.test(v) ? v : reason(msg('"{value}" is not a host name or address', { value: v }))),
    help: 'MySQL/MariaDB: the server (host or host:port).',
  },
  SQLPort: {
    group: 'index', label: 'Database port', effect: 'restart',
    def: '3306', parse: int(1, 65535),
    help: 'MySQL/MariaDB: the server port, when SQLHost does not name one.',
  },
  Username: {
    group: 'index', label: 'Database user', effect: 'restart',
    def: 'root', parse: text,
    help: 'MySQL/MariaDB: the user.',
  },
  Password: {
    group: 'index', label: 'Database password', effect: 'restart', input: 'secret',
    def: '', parse: (v: string) => v,
    help: 'MySQL/MariaDB: the password.',
  },
  ConnectTimeout: {
    group: 'sending', label: 'Connect timeout (s)', effect: 'live', field: 'connectTimeout',
    def: '10', parse: int(1, 3600),
    help: 'Seconds to wait for a remote node to take the connection (echo, query, send, retrieve).',
  },
  DIMSETimeout: {
    group: 'sending', label: 'Answer timeout (s)', effect: 'live', field: 'dimseTimeout',
    def: '60', parse: int(0, 86400),
    help: 'Seconds to wait for a remote node\'s next response to a request (each progress report restarts it; 0: no limit).',
  },
  MaximumExportRetries: {
    group: 'sending', label: 'Retries of a failed send', effect: 'live', field: 'maxExportRetries',
    def: '3', parse: int(0, 100),
    help: 'How many times a failed send or retrieve is tried again before it is marked failed.',
  },
  RetryDelay: {
    group: 'sending', label: 'Wait between retries (s)', effect: 'live', field: 'retryDelaySeconds',
    def: '10', parse: int(1, 86400),
    help: 'Seconds before the first retry of a failed job; each further retry waits twice as long.',
  },
  MaxJobsPerNode: {
    group: 'sending', label: 'Jobs at once per node', effect: 'live', field: 'maxJobsPerNode',
    def: '2', parse: int(1, 16),
    help: 'How many sends and retrieves may run at once with one remote node.',
  },
  JobHistoryDays: {
    group: 'sending', label: 'Keep finished jobs (days)', effect: 'live', field: 'jobHistoryDays',
    def: '30', parse: int(0, 36500),
    help: 'Finished sends, forwards and retrieves older than this many days are removed from the job history, every hour (0: kept for ever).',
  },
  TLSPort: {
    group: 'tls', label: 'DICOM TLS port', effect: 'listener', field: 'tlsPort',
    def: '0', parse: int(0, 65535),
    help: 'DICOM over TLS (PS3.15 B.1, TLS 1.2+): a second listener on this port beside TCPPort (0: none). Needs TLSCertificate and TLSPrivateKey.',
  },
  TLSCertificate: {
    group: 'tls', label: 'TLS certificate file', effect: 'listener', field: 'tlsCertificate', resolve: 'optional-config-file',
    def: '', parse: (v: string) => v,
    help: 'Our certificate for DICOM TLS (PEM file, relative to the configuration folder), shown to peers by the TLS listener and by our SCU.',
  },
  TLSPrivateKey: {
    group: 'tls', label: 'TLS private key file', effect: 'listener', field: 'tlsPrivateKey', resolve: 'optional-config-file',
    def: '', parse: (v: string) => v,
    help: 'The private key of TLSCertificate (PEM file, unencrypted; keep it readable only by the archive).',
  },
  TLSCACertificates: {
    group: 'tls', label: 'Trusted CA certificates file', effect: 'listener', field: 'tlsCaCertificates', resolve: 'optional-config-file',
    def: '', parse: (v: string) => v,
    help: 'The CA certificates we trust (PEM file): a peer\'s certificate must chain to one of them, both ways.',
  },
  TLSRequireClientCertificate: {
    group: 'tls', label: 'TLS peers must show a certificate', effect: 'listener', field: 'tlsRequireClientCertificate',
    def: '1', parse: flag,
    help: 'The TLS listener refuses peers that show no certificate from a trusted CA (mutual authentication).',
  },
  PlainDICOM: {
    group: 'tls', label: 'Also serve unencrypted DICOM (TCPPort)', effect: 'listener', field: 'plainDicom',
    def: '1', parse: flag,
    help: 'The plain, unencrypted DICOM listener on TCPPort. 0 with TLSPort set: only the TLS listener serves, so every peer must use TLS.',
  },
  TLSNodes: {
    group: 'tls', label: 'Nodes reached over TLS', effect: 'live', field: 'tlsNodes',
    def: '', parse: aeList,
    help: 'AE titles (acrnema.map) our SCU reaches over TLS, separated by commas; their acrnema.map port is their TLS port.',
  },
  StorageCommitment: {
    group: 'workflow', label: 'Storage commitment service', effect: 'listener', field: 'storageCommitment',
    def: '1', parse: flag,
    help: 'Storage Commitment SCP: modalities may ask us to commit to keeping what they sent (N-ACTION); we report on the same association while the modality keeps it open, else on a new one to its AE in acrnema.map.',
  },
  CommitmentWaitSeconds: {
    group: 'workflow', label: 'Wait for a commitment report (s)', effect: 'live', field: 'commitmentWaitSeconds',
    def: '2', parse: int(0, 600),
    help: 'Sends and forwards that ask a node for storage commitment keep their association open this many seconds for the report; later reports come on an association the node opens to us.',
  },
  MPPS: {
    group: 'workflow', label: 'Performed procedure step service (MPPS)', effect: 'listener', field: 'mpps',
    def: '1', parse: flag,
    help: 'Modality Performed Procedure Step SCP: modalities report procedures in progress, completed or discontinued (N-CREATE, N-SET); the worklist shows it.',
  },
  MPPSForward: {
    group: 'workflow', label: 'Pass MPPS messages on to', effect: 'live', field: 'mppsForward',
    def: '', parse: aeList,
    help: 'AE titles (acrnema.map) every MPPS message is passed on to, separated by commas (a RIS, another archive); empty for none.',
  },
  HL7Listener: {
    group: 'workflow', label: 'Receive HL7 messages', effect: 'listener', field: 'hl7Listener',
    def: '0', parse: flag,
    help: 'Receive HL7 v2 messages (MLLP): orders (ORM^O01, OMI^O23) fill the worklist, ADT^A08/A31 update patients, ADT^A40 merges them.',
  },
  HL7Port: {
    group: 'workflow', label: 'HL7 port', effect: 'listener', field: 'hl7Port',
    def: '2575', parse: int(0, 65535),
    help: 'TCP port of the HL7 listener (0 picks a free one).',
  },
  HL7AllowedSenders: {
    group: 'workflow', label: 'HL7 senders allowed', effect: 'listener', field: 'hl7AllowedSenders',
    def: '', parse: senderList,
    help: 'IP addresses allowed to send HL7 messages (the RIS), separated by commas; empty: this computer only; * allows any.',
  },
  HL7TLS: {
    group: 'workflow', label: 'HL7 over TLS', effect: 'listener', field: 'hl7Tls',
    def: '0', parse: flag,
    help: 'The HL7 listener speaks MLLP over TLS, with the DICOM TLS certificate, key and trusted CAs (and TLSRequireClientCertificate).',
  },
  HL7DefaultCharset: {
    group: 'workflow', label: 'HL7 character set when none is given', effect: 'live', field: 'hl7DefaultCharset',
    def: 'ASCII', parse: oneOf('ASCII', '8859/1', '8859/2', 'UNICODE UTF-8'),
    help: 'Character set of HL7 messages whose MSH-18 is empty: ASCII, 8859/1, 8859/2 or UNICODE UTF-8.',
  },
  APIHttps: {
    group: 'access', label: 'HTTPS for the web UI and API', effect: 'restart', field: 'apiHttps',
    def: 'auto', parse: oneOf('auto', 'on'),
    help: 'HTTPS for the UI and API: auto uses it whenever APIAddress is not this computer only (loopback); on uses it always. Plain HTTP is never used beyond loopback.',
  },
  APIHostNames: {
    group: 'access', label: 'Names of this archive on the network', effect: 'live', field: 'apiHostNames',
    def: '', parse: hostNameList,
    help: 'Names the UI and API answer to besides IP addresses, localhost and this computer\'s name (e.g. pacs.clinic.local), separated by commas; * takes any. Other names are refused (against DNS rebinding).',
  },
  APICertificate: {
    group: 'access', label: 'HTTPS certificate file', effect: 'restart', field: 'apiCertificate', resolve: 'optional-config-file',
    def: '', parse: (v: string) => v,
    help: 'The certificate for HTTPS (PEM file, relative to the configuration folder); empty: a self-signed one made at the first start (DATA/https), its fingerprint shown in the log and on the Monitor.',
  },
  APIPrivateKey: {
    group: 'access', label: 'HTTPS private key file', effect: 'restart', field: 'apiPrivateKey', resolve: 'optional-config-file',
    def: '', parse: (v: string) => v,
    help: 'The private key of APICertificate (PEM file, unencrypted).',
  },
  SessionIdleMinutes: {
    group: 'access', label: 'Sign out after idle minutes', effect: 'live', field: 'sessionIdleMinutes',
    def: '30', parse: int(1, 1440),
    help: 'A signed-in user is signed out after this many minutes without using the archive.',
  },
  SessionMaxHours: {
    group: 'access', label: 'Longest sign-in (hours)', effect: 'live', field: 'sessionMaxHours',
    def: '12', parse: int(1, 720),
    help: 'A sign-in lasts at most this many hours, used or not.',
  },
  AuditRetentionDays: {
    group: 'access', label: 'Keep audit records (days)', effect: 'live', field: 'auditRetentionDays',
    def: '400', parse: int(0, 36500),
    help: 'Audit records (logins, changes, queries, retrieves, views, ...) older than this many days are removed, every hour (0: kept for ever).',
  },
  AuditSyslogHost: {
    group: 'access', label: 'Send audit records to (host:port)', effect: 'restart', field: 'auditSyslogHost',
    def: '', parse: hostPort,
    help: 'Also send every audit record as an IHE ATNA message (DICOM PS3.15 A.5) over syslog to this host:port (an audit record repository); empty for none.',
  },
  AuditSyslogProtocol: {
    group: 'access', label: 'Audit records sent by', effect: 'restart', field: 'auditSyslogProtocol',
    def: 'udp', parse: oneOf('udp', 'tls'),
    help: 'How audit messages reach AuditSyslogHost: udp (RFC 5426) or tls (RFC 5425; trusts TLSCACertificates, shows TLSCertificate).',
  },
  ACRNemaMap: {
    group: 'files', label: 'Node list file', effect: 'restart', field: 'acrNemaMap', resolve: 'config-file',
    def: 'acrnema.map', parse: text,
    help: 'File of known DICOM nodes.',
  },
  SOPClassList: {
    group: 'files', label: 'Accepted SOP classes file', effect: 'listener', field: 'sopClassList', resolve: 'config-file',
    def: 'dgatesop.lst', parse: text,
    help: 'File of accepted SOP classes and transfer syntaxes.',
  },
  APIPort: {
    group: 'files', label: 'Web UI and API port', effect: 'restart', field: 'apiPort',
    def: '8711', parse: int(0, 65535),
    help: 'TCP port of the HTTP/WebSocket API and UI (0 picks a free one).',
  },
  APIAddress: {
    group: 'files', label: 'Web UI and API address', effect: 'restart', field: 'apiAddress',
    def: '127.0.0.1', parse: address,
    help: 'Address the API listens on; 127.0.0.1 keeps it to this computer.',
  },
  MaxUploadMB: {
    group: 'files', label: 'Largest upload (MB)', effect: 'live', field: 'maxUploadMB',
    def: '4096', parse: int(0, 1048576),
    help: 'The largest file the UI may import or a DICOMweb client may send in one request (STOW-RS), in MB (0: no limit).',
  },
  ExportRoots: {
    group: 'files', label: 'Folders exports may be written into', effect: 'live', field: 'exportRoots',
    def: '', parse: folderList,
    help: 'Folders (separated by ;) under which the UI may write an export folder; empty: where removable media appear (/media, /run/media, /mnt; on Windows every drive but the system drive) and the data folder\'s exports.',
  },
  DicomWebMaxResults: {
    group: 'files', label: 'Most answers to one QIDO-RS search', effect: 'live', field: 'dicomWebMaxResults',
    def: '1000', parse: int(1, 1000000),
    help: 'DICOMweb: the most matches a QIDO-RS search answers with; more are asked for with offset (the answer says so).',
  },
  DicomWebCorsOrigins: {
    group: 'files', label: 'Web pages allowed to use DICOMweb', effect: 'live', field: 'dicomWebCorsOrigins',
    def: '', parse: origins,
    help: 'DICOMweb: web origins allowed to call /dicom-web from a page served elsewhere (a web viewer), separated by commas, or * for any; empty for none.',
  },
  LogLevel: {
    group: 'files', label: 'Log detail', effect: 'live', field: 'logLevel',
    def: 'info', parse: oneOf('debug', 'info', 'warn', 'error'),
    help: 'How much the log says.',
  },
} as const satisfies Record<string, SettingSpec>;

export type KeyName = keyof typeof SETTING_KEYS;
