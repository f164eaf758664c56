import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { countIndexed, out, prepareDataDir, startOurs, stop } from './common.ts';
import { storescu } from './ingest.ts';

/**
 * dicom.sql (issue 32.1): ingest with the columns Conquest's stock dicom.sql indexes beyond ours (2 on the study, 10 on
 * the series, 13 on the image), beside ingest with ours, alternating rounds, best of each; and (with the query
 * section) a series-level C-FIND on a key dicom.sql added, at the index's full size.
 */

/** The attributes Conquest's stock dicom.sql keeps beyond ours, by table, as its lines name them. */
const STOCK_EXTRA: Record<'Study' | 'Series' | 'Image', string[]> = {
  Study: [
    '{ 0x0010, 0x1010, "PatientsAge", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0010, 0x1030, "PatientsWeight", 16, SQL_C_CHAR, DT_STR }',
  ],
  Series: [
    '{ 0x0018, 0x5100, "PatientPosition", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0018, 0x0010, "ContrastBolusAgent", 64, SQL_C_CHAR, DT_STR }',
    '{ 0x0008, 0x0070, "Manufacturer", 64, SQL_C_CHAR, DT_STR }',
    '{ 0x0008, 0x1090, "ModelName", 64, SQL_C_CHAR, DT_STR }',
    '{ 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_STR }',
    '{ 0x0008, 0x1010, "StationName", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0008, 0x0080, "Institution", 64, SQL_C_CHAR, DT_STR }',
    '{ 0x0020, 0x0052, "FrameOfReferenceUID", 64, SQL_C_CHAR, DT_UI }',
  ],
  Image: [
    '{ 0x0008, 0x0023, "ImageDate", 8, SQL_C_DATE, DT_DATE }',
    '{ 0x0008, 0x0033, "ImageTime", 16, SQL_C_CHAR, DT_TIME }',
    '{ 0x0018, 0x0086, "EchoNumber", 64, SQL_C_CHAR, DT_MSTR }',
    '{ 0x0008, 0x0022, "AcqDate", 8, SQL_C_DATE, DT_DATE }',
    '{ 0x0008, 0x0032, "AcqTime", 16, SQL_C_CHAR, DT_TIME }',
    '{ 0x0018, 0x1250, "ReceivingCoil", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0020, 0x0012, "AcqNumber", 12, SQL_C_CHAR, DT_STR }',
    '{ 0x0020, 0x1041, "SliceLocation", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0028, 0x0002, "SamplesPerPixel", 5, SQL_C_CHAR, DT_UINT16 }',
    '{ 0x0028, 0x0004, "PhotoMetricInterpretation", 16, SQL_C_CHAR, DT_STR }',
    '{ 0x0028, 0x0101, "BitsStored", 5, SQL_C_CHAR, DT_UINT16 }',
    '{ 0x0008, 0x0008, "ImageType", 128, SQL_C_CHAR, DT_MSTR }',
    '{ 0x0054, 0x0400, "ImageID", 16, SQL_C_CHAR, DT_STR }',
  ],
};

/** `shipped` (our dicom.sql) with `extra` lines added at the top of their tables. */
export function withLines(shipped: string, extra: Partial<Record<'Study' | 'Series' | 'Image', string[]>>): string {
  let text = shipped;
  for (const [table, lines] of Object.entries(extra))
    text = text.replace(new RegExp(`(\\*${table}\\*\\s*\\{\\s*)`), `$1${lines.map((l) => `${l},\n\t`).join('')}`);
  return text;
}

/** CT objects carrying the attributes the stock layout indexes, in series of 100. */
async function generateCt(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  let seriesUid = uid();
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) seriesUid = uid();
    const img = makeImage({
      rows: 512,
      columns: 512,
      studyUid,
      seriesUid,
      instanceNumber: i + 1,
      patientId: 'LAYOUT',
      extra: [
        { tag: Tag.AcquisitionDate, vr: 'DA', value: '20261208' },
        { tag: Tag.AcquisitionTime, vr: 'TM', value: '101500' },
        { tag: Tag.Manufacturer, vr: 'LO', value: 'ACME MEDICAL' },
        { tag: Tag.InstitutionName, vr: 'LO', value: 'CLINIC' },
        { tag: Tag.StationName, vr: 'SH', value: 'CT01' },
        { tag: Tag.ProtocolName, vr: 'LO', value: 'HEAD ROUTINE' },
        { tag: Tag.PatientAge, vr: 'AS', value: '045Y' },
        { tag: Tag.SliceLocation, vr: 'DS', value: String(i * 2.5) },
        { tag: Tag.AcquisitionNumber, vr: 'IS', value: '1' },
      ],
    });
    await writeFile(path.join(dir, `${String(i).padStart(5, '0')}.dcm`), img.bytes);
  }
}

export async function indexLayoutBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  out(`generating ${count} CT objects (512x512x16 bit) with the attributes Conquest's stock dicom.sql indexes ...`);
  const inDir = path.join(work, 'layout-in');
  await generateCt(inDir, count);
  const times = { ours: [] as number[], stock: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['ours', 'stock'] as const) {
      const dataDir = path.join(work, `ours-layout-${kind}-${round}`);
      await prepareDataDir(dataDir, {});
      if (kind === 'stock') {
        const file = path.join(dataDir, 'config', 'dicom.sql');
        await writeFile(file, withLines(await readFile(file, 'utf8'), STOCK_EXTRA));
      }
      const server = await startOurs(dataDir);
      times[kind].push((await storescu(shim, server.port, server.ae, inDir)).seconds);
      await stop(server.child);
      const indexed = await countIndexed(dataDir);
      if (indexed !== count) throw new Error(`our index holds ${indexed} instances, expected ${count}`);
      await rm(dataDir, { recursive: true, force: true });
    }
    out(
      `  round ${round + 1}: our dicom.sql ${times.ours[round]!.toFixed(2)} s, stock layout ${times.stock[round]!.toFixed(2)} s`,
    );
  }
  const rate = (t: number[]) => count / Math.min(...t);
  out(`\ningest of ${count} objects, one storescu association, best of ${rounds}`);
  out(`  our dicom.sql                         ${rate(times.ours).toFixed(0)} images/s`);
  out(
    `  Conquest's stock layout (+25 columns) ${rate(times.stock).toFixed(0)} images/s   ratio ${(rate(times.stock) / rate(times.ours)).toFixed(2)} (goal >= 0.9)`,
  );
  await rm(inDir, { recursive: true, force: true });
}

/** Protocols the generated series are spread over. */
export const PROTOCOLS = 5000;
export const protocolOf = (n: number) => `PROTOCOL ${n % PROTOCOLS}`;

/**
 * The generated index (rows only, no files) given dicom.sql's ProtocolName on the series, every row filled, as a
 * start after dicom.sql added it and its fill ended would leave it; the server's start adds the column's index.
 */
export async function addProtocolColumn(sqliteFile: string, configDir: string): Promise<void> {
  const db = new Database(sqliteFile);
  try {
    db.exec("ALTER TABLE series ADD COLUMN x_protocolname TEXT NOT NULL DEFAULT ''");
    db.exec(`UPDATE series SET x_protocolname = 'PROTOCOL ' || (id % ${PROTOCOLS})`);
    const below = Number((db.prepare('SELECT max(id) + 1 AS n FROM series').get() as { n: number }).n);
    db.prepare(
      "INSERT INTO index_columns (tbl, name, tag, type, fill_below, filled_to) VALUES ('series', 'x_protocolname', ?, 'DT_STR', ?, ?)",
    ).run(Tag.ProtocolName, below, below);
  } finally {
    db.close();
  }
  const file = path.join(configDir, 'dicom.sql');
  await writeFile(
    file,
    withLines(await readFile(file, 'utf8'), { Series: ['{ 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_STR }'] }),
  );
}
