import type { DimseService } from '../protocol/services/registry.ts';
import { commandName } from '../protocol/command.ts';
import { Status } from '../dicom/status.ts';
import {
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  MPPS_SOP_CLASS,
  QrSopClass,
  STORAGE_COMMITMENT_SOP_CLASS,
  TransferSyntax,
  VERIFICATION_SOP_CLASS,
} from '../../common/uids.ts';

/**
 * The DICOM conformance statement (PS3.2's layout: overview, networking with its AE specification, media, character
 * sets, security, and an IHE integration statement), written from what the running code says: the SCP services
 * registered by the features (and which accepted SOP class each answers), dgatesop.lst's SOP classes and transfer
 * syntaxes, the codecs' decode and encode sets, the character sets the decoder reads, and the status codes. `cli.ts
 * conformance` prints it; docs/conformance.md is its output, and a test fails when the two disagree.
 */

export interface ConformanceFacts {
  aeTitle: string;
  maxPduLength: number;
  /** The DIMSE services this archive answers as SCP (the features' registry). */
  services: readonly DimseService[];
  /** SOP classes accepted (dgatesop.lst, and the N-service classes features add), with their names. */
  sopClasses: ReadonlyMap<string, string>;
  /** Transfer syntaxes accepted (dgatesop.lst), in its order. */
  transferSyntaxes: readonly string[];
  decodable: ReadonlySet<string>;
  encodable: ReadonlySet<string>;
  characterSets: readonly string[];
}

/** PS3.6 Table A-1's names of the transfer syntaxes dgatesop.lst may list. */
const SYNTAX_NAMES: Record<string, string> = {
  [TransferSyntax.ImplicitLittleEndian]: 'Implicit VR Little Endian',
  [TransferSyntax.ExplicitLittleEndian]: 'Explicit VR Little Endian',
  [TransferSyntax.DeflatedExplicitLittleEndian]: 'Deflated Explicit VR Little Endian',
  [TransferSyntax.ExplicitBigEndian]: 'Explicit VR Big Endian (retired)',
  [TransferSyntax.JpegBaseline]: 'JPEG Baseline (Process 1)',
  [TransferSyntax.JpegExtended]: 'JPEG Extended (Process 2 & 4)',
  [TransferSyntax.JpegLossless]: 'JPEG Lossless, Non-Hierarchical (Process 14)',
  [TransferSyntax.JpegLosslessSV1]: 'JPEG Lossless, First-Order Prediction (Process 14, SV1)',
  [TransferSyntax.JpegLsLossless]: 'JPEG-LS Lossless',
  [TransferSyntax.JpegLsNearLossless]: 'JPEG-LS Lossy (Near-Lossless)',
  [TransferSyntax.Jpeg2000Lossless]: 'JPEG 2000 (Lossless Only)',
  [TransferSyntax.Jpeg2000]: 'JPEG 2000',
  [TransferSyntax.HtJpeg2000Lossless]: 'High-Throughput JPEG 2000 (Lossless Only)',
  [TransferSyntax.HtJpeg2000LosslessRpcl]: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)',
  [TransferSyntax.HtJpeg2000]: 'High-Throughput JPEG 2000',
  [TransferSyntax.Rle]: 'RLE Lossless',
  [TransferSyntax.Mpeg2MainProfileMainLevel]: 'MPEG2 Main Profile / Main Level (stored and sent as is)',
  [TransferSyntax.Mpeg2MainProfileHighLevel]: 'MPEG2 Main Profile / High Level (stored and sent as is)',
  [TransferSyntax.Mpeg4AvcH264HighProfile]: 'MPEG-4 AVC/H.264 High Profile / Level 4.1 (stored and sent as is)',
  [TransferSyntax.Mpeg4AvcH264BdCompatibleHighProfile]:
    'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1 (stored and sent as is)',
};

/** What this archive asks of other nodes (SCU), by SOP class: the client's operations (main/scu/). */
const SCU_CLASSES: { uid: string; name: string; what: string }[] = [
  { uid: VERIFICATION_SOP_CLASS, name: 'Verification', what: 'C-ECHO of a node (Nodes screen)' },
  { uid: '(every accepted storage class)', name: 'Storage', what: 'forwards, sends, C-MOVE sub-operations' },
  { uid: QrSopClass.PatientRootFind, name: 'Patient Root Q/R FIND', what: 'Query/Retrieve screen' },
  { uid: QrSopClass.StudyRootFind, name: 'Study Root Q/R FIND', what: 'Query/Retrieve screen, converters' },
  { uid: QrSopClass.StudyRootMove, name: 'Study Root Q/R MOVE', what: 'retrieve jobs, prefetch' },
  { uid: QrSopClass.StudyRootGet, name: 'Study Root Q/R GET', what: 'retrieve jobs (C-GET)' },
  { uid: STORAGE_COMMITMENT_SOP_CLASS, name: 'Storage Commitment Push Model', what: 'after forwards that ask it' },
  { uid: MPPS_SOP_CLASS, name: 'Modality Performed Procedure Step', what: 'MPPS forwarding' },
];

export function conformanceStatement(f: ConformanceFacts): string {
  const out: string[] = [];
  const line = (text = '') => out.push(text);
  const table = (head: string[], rows: string[][]) => {
    line(`| ${head.join(' | ')} |`);
    line(`|${head.map(() => '---').join('|')}|`);
    for (const r of rows) line(`| ${r.join(' | ')} |`);
    line();
  };
  const scp = scpTable(f);
  const storage = scp.filter((r) => r.service === 'Storage SCP');
  const other = scp.filter((r) => r.service !== 'Storage SCP');

  line('# DICOM Conformance Statement: PACS Workstation');
  line();
  line(
    `Implementation Class UID \`${IMPLEMENTATION_CLASS_UID}\`, Implementation Version Name \`${IMPLEMENTATION_VERSION_NAME}\`. ` +
      'Generated from the running code by `node main/cli.ts conformance` (the SCP services its features register, ' +
      'config/dgatesop.lst, its codecs and character sets); `test/interop/conformance.test.ts` fails when this file ' +
      'and the code disagree. Edit the generator (`main/conformance/statement.ts`), not this file.',
  );
  line();
  line('## 1 Overview');
  line();
  line(
    'A DICOM archive with its own viewer: it stores what modalities send, answers queries and retrieves (C-FIND, ' +
      'C-MOVE, C-GET), the modality worklist, Storage Commitment and MPPS, and queries, retrieves and forwards to ' +
      'other nodes. Network services:',
  );
  line();
  table(
    ['SOP classes', 'User of service (SCU)', 'Provider of service (SCP)'],
    [
      ['Verification', 'Yes', yes(other, VERIFICATION_SOP_CLASS)],
      [`Storage (${storage.length} classes, section 2.2.1)`, 'Yes', storage.length ? 'Yes' : 'No'],
      ['Patient Root Q/R FIND, MOVE, GET', 'Yes', yes(other, QrSopClass.PatientRootFind)],
      ['Study Root Q/R FIND, MOVE, GET', 'Yes', yes(other, QrSopClass.StudyRootFind)],
      ['Modality Worklist FIND', 'No', yes(other, QrSopClass.ModalityWorklistFind)],
      ['Storage Commitment Push Model', 'Yes', yes(other, STORAGE_COMMITMENT_SOP_CLASS)],
      ['Modality Performed Procedure Step', 'Yes', yes(other, MPPS_SOP_CLASS)],
    ],
  );
  line('Media: it creates media sets with a DICOMDIR (File-set Creator, STD-GEN-CD and USB/folder) and reads them.');
  line();
  line('## 2 Networking');
  line();
  line('### 2.1 Implementation model');
  line();
  line(
    `One Application Entity, \`${f.aeTitle}\` by default (\`MyACRNema\` in dicom.ini), listens on the DICOM port ` +
      '(`TCPPort`, and `TLSPort` for DICOM TLS) and answers every service of section 2.2.1 as SCP; the same AE ' +
      'title calls other nodes (acrnema.map) for the services of section 2.2.2: queries and retrieves asked from the ' +
      'UI or by converters, sends and forwards as jobs that survive restarts, C-MOVE sub-operations, Storage ' +
      'Commitment requests and reports, MPPS forwarding. Objects received are written to disk and indexed before the ' +
      'C-STORE response is sent (durably with `DurableWrites = 1`).',
  );
  line();
  line('### 2.2 AE specification');
  line();
  line('#### 2.2.1 SOP classes as SCP');
  line();
  table(
    ['SOP class', 'UID', 'Service', 'Commands'],
    other.map((r) => [r.name, `\`${r.uid}\``, r.service, r.commands]),
  );
  line(
    `Storage SCP, ${storage.length} classes (each also retrievable by C-MOVE and C-GET, whose sub-operations ` +
      'send them as SCU):',
  );
  line();
  table(
    ['SOP class', 'UID'],
    storage.map((r) => [r.name, `\`${r.uid}\``]),
  );
  line('#### 2.2.2 SOP classes as SCU');
  line();
  table(
    ['SOP class', 'UID', 'Used for'],
    SCU_CLASSES.map((c) => [c.name, c.uid.startsWith('(') ? c.uid : `\`${c.uid}\``, c.what]),
  );
  line('#### 2.2.3 Association policies');
  line();
  line(`- Application context name \`1.2.840.10008.3.1.1.1\`.`);
  line(
    `- Maximum PDU size received: ${f.maxPduLength} bytes by default (\`MaxPDULength\`); PDUs sent are no larger than the peer's maximum.`,
  );
  line(
    '- Acceptance: any calling AE title, or only the nodes of acrnema.map and their addresses where noderights.map says so; ' +
      'the called AE title must be ours unless any is allowed. Each presentation context is accepted with the first ' +
      "transfer syntax of the requestor's list that is accepted here (objects are stored as sent); C-GET's storage " +
      'sub-operations need the SCP role offered in role selection (PS3.7 D.3.3.4).',
  );
  line(
    '- Initiation: one association per job and destination (ForwardAssociationLevel groups them), proposing each ' +
      "object's own transfer syntax and, where the node asks for another (acrnema.map compression), that one; an " +
      'object no accepted context can carry is converted with the codecs of section 2.2.4.',
  );
  line('- Asynchronous operations window: not negotiated (one operation at a time per association).');
  line();
  line('#### 2.2.4 Transfer syntaxes');
  line();
  table(
    ['Transfer syntax', 'UID', 'Accepted', 'Decoded', 'Encoded'],
    f.transferSyntaxes.map((uid) => [
      SYNTAX_NAMES[uid] ?? uid,
      `\`${uid}\``,
      'Yes',
      uncompressed(uid) || f.decodable.has(uid) ? 'Yes' : 'No',
      uncompressed(uid) || f.encodable.has(uid) ? 'Yes' : 'No',
    ]),
  );
  line('#### 2.2.5 Status codes');
  line();
  line('Responses use the standard status codes of PS3.4 and PS3.7; those this archive sends:');
  line();
  table(
    ['Status', 'Code'],
    Object.entries(Status)
      .filter(([, code], i, all) => all.findIndex(([, c]) => c === code) === i)
      .map(([name, code]) => [
        name.replace(/([a-z])([A-Z])/g, '$1 $2'),
        `\`${code.toString(16).padStart(4, '0').toUpperCase()}\``,
      ]),
  );
  line('### 2.3 Network interfaces');
  line();
  line(
    'TCP/IP (IPv4 and IPv6), on the address `ListenAddress`; DICOM TLS (PS3.15 B.1, TLS 1.2 or later as BCP 195 asks) ' +
      'on `TLSPort` and for the nodes of `TLSNodes`.',
  );
  line();
  line('## 3 Media interchange');
  line();
  line(
    'File-set Creator and Reader: a patient, study or series exported as a media set with its DICOMDIR into a folder ' +
      '(USB stick), a ZIP or an ISO 9660 image (STD-GEN-CD); CDs, folders and ZIPs imported through their DICOMDIR.',
  );
  line();
  line('## 4 Character sets');
  line();
  line(
    `Read (decoded for matching, display and the index): ${f.characterSets.map((c) => `\`${c}\``).join(', ')}, and the ` +
      "ISO 2022 multi-byte sets by their escape sequences. Values written by an edit stay in the object's set when they " +
      'fit, else the object is written again in UTF-8 (`ISO_IR 192`).',
  );
  line();
  line('## 5 Security');
  line();
  line(
    '- DICOM TLS (PS3.15 B.1); per-node rights (noderights.map): which services a calling AE may use and where its ' +
      'C-MOVEs may go.',
  );
  line(
    '- Audit trail of logins, queries, retrieves, exports, edits and deletions, sent as ATNA (RFC 3881/DICOM PS3.15 A.5) syslog.',
  );
  line('- The UI and API over HTTPS with accounts and roles.');
  line();
  line('## 6 IHE integration statement');
  line();
  table(
    ['Profile', 'Actor', 'Supported'],
    [
      ['Scheduled Workflow (SWF.b)', 'Image Manager/Archive', 'Yes: storage, Storage Commitment, MPPS, Q/R, worklist'],
      ['Patient Information Reconciliation (PIR)', 'Image Manager/Archive', 'Yes: HL7 ADT updates and merges'],
      ['Audit Trail and Node Authentication (ATNA)', 'Secure Node', 'Yes: TLS and ATNA syslog'],
      ['Consistent Presentation of Images (CPI)', 'Image Manager/Archive', 'Partly: GSPS stored and retrieved'],
      ['Portable Data for Imaging (PDI)', 'Portable Media Creator, Importer', 'Yes'],
      ['Imaging Object Change Management (IOCM)', 'Image Manager/Archive', 'No'],
    ],
  );
  return `${out.join('\n').trimEnd()}\n`;
}

interface ScpRow {
  uid: string;
  name: string;
  service: string;
  commands: string;
}

/** Each accepted SOP class with the SCP services that answer it (a class no service answers is left out). */
function scpTable(f: ConformanceFacts): ScpRow[] {
  const rows: ScpRow[] = [];
  for (const [uid, name] of f.sopClasses) {
    for (const s of f.services) {
      // A service of ours in the SCU role (a Storage Commitment report coming back) is not one we provide.
      if (s.name.endsWith(' SCU')) continue;
      const answers = typeof s.sopClasses === 'function' ? s.sopClasses(uid) : s.sopClasses.includes(uid);
      if (!answers) continue;
      rows.push({
        uid,
        name: words(name),
        service: s.name,
        commands: s.commands.map((c) => commandName(c).replace(/-RQ$/, '')).join(', '),
      });
    }
  }
  return rows;
}

/** A dgatesop.lst name in words: CTImageStorage -> CT Image Storage. */
function words(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
}

function yes(rows: readonly ScpRow[], uid: string): string {
  return rows.some((r) => r.uid === uid) ? 'Yes' : 'No';
}

function uncompressed(uid: string): boolean {
  return (
    uid === TransferSyntax.ImplicitLittleEndian ||
    uid === TransferSyntax.ExplicitLittleEndian ||
    uid === TransferSyntax.ExplicitBigEndian
  );
}
