import type { AuditAction, AuditEntry } from './audit-record.ts';

/**
 * An audit record as a DICOM audit message (PS3.15 A.5, the IHE ATNA schema): the event by its DCM code (PS3.16
 * CID 400-403), who asked (with their address), this archive as the audit source, and the patient and study concerned.
 */

interface EventCodes {
  id: [string, string];
  type?: [string, string];
  /** C create, R read, U update, D delete, E execute (PS3.15 A.5.1). */
  action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const EVENTS: Record<AuditAction, EventCodes> = {
  login: { id: ['110114', 'User Authentication'], type: ['110122', 'Login'], action: 'E' },
  'login-failed': { id: ['110114', 'User Authentication'], type: ['110122', 'Login'], action: 'E' },
  logout: { id: ['110114', 'User Authentication'], type: ['110123', 'Logout'], action: 'E' },
  setup: { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'password-changed': {
    id: ['110113', 'Security Alert'],
    type: ['110137', 'User Security Attributes Changed'],
    action: 'E',
  },
  'user-created': { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'user-changed': { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'user-deleted': { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'key-created': { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'key-revoked': { id: ['110113', 'Security Alert'], type: ['110136', 'Security Roles Changed'], action: 'E' },
  'settings-changed': { id: ['110113', 'Security Alert'], type: ['110129', 'Security Configuration'], action: 'E' },
  'nodes-changed': { id: ['110113', 'Security Alert'], type: ['110128', 'Network Configuration'], action: 'E' },
  'association-accepted': { id: ['110113', 'Security Alert'], type: ['110126', 'Node Authentication'], action: 'E' },
  'association-rejected': { id: ['110113', 'Security Alert'], type: ['110126', 'Node Authentication'], action: 'E' },
  query: { id: ['110112', 'Query'], action: 'E' },
  retrieve: { id: ['110104', 'DICOM Instances Transferred'], action: 'R' },
  send: { id: ['110104', 'DICOM Instances Transferred'], action: 'R' },
  import: { id: ['110107', 'Import'], action: 'C' },
  export: { id: ['110106', 'Export'], action: 'R' },
  delete: { id: ['110105', 'DICOM Study Deleted'], action: 'D' },
  edit: { id: ['110103', 'DICOM Instances Accessed'], action: 'U' },
  view: { id: ['110103', 'DICOM Instances Accessed'], action: 'R' },
  refused: { id: ['110113', 'Security Alert'], type: ['110132', 'Use of Restricted Function'], action: 'E' },
  'application-start': { id: ['110100', 'Application Activity'], type: ['110120', 'Application Start'], action: 'E' },
  'application-stop': { id: ['110100', 'Application Activity'], type: ['110121', 'Application Stop'], action: 'E' },
  'converter-command': {
    id: ['110113', 'Security Alert'],
    type: ['110132', 'Use of Restricted Function'],
    action: 'E',
  },
  // VerifyStorage read an object back and found it changed or gone; a good copy replaced it.
  'storage-damaged': { id: ['110103', 'DICOM Instances Accessed'], action: 'R' },
  'storage-repaired': { id: ['110103', 'DICOM Instances Accessed'], action: 'U' },
};

/** PS3.15 A.5.1: 0 success, 4 minor failure (refused), 8 serious failure. */
const OUTCOME = { success: '0', refused: '4', failure: '8' } as const;

function attr(value: string): string {
  return (
    value
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 allows no control characters but tab, line feed and carriage return.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

const code = (element: string, [value, text]: [string, string], system = 'DCM') =>
  `<${element} csd-code="${value}" codeSystemName="${system}" originalText="${attr(text)}"/>`;

export function atnaMessage(e: AuditEntry, auditSourceId: string): string {
  const event = EVENTS[e.action];
  const address = e.source.includes('@') ? e.source.split('@').pop()! : e.source;
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<AuditMessage>',
    `<EventIdentification EventActionCode="${event.action}" EventDateTime="${attr(e.at ?? new Date().toISOString())}" EventOutcomeIndicator="${OUTCOME[e.outcome ?? 'success']}">`,
    code('EventID', event.id),
    ...(event.type ? [code('EventTypeCode', event.type)] : []),
    '</EventIdentification>',
    `<ActiveParticipant UserID="${attr(e.user || '-')}" UserIsRequestor="true"${address ? ` NetworkAccessPointID="${attr(address)}" NetworkAccessPointTypeCode="2"` : ''}/>`,
    `<ActiveParticipant UserID="${attr(auditSourceId)}" UserIsRequestor="false"/>`,
    `<AuditSourceIdentification AuditSourceID="${attr(auditSourceId)}"/>`,
    ...(e.patientId
      ? [
          `<ParticipantObjectIdentification ParticipantObjectID="${attr(e.patientId)}" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">`,
          code('ParticipantObjectIDTypeCode', ['2', 'Patient Number'], 'RFC-3881'),
          '</ParticipantObjectIdentification>',
        ]
      : []),
    ...(e.studyUid
      ? [
          `<ParticipantObjectIdentification ParticipantObjectID="${attr(e.studyUid)}" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">`,
          code('ParticipantObjectIDTypeCode', ['110180', 'Study Instance UID']),
          ...(e.detail
            ? [`<ParticipantObjectDetail type="Description" value="${Buffer.from(e.detail).toString('base64')}"/>`]
            : []),
          '</ParticipantObjectIdentification>',
        ]
      : []),
    ...(!e.studyUid && e.detail
      ? [
          `<ParticipantObjectIdentification ParticipantObjectID="${attr(e.action)}" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="13">`,
          code('ParticipantObjectIDTypeCode', ['110182', 'Node ID']),
          `<ParticipantObjectDetail type="Description" value="${Buffer.from(e.detail).toString('base64')}"/>`,
          '</ParticipantObjectIdentification>',
        ]
      : []),
    '</AuditMessage>',
  ];
  return parts.join('');
}
