import type { InstanceRecord, ReplacedInstance } from './archive-index.ts';
import { foldName } from '../query/name-fold.ts';
import { personNameKey } from '../query/sql.ts';
import type { IndexDialect, SqlEngine, Statement } from './sql-engine.ts';
import type { AddedColumn } from '../config/index-schema.ts';

/**
 * What storing objects does to the patient, study, series and instance rows, written once for every engine (as
 * Orthanc's StatelessDatabaseOperations): each object's study and series are inserted or updated with the object's
 * values, its instance row inserted or replaced, and the counts kept — an object stored again into another series
 * leaves the old one. Objects are written in batches: one transaction, the instance rows in one statement.
 *
 * A patient's identity does not follow whichever object came last. Each study keeps the patient name its own objects
 * give; the patient's name, birth date and sex are those of its newest study (by study date and time), so a prior
 * retrieved from another archive, written years ago as `DVORAK^JIRI`, never renames `Dvořák^Jiří`. A name an admin
 * reconciled, or the hospital's HL7 ADT gave, is kept (`name_confirmed`) whatever study arrives.
 */

const PATIENT = ['patient_id', 'patient_name', 'name_key', 'name_fold', 'birth_date', 'sex', 'updated_at'] as const;
const STUDY = [
  'study_uid',
  'patient_fk',
  'patient_name',
  'name_key',
  'name_fold',
  'study_date',
  'study_time',
  'accession_number',
  'study_id',
  'description',
  'referring_physician',
  'charset',
  'updated_at',
] as const;
const SERIES = [
  'series_uid',
  'study_fk',
  'modality',
  'series_number',
  'description',
  'body_part',
  'series_date',
  'series_time',
  'updated_at',
] as const;
const INSTANCE = [
  'sop_uid',
  'series_fk',
  'sop_class_uid',
  'instance_number',
  'transfer_syntax',
  'rows',
  'columns',
  'frames',
  'device',
  'path',
  'size',
  'calling_ae',
  'received_at',
  'checksum',
] as const;

type Header = InstanceRecord['header'];

/** Our own values of a series' patient, study and series rows (HierarchySql.seriesAttributes adds dicom.sql's). */
function ourSeriesAttributes(h: Header): string {
  return [
    h.patientId,
    h.patientName,
    h.patientBirthDate,
    h.patientSex,
    h.studyInstanceUid,
    h.studyDate,
    h.studyTime,
    h.accessionNumber,
    h.studyId,
    h.studyDescription,
    h.referringPhysicianName,
    h.specificCharacterSet,
    h.modality,
    h.seriesNumber,
    h.seriesDescription,
    h.bodyPartExamined,
    h.seriesDate,
    h.seriesTime,
  ].join('\u0000');
}

/** The values of the columns dicom.sql added to a level's table, in their order. */
function moreValues(h: Header, columns: readonly AddedColumn[]): string[] {
  return columns.map((c) => h.more?.get(c.tag) ?? '');
}

export interface SeriesIds {
  id: number;
  studyId: number;
}

/** The statements of a dialect, made once per engine and dicom.sql. */
export class HierarchySql {
  readonly patient: string;
  readonly study: string;
  readonly series: string;
  /** The columns dicom.sql added, per level (patient, study, series, instance). */
  readonly added: readonly (readonly AddedColumn[])[];
  /** Those of the patient, study and series rows, in that order. */
  private readonly addedAboveImage: readonly AddedColumn[];
  /** The patient's newest study: the one whose patient attributes the patient takes. */
  readonly newestStudy =
    'SELECT id FROM studies WHERE patient_fk = ? ORDER BY study_date DESC, study_time DESC, id DESC LIMIT 1';
  /** The patient's attributes from its newest study's object (a confirmed name stays). */
  readonly patientFromStudy: string;
  private readonly dialect: IndexDialect;
  private readonly instanceSql = new Map<number, string>();
  private readonly instanceColumns: string[];

  constructor(dialect: IndexDialect, added: readonly AddedColumn[] = []) {
    this.dialect = dialect;
    this.added = [0, 1, 2, 3].map((level) => added.filter((c) => c.level === level));
    this.addedAboveImage = this.added.slice(0, 3).flat();
    const [patient, study, series, instance] = this.added.map((cs) => cs.map((c) => c.name)) as string[][];
    // A patient who exists keeps its attributes here: upsertHierarchy decides whether this object's study gives them.
    this.patient = dialect.upsert('patients', 'patient_id', [...PATIENT, ...patient!], ['updated_at'], 1, true);
    const studyColumns = [...STUDY, ...study!];
    this.study = dialect.upsert('studies', 'study_uid', studyColumns, studyColumns.slice(1), 1, true);
    const seriesColumns = [...SERIES, ...series!];
    this.series = dialect.upsert('series', 'series_uid', seriesColumns, seriesColumns.slice(1), 1, true);
    this.instanceColumns = [...INSTANCE.map(dialect.quote), ...instance!];
    this.patientFromStudy = `UPDATE patients SET patient_name = CASE WHEN name_confirmed = 1 THEN patient_name ELSE ? END,
    name_key = CASE WHEN name_confirmed = 1 THEN name_key ELSE ? END, name_fold = CASE WHEN name_confirmed = 1 THEN name_fold ELSE ? END,
    birth_date = ?, sex = ?${patient!.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`;
  }

  /**
   * The values a series' patient, study and series rows take: objects of a series that share them write only their
   * instance rows.
   */
  seriesAttributes(h: Header): string {
    const ours = ourSeriesAttributes(h);
    // Every object takes this path: without dicom.sql's columns above the image level, our values alone.
    if (!this.addedAboveImage.length) return ours;
    return [ours, ...moreValues(h, this.addedAboveImage)].join('\u0000');
  }

  /** The values of an object's instance row beyond ours. */
  instanceMore(h: Header): string[] {
    return moreValues(h, this.added[3]!);
  }

  /** The instance rows of a batch of `n` objects in one statement. */
  instances(n: number): string {
    let sql = this.instanceSql.get(n);
    if (!sql) {
      const columns = this.instanceColumns;
      sql = this.dialect.upsert('instances', 'sop_uid', columns, columns.slice(1), n, false);
      if (this.instanceSql.size < 256) this.instanceSql.set(n, sql);
    }
    return sql;
  }

  /** A study's series count and modalities, after its series changed. */
  refreshStudy(): string {
    return `UPDATE studies SET num_series = (SELECT count(*) FROM series WHERE study_fk = ?), modalities = ${this.dialect.studyModalities('?')} WHERE id = ?`;
  }
}

/** Insert or update an object's patient, study and series rows; the series' and study's row ids. */
export async function upsertHierarchy(tx: SqlEngine, sql: HierarchySql, h: Header, now: string): Promise<SeriesIds> {
  const name = [h.patientName, personNameKey(h.patientName), foldName(h.patientName)];
  const [patientMore, studyMore, seriesMore] = sql.added.map((cs) => moreValues(h, cs)) as string[][];
  const patient = (
    await tx.run(sql.patient, [h.patientId, ...name, h.patientBirthDate, h.patientSex, now, ...patientMore!])
  ).insertId;
  const study = (
    await tx.run(sql.study, [
      h.studyInstanceUid,
      patient,
      ...name,
      h.studyDate,
      h.studyTime,
      h.accessionNumber,
      h.studyId,
      h.studyDescription,
      h.referringPhysicianName,
      h.specificCharacterSet,
      now,
      ...studyMore!,
    ])
  ).insertId;
  const [newest] = await tx.all<{ id: number | string }>(sql.newestStudy, [patient]);
  if (Number(newest?.id) === study)
    await tx.run(sql.patientFromStudy, [...name, h.patientBirthDate, h.patientSex, ...patientMore!, patient]);
  const series = (
    await tx.run(sql.series, [
      h.seriesInstanceUid,
      study,
      h.modality,
      h.seriesNumber,
      h.seriesDescription,
      h.bodyPartExamined,
      h.seriesDate,
      h.seriesTime,
      now,
      ...seriesMore!,
    ])
  ).insertId;
  return { id: series, studyId: study };
}

export interface BatchItem {
  record: InstanceRecord;
  attributes: string;
}

/**
 * Write a batch of objects (no object twice) in the open transaction `tx`. `known` holds the row ids of series whose
 * rows were last written with the same attributes; the others are upserted first. Returns where each replaced object
 * was stored, and the row ids of every series in the batch.
 */
export async function writeBatch(
  tx: SqlEngine,
  sql: HierarchySql,
  batch: BatchItem[],
  known: (seriesUid: string, attributes: string) => SeriesIds | undefined,
): Promise<{ replaced: (ReplacedInstance | undefined)[]; seriesIds: Map<string, SeriesIds> }> {
  const now = new Date().toISOString();
  const seriesIds = new Map<string, SeriesIds>();
  const touchedStudies = new Set<number>();
  for (const { record, attributes } of batch) {
    const h = record.header;
    if (seriesIds.has(h.seriesInstanceUid)) continue;
    const cached = known(h.seriesInstanceUid, attributes);
    if (cached) {
      seriesIds.set(h.seriesInstanceUid, cached);
      continue;
    }
    const ids = await upsertHierarchy(tx, sql, h, now);
    seriesIds.set(h.seriesInstanceUid, ids);
    touchedStudies.add(ids.studyId);
  }
  const uids = batch.map((b) => b.record.header.sopInstanceUid);
  const inList = `(${uids.map(() => '?').join(', ')})`;
  const statements: Statement[] = [
    {
      sql: `SELECT sop_uid, device, path, transfer_syntax, size FROM instances WHERE sop_uid IN ${inList}`,
      params: uids,
    },
    // Counts: every object stored again leaves its old series and study, then every object joins its new ones.
    {
      sql: `UPDATE studies SET num_instances = num_instances - (SELECT count(*) FROM instances i JOIN series s ON s.id = i.series_fk
        WHERE s.study_fk = studies.id AND i.sop_uid IN ${inList})
      WHERE id IN (SELECT s.study_fk FROM series s JOIN instances i ON i.series_fk = s.id WHERE i.sop_uid IN ${inList})`,
      params: [...uids, ...uids],
    },
    {
      sql: `UPDATE series SET num_instances = num_instances - (SELECT count(*) FROM instances WHERE series_fk = series.id AND sop_uid IN ${inList})
      WHERE id IN (SELECT series_fk FROM instances WHERE sop_uid IN ${inList})`,
      params: [...uids, ...uids],
    },
    {
      sql: sql.instances(batch.length),
      params: batch.flatMap(({ record: r }) => {
        const h = r.header;
        return [
          h.sopInstanceUid,
          seriesIds.get(h.seriesInstanceUid)!.id,
          h.sopClassUid,
          h.instanceNumber,
          r.transferSyntaxUid,
          h.rows,
          h.columns,
          h.numberOfFrames,
          r.location.device,
          r.location.relativePath,
          r.size,
          r.callingAe,
          now,
          r.checksum ?? null,
          ...sql.instanceMore(h),
        ];
      }),
    },
  ];
  const perSeries = new Map<number, number>();
  for (const { record } of batch) {
    const series = seriesIds.get(record.header.seriesInstanceUid)!.id;
    perSeries.set(series, (perSeries.get(series) ?? 0) + 1);
  }
  for (const [series, n] of perSeries) {
    statements.push({ sql: 'UPDATE series SET num_instances = num_instances + ? WHERE id = ?', params: [n, series] });
    statements.push({
      sql: 'UPDATE studies SET num_instances = num_instances + ? WHERE id = (SELECT study_fk FROM series WHERE id = ?)',
      params: [n, series],
    });
  }
  for (const study of touchedStudies) statements.push({ sql: sql.refreshStudy(), params: [study, study, study] });
  const [before] = await tx.script(statements, { last: true });
  const previous = new Map(
    before!.map((r) => [
      String(r.sop_uid),
      {
        device: Number(r.device),
        relativePath: String(r.path),
        transferSyntaxUid: String(r.transfer_syntax),
        size: Number(r.size),
      },
    ]),
  );
  return { replaced: uids.map((u) => previous.get(u)), seriesIds };
}
