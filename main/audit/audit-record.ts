/** What the audit trail records: who did what, from where, to which patient's data, and how it ended. */
export const AUDIT_ACTIONS = [
  'login',
  'login-failed',
  'logout',
  'setup',
  'password-changed',
  'user-created',
  'user-changed',
  'user-deleted',
  'key-created',
  'key-revoked',
  'settings-changed',
  'nodes-changed',
  'association-accepted',
  'association-rejected',
  'query',
  'retrieve',
  'send',
  'import',
  'export',
  'delete',
  'edit',
  'view',
  'refused',
  'application-start',
  'application-stop',
  'converter-command',
  'storage-damaged',
  'storage-repaired',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = 'success' | 'refused' | 'failure';

export interface AuditEntry {
  /** ISO time; now when not given. */
  at?: string;
  /** The account, "local admin" for the desktop's secret, or the calling AE title for DICOM. */
  user: string;
  /** The client's address (HTTP) or "AE@address" (DICOM). */
  source: string;
  action: AuditAction;
  outcome?: AuditOutcome;
  patientId?: string;
  studyUid?: string;
  /** What else identifies the event: query keys, the key and its old and new values, the destination. */
  detail?: string;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
}

export interface AuditFilter {
  user?: string;
  patientId?: string;
  /** Any of these patients (a name searched for may be several). */
  patientIds?: string[];
  action?: string;
  /** ISO date or time bounds, inclusive. */
  from?: string;
  to?: string;
  limit?: number;
  /** Only records older than this id (paging back). */
  before?: number;
}

export interface AuditStore {
  append(entries: AuditEntry[]): Promise<void>;
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>;
  /** Delete records older than `before` (ISO); how many went. */
  purge(before: string): Promise<number>;
}
