import { canonicalKey, type ServerSettings } from './server-settings.ts';

/**
 * When a changed dicom.ini key takes effect in a running server:
 * - live: at once (our SCU's timeouts, job retries and limits, forwarding rules, the duplicate policy, the log level);
 * - listener: when the DICOM listener restarts (our AE title, port, address, acceptance rules, PDU size, timeouts,
 *   the accepted SOP classes) — on the user's request, since it drops open associations;
 * - restart: at the next start of the whole program (storage folders and layout, the index database, the API);
 * - unused: a key this server does not read (kept in the file, e.g. from Conquest).
 */
export type SettingEffect = 'live' | 'listener' | 'restart' | 'unused';

const LISTENER_KEYS = ['MyACRNema', 'TCPPort', 'ListenAddress', 'RequireKnownCallingAE', 'AcceptAnyCalledAE', 'MaxPDULength', 'ARTIMTimeout', 'IdleTimeout', 'SOPClassList', 'StorageCommitment', 'MPPS', 'HL7Listener', 'HL7Port', 'HL7AllowedSenders', 'HL7TLS', 'TLSPort', 'TLSCertificate', 'TLSPrivateKey', 'TLSCACertificates', 'TLSRequireClientCertificate', 'PlainDICOM'];
const LIVE_KEYS = ['ConnectTimeout', 'DIMSETimeout', 'MaximumExportRetries', 'RetryDelay', 'MaxJobsPerNode', 'LogLevel', 'ExportConverters', 'DuplicatePolicy', 'NameMatching', 'IncomingCompression', 'DroppedFileCompression', 'DicomWebMaxResults', 'DicomWebCorsOrigins', 'MaxQueryResults', 'JobHistoryDays', 'CommitmentWaitSeconds', 'MPPSForward', 'HL7DefaultCharset', 'MAGDeviceThreshold', 'NightlyCleanThreshold', 'TLSNodes', 'SessionIdleMinutes', 'SessionMaxHours', 'MaxUploadMB', 'AuditRetentionDays', 'APIHostNames', 'ExportRoots'];
const RESTART_KEYS = ['MAGDevices', 'MAGDeviceFullThreshold', 'FileNameSyntax', 'SQLServer', 'SqLite', 'MySQL', 'SQLHost', 'SQLPort', 'Username', 'Password', 'ACRNemaMap', 'APIPort', 'APIAddress', 'DurableWrites', 'AuditSyslogHost', 'AuditSyslogProtocol', 'APIHttps', 'APICertificate', 'APIPrivateKey'];

const lower = (keys: string[]) => new Set(keys.map((k) => k.toLowerCase()));
const LISTENER = lower(LISTENER_KEYS);
const LIVE = lower(LIVE_KEYS);
const RESTART = lower(RESTART_KEYS);

export function settingEffect(key: string): SettingEffect {
  const k = canonicalKey(key).toLowerCase();
  if (LIVE.has(k) || /^export(converter|modality|callingae|calledae|sopclass|commitment)\d+$/.test(k)) return 'live';
  if (LISTENER.has(k)) return 'listener';
  if (RESTART.has(k) || /^magdevice\d+$/.test(k)) return 'restart';
  return 'unused';
}

/** The settings fields each effect governs (what a live apply or a listener restart copies from a new dicom.ini). */
export const LIVE_FIELDS = ['connectTimeout', 'dimseTimeout', 'logLevel', 'maxExportRetries', 'retryDelaySeconds', 'maxJobsPerNode', 'duplicatePolicy', 'nameMatching', 'incomingCompression', 'droppedFileCompression', 'dicomWebMaxResults', 'dicomWebCorsOrigins', 'maxQueryResults', 'jobHistoryDays', 'commitmentWaitSeconds', 'mppsForward', 'hl7DefaultCharset', 'magCleanThresholdMB', 'nightlyCleanThresholdMB', 'tlsNodes', 'sessionIdleMinutes', 'sessionMaxHours', 'maxUploadMB', 'auditRetentionDays', 'apiHostNames', 'exportRoots'] as const satisfies (keyof ServerSettings)[];
export const LISTENER_FIELDS = ['aeTitle', 'port', 'listenAddress', 'requireKnownCallingAe', 'acceptAnyCalledAe', 'maxPduLength', 'artimTimeout', 'idleTimeout', 'sopClassList', 'storageCommitment', 'mpps', 'hl7Listener', 'hl7Port', 'hl7AllowedSenders', 'hl7Tls', 'tlsPort', 'tlsCertificate', 'tlsPrivateKey', 'tlsCaCertificates', 'tlsRequireClientCertificate', 'plainDicom'] as const satisfies (keyof ServerSettings)[];

export function withFields(base: ServerSettings, from: ServerSettings, fields: readonly (keyof ServerSettings)[]): ServerSettings {
  const out = { ...base } as Record<keyof ServerSettings, unknown>;
  for (const f of fields) out[f] = from[f];
  return out as unknown as ServerSettings;
}
