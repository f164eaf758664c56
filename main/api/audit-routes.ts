import type { AuditFilter, AuditRecord, AuditStore } from '../audit/audit-record.ts';
import { HttpError, Streamed, type RouteDef } from './router.ts';

const CSV_COLUMNS: (keyof AuditRecord)[] = ['id', 'at', 'user', 'source', 'action', 'outcome', 'patientId', 'studyUid', 'detail'];

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
    if (raw && !/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(raw)) throw new HttpError(400, `${name} must be a date (YYYY-MM-DD) or an ISO time`);
    return raw || undefined;
  };
  return {
    user: q.get('user') || undefined, patientId: q.get('patient') || undefined, action: q.get('action') || undefined,
    from: date('from'), to: date('to'), limit: number('limit') ?? defaultLimit, before: number('before'),
  };
}

/** A CSV field: quoted when it holds a separator, a quote or a line break; a leading =, +, - or @ made inert for spreadsheets. */
function csvField(value: unknown): string {
  let text = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The audit trail for admins: filtered, newest first, as JSON for the Audit screen or CSV to keep. */
export function auditRoutes(store: Pick<AuditStore, 'list'>): RouteDef[] {
  return [
    { method: 'GET', path: '/api/audit', permission: 'audit', handler: async ({ url }) => store.list(filterOf(url.searchParams, 500)) },
    {
      method: 'GET', path: '/api/audit.csv', permission: 'audit',
      handler: async ({ url, audit }) => {
        const records = await store.list(filterOf(url.searchParams, 100_000));
        audit({ action: 'export', detail: `audit trail as CSV, ${records.length} records` });
        const text = [CSV_COLUMNS.join(','), ...records.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
        return new Streamed(async (res) => {
          res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="audit.csv"', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
          res.end(text);
        });
      },
    },
  ];
}
