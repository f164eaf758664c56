import type { AuditEntry, AuditFilter, AuditRecord, AuditStore } from '../audit/audit-record.ts';
import type { SqlEngine } from './sql-engine.ts';

const COLUMNS = ['at', 'user_name', 'source', 'action', 'outcome', 'patient_id', 'study_uid', 'detail'];

/** The audit trail in the index (migration 10), the same on every engine. */
export class SqlAuditStore implements AuditStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async append(entries: AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 200) {
      const chunk = entries.slice(i, i + 200);
      await this.engine.run(
        `INSERT INTO audit (${COLUMNS.join(', ')}) VALUES ${chunk.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')}`,
        chunk.flatMap((e) => [
          e.at ?? new Date().toISOString(),
          e.user,
          e.source,
          e.action,
          e.outcome ?? 'success',
          e.patientId ?? '',
          e.studyUid ?? '',
          e.detail ?? '',
        ]),
      );
    }
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (filter.user) add('user_name = ?', filter.user);
    if (filter.patientId) add('patient_id = ?', filter.patientId);
    if (filter.patientIds) {
      where.push(filter.patientIds.length ? `patient_id IN (${filter.patientIds.map(() => '?').join(', ')})` : '1 = 0');
      params.push(...filter.patientIds);
    }
    if (filter.action) add('action = ?', filter.action);
    if (filter.from) add('at >= ?', filter.from);
    // A date alone as the upper bound means the whole day.
    if (filter.to) add('at <= ?', /^\d{4}-\d{2}-\d{2}$/.test(filter.to) ? `${filter.to}T99` : filter.to);
    if (filter.before) add('id < ?', filter.before);
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 500)), 100_000);
    const rows = await this.engine.search<Record<string, unknown>>(
      `SELECT id, ${COLUMNS.join(', ')} FROM audit
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: String(r.at),
      user: String(r.user_name),
      source: String(r.source),
      action: String(r.action) as AuditRecord['action'],
      outcome: String(r.outcome) as AuditRecord['outcome'],
      patientId: String(r.patient_id),
      studyUid: String(r.study_uid),
      detail: String(r.detail ?? ''),
    }));
  }

  async purge(before: string): Promise<number> {
    return (await this.engine.run('DELETE FROM audit WHERE at < ?', [before])).changes;
  }
}
