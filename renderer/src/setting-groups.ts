/** The settings screen's groups of dicom.ini keys, in the order shown; every key the core reads is in one (a test checks). */
export const SETTING_GROUPS: [string, string[]][] = [
  ['This archive on the network', ['MyACRNema', 'TCPPort', 'ListenAddress', 'AcceptAnyCalledAE', 'RequireKnownCallingAE', 'MaxPDULength', 'ARTIMTimeout', 'IdleTimeout', 'NameMatching', 'MaxQueryResults']],
  ['Storage', ['MAGDevices', 'MAGDeviceFullThreshold', 'MAGDeviceThreshold', 'NightlyCleanThreshold', 'FileNameSyntax', 'DuplicatePolicy', 'IncomingCompression', 'DroppedFileCompression', 'DurableWrites']],
  ['Index database', ['SqLite', 'MySQL', 'SQLServer', 'SQLHost', 'SQLPort', 'Username', 'Password']],
  ['Sending and retrieving', ['ConnectTimeout', 'DIMSETimeout', 'MaximumExportRetries', 'RetryDelay', 'MaxJobsPerNode', 'JobHistoryDays']],
  ['DICOM TLS', ['TLSPort', 'TLSCertificate', 'TLSPrivateKey', 'TLSCACertificates', 'TLSRequireClientCertificate', 'PlainDICOM', 'TLSNodes']],
  ['Hospital workflow: storage commitment, MPPS, HL7', ['StorageCommitment', 'CommitmentWaitSeconds', 'MPPS', 'MPPSForward', 'HL7Listener', 'HL7Port', 'HL7AllowedSenders', 'HL7TLS', 'HL7DefaultCharset']],
  ['Users, HTTPS and audit', ['APIHttps', 'APIHostNames', 'APICertificate', 'APIPrivateKey', 'SessionIdleMinutes', 'SessionMaxHours', 'AuditRetentionDays', 'AuditSyslogHost', 'AuditSyslogProtocol']],
  ['Files, API, DICOMweb and log', ['ACRNemaMap', 'SOPClassList', 'APIPort', 'APIAddress', 'MaxUploadMB', 'ExportRoots', 'DicomWebMaxResults', 'DicomWebCorsOrigins', 'LogLevel']],
];
