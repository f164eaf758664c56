import type { Permission } from '../../common/roles.ts';
import type {
  AutomationDto,
  ConverterCheckDto,
  CheckedKind,
  ConverterSaveDto,
  ConverterTryDto,
} from './automation-dto.ts';
import type {
  ActivitySnapshot,
  AnnotationDto,
  ApiKeyDto,
  AuditDto,
  DeletionDto,
  EchoResult,
  FindAnswer,
  IndexKeyDto,
  FindRequest,
  HeaderRow,
  ImportResult,
  JobDto,
  LinkTokenDto,
  ListenerRestarted,
  MediaSetSummaryDto,
  MppsDto,
  NewApiKeyDto,
  NewWorklistEntryDto,
  NodeAccessDto,
  NodeDto,
  PatientNamesDto,
  PresentationStateSummary,
  RetrieveRequest,
  SendRequest,
  SessionDto,
  SettingsDto,
  SettingsSaved,
  SignInLinkDto,
  StatusDto,
  BackupStateDto,
  VerificationDto,
  LogFileDto,
  StructuredReport,
  StudyDeleted,
  UserDto,
  WebNodeDto,
  WorklistEntryDto,
} from './contract.ts';

/**
 * Every route of the API the UI and scripts call, declared once: method, path (":name" for a parameter), the
 * permission it asks (common/roles.ts), and the types of its request body and answer. The server's routes are built
 * on these (router.ts `route()`: a handler that answers another type fails the typecheck) and the renderer calls them
 * with `api(ENDPOINTS.x, ...)` (renderer/src/api.ts: the body and answer types come from here). DICOMweb's routes follow
 * its standard and live in dicomweb-routes.ts.
 */

/** What a route asks of its caller: a permission of their role, only to be signed in, or nothing (login, set-up). */
export type RouteAccess = Permission | 'signed-in' | 'public';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Endpoint<Req, Res> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly permission: RouteAccess;
  /** Types only (never set): the request body and the answer. */
  readonly types?: { request: Req; response: Res };
}

export type RequestOf<E> = E extends Endpoint<infer Req, unknown> ? Req : never;
export type ResponseOf<E> = E extends Endpoint<unknown, infer Res> ? Res : never;

function ep<Req = undefined, Res = unknown>(
  method: HttpMethod,
  path: string,
  permission: RouteAccess,
): Endpoint<Req, Res> {
  return { method, path, permission };
}

/** The address of an endpoint with its parameters filled in (encoded) and a query string, if any. */
export function pathOf(
  endpoint: Pick<Endpoint<unknown, unknown>, 'path'>,
  params: readonly (string | number)[] = [],
  query?: Record<string, string>,
): string {
  let i = 0;
  const path = endpoint.path.replace(/:\w+/g, (name) => {
    if (i >= params.length) throw new Error(`${endpoint.path} needs ${name}`);
    return encodeURIComponent(String(params[i++]));
  });
  if (i !== params.length) throw new Error(`${endpoint.path} takes ${i} parameter(s), not ${params.length}`);
  const q = query ? new URLSearchParams(query).toString() : '';
  return q ? `${path}?${q}` : path;
}

type Credentials = { name: string; password: string; bearer?: boolean };
type Done<K extends string> = { [key in K]: boolean };
type Removed<T = string> = { removed: T };

export const ENDPOINTS = {
  // Who may call: sessions, accounts, keys, link tokens (account-routes.ts, link-routes.ts).
  session: ep<undefined, SessionDto>('GET', '/api/session', 'public'),
  login: ep<Credentials, Omit<SessionDto, 'needsSetup' | 'local'>>('POST', '/api/login', 'public'),
  setup: ep<Credentials & { token: string }, Omit<SessionDto, 'needsSetup' | 'local'>>('POST', '/api/setup', 'public'),
  logout: ep<undefined, Done<'loggedOut'>>('POST', '/api/logout', 'signed-in'),
  password: ep<{ current: string; next: string }, Done<'changed'>>('POST', '/api/password', 'signed-in'),
  users: ep<undefined, UserDto[]>('GET', '/api/users', 'users'),
  addUser: ep<{ name: string; role: string; password: string }, UserDto>('POST', '/api/users', 'users'),
  user: ep<{ role?: string; password?: string; disabled?: boolean }, UserDto>('PUT', '/api/users/:name', 'users'),
  deleteUser: ep<undefined, Removed>('DELETE', '/api/users/:name', 'users'),
  keys: ep<undefined, ApiKeyDto[]>('GET', '/api/keys', 'users'),
  addKey: ep<{ name: string; role: string }, NewApiKeyDto>('POST', '/api/keys', 'users'),
  deleteKey: ep<undefined, Removed>('DELETE', '/api/keys/:name', 'users'),
  linkToken: ep<{ path: string }, LinkTokenDto>('POST', '/api/link-token', 'signed-in'),
  signInLink: ep<undefined, SignInLinkDto>('POST', '/api/sign-in-link', 'signed-in'),
  signIn: ep<{ code: string }, Done<'signedIn'>>('POST', '/api/sign-in', 'public'),
  rotateSecret: ep<undefined, Done<'rotated'>>('POST', '/api/rotate-secret', 'signed-in'),
  // The local archive (archive-routes.ts, presentation-routes.ts).
  studies: ep<FindRequest, FindAnswer[]>('POST', '/api/find', 'view'),
  priors: ep<undefined, FindAnswer[]>('GET', '/api/studies/:uid/priors', 'view'),
  indexKeys: ep<undefined, IndexKeyDto[]>('GET', '/api/index-keys', 'view'),
  // Virtual servers (features/virtual-servers.ts): the studies here that were fetched through this archive, by upstream.
  cachedStudies: ep<{ studyUids: string[] }, Record<string, string>>('POST', '/api/cached-studies', 'view'),
  objectHeader: ep<undefined, HeaderRow[]>('GET', '/api/objects/:uid/header', 'view'),
  objectReport: ep<undefined, StructuredReport>('GET', '/api/objects/:uid/report', 'view'),
  wado: ep<undefined, Blob>('GET', '/wado', 'view'),
  studyThumbnail: ep<undefined, Blob>('GET', '/api/studies/:uid/thumbnail', 'view'),
  study: ep<undefined, StudyDeleted>('DELETE', '/api/studies/:uid', 'delete'),
  studyProtection: ep<{ protected: boolean }, { protected: boolean }>('PUT', '/api/studies/:uid/protection', 'delete'),
  protectedStudies: ep<undefined, string[]>('GET', '/api/protected-studies', 'view'),
  deletions: ep<undefined, DeletionDto[]>('GET', '/api/deletions', 'view'),
  importFile: ep<Blob, ImportResult>('POST', '/api/import', 'edit'),
  annotations: ep<undefined, { annotations: AnnotationDto[] }>('GET', '/api/studies/:uid/annotations', 'view'),
  saveAnnotations: ep<{ annotations: AnnotationDto[] }, PresentationStateSummary>(
    'POST',
    '/api/studies/:uid/annotations',
    'edit',
  ),
  // Corrections (edit-routes.ts).
  editPatient: ep<{ patientId: string; changes: Record<string, string> }, JobDto>('POST', '/api/edit/patient', 'edit'),
  editStudy: ep<{ studyUid: string; changes: Record<string, string> }, JobDto>('POST', '/api/edit/study', 'edit'),
  reconcileName: ep<{ patientId: string; patientName: string }, JobDto>('POST', '/api/edit/reconcile-name', 'edit'),
  mergePatients: ep<{ from: string; into: string }, JobDto>('POST', '/api/edit/merge-patients', 'edit'),
  mergeStudies: ep<{ from: string; into: string }, JobDto>('POST', '/api/edit/merge-studies', 'edit'),
  moveSeries: ep<{ seriesUid: string; into: string }, JobDto>('POST', '/api/edit/move-series', 'edit'),
  destinations: ep<undefined, string[]>('GET', '/api/studies/:uid/destinations', 'view'),
  patientNames: ep<{ patientIds: string[] }, PatientNamesDto[]>('POST', '/api/patient-names', 'view'),
  // Media export and anonymised copies (export-routes.ts).
  export: ep<undefined, Blob>('GET', '/api/export', 'transfer'),
  exportTo: ep<{ level: string; uid: string; to: string; anonymize?: boolean }, MediaSetSummaryDto>(
    'POST',
    '/api/export',
    'transfer',
  ),
  anonymize: ep<
    { level: string; uid: string; options?: Record<string, unknown> },
    { patientId: string; patientName: string; objects: number; warnings?: string[] }
  >('POST', '/api/anonymize', 'edit'),
  // Jobs, sends and retrieves (job-routes.ts).
  jobs: ep<undefined, JobDto[]>('GET', '/api/jobs', 'view'),
  cancelJob: ep<undefined, JobDto>('POST', '/api/jobs/:id/cancel', 'transfer'),
  retryJob: ep<undefined, JobDto>('POST', '/api/jobs/:id/retry', 'transfer'),
  send: ep<SendRequest, JobDto>('POST', '/api/send', 'transfer'),
  retrieve: ep<RetrieveRequest, JobDto>('POST', '/api/retrieve', 'transfer'),
  // Nodes (node-routes.ts).
  nodes: ep<undefined, NodeDto[]>('GET', '/api/nodes', 'view'),
  addNode: ep<Omit<NodeDto, 'access'> & { access?: Omit<NodeAccessDto, 'own'> }, NodeDto>(
    'POST',
    '/api/nodes',
    'configure',
  ),
  node: ep<undefined, Removed>('DELETE', '/api/nodes/:ae', 'configure'),
  echo: ep<undefined, EchoResult>('POST', '/api/nodes/:ae/echo', 'transfer'),
  remoteFind: ep<FindRequest, FindAnswer[]>('POST', '/api/nodes/:ae/find', 'transfer'),
  webNodes: ep<undefined, WebNodeDto[]>('GET', '/api/web-nodes', 'view'),
  addWebNode: ep<{ name: string; url: string; auth?: string }, WebNodeDto>('POST', '/api/web-nodes', 'configure'),
  webNode: ep<undefined, Removed>('DELETE', '/api/web-nodes/:name', 'configure'),
  // Settings and the program (settings-routes.ts, status-routes.ts).
  settings: ep<undefined, SettingsDto>('GET', '/api/settings', 'configure'),
  saveSettings: ep<{ text: string }, SettingsSaved>('PUT', '/api/settings', 'configure'),
  shutdown: ep<undefined, Done<'stopping'>>('POST', '/api/shutdown', 'configure'),
  restartListener: ep<undefined, ListenerRestarted>('POST', '/api/listener/restart', 'configure'),
  status: ep<undefined, StatusDto>('GET', '/api/status', 'view'),
  /** Prometheus' text format (features/metrics.ts): this computer, or a scraper with MetricsToken. */
  metrics: ep<undefined, string>('GET', '/metrics', 'public'),
  /** The scheduled backup's state, and a backup now (features/backups.ts). */
  backup: ep<undefined, BackupStateDto>('GET', '/api/backup', 'view'),
  backupNow: ep<undefined, BackupStateDto>('POST', '/api/backup', 'configure'),
  /** A study's files moved to another storage folder; every study moved off one (features/storage-moves.ts). */
  moveStudyFiles: ep<{ device: number }, JobDto>('POST', '/api/studies/:uid/storage', 'configure'),
  emptyStorage: ep<{ to: number }, { jobs: number; studies: number; bytes: number }>(
    'POST',
    '/api/storage/:device/empty',
    'configure',
  ),
  /** VerifyStorage: the last run, the one running, the problems found; a run now; repairs (features/verification.ts). */
  verification: ep<undefined, VerificationDto>('GET', '/api/verification', 'view'),
  verifyNow: ep<undefined, VerificationDto>('POST', '/api/verification', 'configure'),
  repairObjects: ep<{ sopInstanceUids?: string[] }, VerificationDto>('POST', '/api/verification/repair', 'configure'),
  /** The log files in DATA/logs, newest first, and one of them as text (features/log-files.ts). */
  logFiles: ep<undefined, LogFileDto[]>('GET', '/api/logs', 'configure'),
  logFile: ep<undefined, Blob>('GET', '/api/log-file', 'configure'),
  activity: ep<undefined, ActivitySnapshot>('GET', '/api/activity', 'view'),
  // Converters: Conquest's automation (automation-routes.ts).
  automation: ep<undefined, AutomationDto>('GET', '/api/automation', 'configure'),
  checkConverter: ep<{ kind: CheckedKind; text: string }, ConverterCheckDto>(
    'POST',
    '/api/automation/check',
    'configure',
  ),
  saveConverter: ep<ConverterSaveDto, AutomationDto>('PUT', '/api/automation/:key', 'configure'),
  tryConverters: ep<{ sopInstanceUid?: string; studyInstanceUid?: string }, ConverterTryDto>(
    'POST',
    '/api/automation/try',
    'configure',
  ),
  tryConvertersOnFile: ep<Blob, ConverterTryDto>('POST', '/api/automation/try-file', 'configure'),
  // The worklist and performed steps (worklist-routes.ts).
  worklist: ep<undefined, WorklistEntryDto[]>('GET', '/api/worklist', 'view'),
  mpps: ep<undefined, MppsDto[]>('GET', '/api/mpps', 'view'),
  addWorklistEntry: ep<NewWorklistEntryDto, WorklistEntryDto>('POST', '/api/worklist', 'edit'),
  worklistEntry: ep<NewWorklistEntryDto, WorklistEntryDto>('PUT', '/api/worklist/:id', 'edit'),
  deleteWorklistEntry: ep<undefined, Removed<number>>('DELETE', '/api/worklist/:id', 'edit'),
  // The audit trail (audit-routes.ts).
  audit: ep<undefined, AuditDto[]>('GET', '/api/audit', 'audit'),
  auditCsv: ep<undefined, Blob>('GET', '/api/audit.csv', 'audit'),
  /** The live event stream (a WebSocket upgrade; http-api.ts). */
  events: ep<undefined, never>('GET', '/api/events', 'view'),
} as const;

export type EndpointName = keyof typeof ENDPOINTS;
