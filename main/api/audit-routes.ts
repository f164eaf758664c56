import type { AuditFilter, AuditRecord, AuditStore } from '../audit/audit-record.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { findLocal } from './query-routes.ts';
import { HttpError, Streamed, type RouteDef, route } from './router.ts';
import { ENDPOINTS } from './endpoints.ts';

const CSV_COLUMNS: (keyof AuditRecord)[] = [
  'id',
  'at',
  'user',
  'source',
  'action',
  'outcome',
  'patientId',
  'studyUid',
  'detail',
];

/** The patients an audit filter names: by patient ID, or by name as the Studies screen searches ("dvorak" finds Dvořák). */
export interface AuditPatients {
  index: Pick<ArchiveIndex, 'queryArchive'>;
  names: ArchiveIndex['patientNames'];
}

/** At most this many patients match a name in one filter. */
const MAX_PATIENTS = 500;

async function patientsNamed(patients: AuditPatients, text: string): Promise<string[]> {
  const byId = await findLocal(patients.index, { level: 'PATIENT', keys: { PatientID: text } });
  if (byId.length) return [text];
  const byName = await findLocal(patients.index, {
    level: 'PATIENT',
    keys: { PatientName: `${text.replace(/\*+$/, '')}*`, PatientID: '' },
    limit: MAX_PATIENTS,
  });
  // An ID the archive no longer holds (a study deleted since) is still searched for as written.
  return [text, ...byName.map((p) => p.PatientID ?? '')];
}

function filterOf(q: URLSearchParams, defaultLimit: number): AuditFilter {
  const number = (name: string) => {
    const raw = q.get(name);
    if (raw === null || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new HttpError(400, `${name} must be a whole number above 0`);
    return n;
  };
  const date = (name: string) => {
    const raw = q.get(name) ?? '';
    if (raw && !/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(raw))
      throw new HttpError(400, `${name} must be a date (YYYY-MM-DD) or an ISO time`);
    return raw || undefined;
  };
  return {
    user: q.get('user') || undefined,
    action: q.get('action') || undefined,
    from: date('from'),
    to: date('to'),
    limit: number('limit') ?? defaultLimit,
    before: number('before'),
  };
}

/** A CSV field: quoted when it holds a separator, a quote or a line break; a leading =, +, - or @ made inert for spreadsheets. */
function csvField(value: unknown, sep: string): string {
  let text = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /["\r\n]/.test(text) || text.includes(sep) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The audit trail for admins: filtered (the patient by ID or by name: "who saw Dvořák's images this month" is one
 * filter), newest first, as JSON for the Audit screen with each patient's name, or as CSV to keep: UTF-8 with its byte
 * order mark, and with `sep=;` semicolons, as spreadsheets in languages that write decimals with a comma expect.
 */
export function auditRoutes(store: Pick<AuditStore, 'list'>, patients: AuditPatients): RouteDef[] {
  const list = async (q: URLSearchParams, defaultLimit: number) => {
    const patient = q.get('patient')?.trim();
    return store.list({
      ...filterOf(q, defaultLimit),
      patientIds: patient ? await patientsNamed(patients, patient) : undefined,
    });
  };
  return [
    route(ENDPOINTS.audit, async ({ url }) => {
      const records = await list(url.searchParams, 500);
      const names = new Map(
        (await patients.names([...new Set(records.map((r) => r.patientId).filter(Boolean))])).map((p) => [
          p.patientId,
          p.name,
        ]),
      );
      return records.map((r) => ({ ...r, patientName: names.get(r.patientId) ?? '' }));
    }),
    route(ENDPOINTS.auditCsv, async ({ url, audit }) => {
      const records = await list(url.searchParams, 100_000);
      const sep = url.searchParams.get('sep') === ';' ? ';' : ',';
      audit({ action: 'export', detail: `audit trail as CSV, ${records.length} records` });
      const line = (fields: unknown[]) => fields.map((f) => csvField(f, sep)).join(sep);
      const text =
        '\uFEFF' + [line(CSV_COLUMNS), ...records.map((r) => line(CSV_COLUMNS.map((c) => r[c])))].join('\r\n') + '\r\n';
      return new Streamed(async (res) => {
        res.writeHead(200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="audit.csv"',
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(text);
      });
    }),
  ];
}
