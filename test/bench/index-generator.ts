import Database from 'better-sqlite3';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { personNameKey } from '../../main/query/sql.ts';
import { foldName } from '../../main/query/name-fold.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * An index the size of the archives we replace (27,000 patients, 36,300 studies, 335,000 series, 8.7 M instances by
 * default), written straight into SQLite: rows only, no files. The schema comes from the product's own migrations.
 */
export interface IndexShape {
  patients: number;
  studies: number;
  series: number;
  instances: number;
}

export const CLINIC_SHAPE: IndexShape = { patients: 27_000, studies: 36_300, series: 335_000, instances: 8_700_000 };

const SURNAMES = [
  'SMITH',
  'NOVAK',
  'MUELLER',
  'SCHMIDT',
  'DVORAK',
  'SVOBODA',
  'HORVATH',
  'KOVAC',
  'WAGNER',
  'BECKER',
  'HOFFMANN',
  'SCHULZ',
  'KOCH',
  'RICHTER',
  'KLEIN',
  'WOLF',
  'NEUMANN',
  'SCHWARZ',
  'ZIMMERMANN',
  'BRAUN',
  'KRUGER',
  'HOFMANN',
  'HARTMANN',
  'LANGE',
  'WERNER',
  'KRAUSE',
  'LEHMANN',
  'KOEHLER',
  'MAIER',
  'HERRMANN',
  'KONIG',
  'WALTER',
  'MAYER',
  'HUBER',
  'KAISER',
  'FUCHS',
  'PETERS',
  'LANG',
  'SCHOLZ',
  'MOLLER',
  'WEISS',
  'JUNG',
  'HAHN',
  'SCHUBERT',
  'VOGEL',
  'FRIEDRICH',
  'KELLER',
  'GUNTHER',
  'FRANK',
  'BERGER',
  'WINKLER',
  'ROTH',
  'BECK',
  'LORENZ',
  'BAUMANN',
  'FRANKE',
  'ALBRECHT',
  'SCHUSTER',
  'SIMON',
  'LUDWIG',
  'BOHM',
  'WINTER',
  'KRAUS',
  'MARTIN',
  'SCHUMACHER',
  'KRAMER',
  'VOGT',
  'STEIN',
  'JAGER',
  'OTTO',
  'SOMMER',
  'GROSS',
  'SEIDEL',
  'HEINRICH',
  'BRANDT',
  'HAAS',
  'SCHREIBER',
  'GRAF',
  'SCHULTE',
  'DIETRICH',
  'ZIEGLER',
  'KUHN',
  'KUHL',
  'POHL',
  'ENGEL',
  'HORN',
  'BUSCH',
  'BERGMANN',
  'THOMAS',
  'VOIGT',
  'SAUER',
  'ARNOLD',
  'WOLFF',
  'PFEIFFER',
  'PROCHAZKA',
  'KUCERA',
  'VESELY',
  'KRAL',
  'BENES',
  'POSPISIL',
];
const GIVEN = [
  'JAN',
  'PETR',
  'EVA',
  'ANNA',
  'JOSEF',
  'MARIE',
  'PAVEL',
  'JANA',
  'TOMAS',
  'HANA',
  'KLAUS',
  'PETRA',
  'HANS',
  'URSULA',
  'MICHAEL',
  'SABINE',
  'THOMAS',
  'MONIKA',
  'ANDREAS',
  'KARIN',
  'STEFAN',
  'GABRIELE',
  'MARTIN',
  'BIRGIT',
  'FRANK',
  'ANDREA',
];
/** Syllables for the long tail of surnames: a clinic of 27,000 patients sees thousands of distinct surnames. */
const SYLLABLES = [
  'BA',
  'BER',
  'DO',
  'FI',
  'GAR',
  'HAL',
  'KA',
  'KRE',
  'LA',
  'LIN',
  'MA',
  'MOR',
  'NE',
  'OS',
  'PA',
  'PRO',
  'RA',
  'RIN',
  'SA',
  'STE',
  'TA',
  'TRO',
  'VA',
  'VEL',
  'WE',
  'ZA',
  'ZIM',
  'CHO',
  'DRA',
  'GUS',
];
const CONSONANTS = 'BCDFGHJKLMNPRSTVWZ';
const MODALITIES = ['MR', 'MR', 'MR', 'MR', 'CT', 'CT', 'CR', 'US', 'DX', 'MG'];
const ROOT = '1.2.826.0.1.3680043.10.999';

/** A deterministic pseudo-random sequence, so two runs build the same index. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const patientIdOf = (i: number) => `PID${String(i).padStart(7, '0')}`;
export const studyUidOf = (i: number) => `${ROOT}.1.${String(i).padStart(8, '0')}`;
export const seriesUidOf = (i: number) => `${ROOT}.2.${String(i).padStart(9, '0')}`;
export const accessionOf = (i: number) => `ACC${String(i).padStart(8, '0')}`;

/** Dates from 2015-01-01 over ~12 years. */
function dateOf(dayOffset: number): string {
  const d = new Date(Date.UTC(2015, 0, 1) + dayOffset * 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

export async function generateIndex(
  file: string,
  shape: IndexShape = CLINIC_SHAPE,
  progress: (text: string) => void = () => undefined,
): Promise<void> {
  await new SqliteIndex(file).close(); // creates the schema with the product's migrations
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const random = rng(42);
  const now = new Date().toISOString();
  const insPatient = db.prepare(
    'INSERT INTO patients (id, patient_id, patient_name, name_key, birth_date, sex, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insStudy =
    db.prepare(`INSERT INTO studies (id, study_uid, patient_fk, study_date, study_time, accession_number, study_id, description,
    referring_physician, charset, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?)`);
  const insSeries =
    db.prepare(`INSERT INTO series (id, series_uid, study_fk, modality, series_number, description, body_part, series_date,
    series_time, updated_at, num_instances) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`);
  const insInstance =
    db.prepare(`INSERT INTO instances (sop_uid, series_fk, sop_class_uid, instance_number, transfer_syntax, rows, columns,
    frames, device, path, size, calling_ae, received_at) VALUES (?, ?, ?, ?, '1.2.840.10008.1.2.1', 512, 512, '', 0, ?, 524288, 'MR1', ?)`);

  // A third of the patients carry one of the common surnames, the rest one of ~27,000 rarer ones.
  const letter = (set: string) => set[Math.floor(random() * set.length)]!;
  const surname = () =>
    random() < 0.33
      ? SURNAMES[Math.floor(random() * SURNAMES.length)]!
      : letter(CONSONANTS) +
        letter('AEIOUY') +
        letter(CONSONANTS) +
        Array.from(
          { length: 1 + Math.floor(random() * 2) },
          () => SYLLABLES[Math.floor(random() * SYLLABLES.length)],
        ).join('');
  db.transaction(() => {
    for (let p = 1; p <= shape.patients; p++) {
      const name = `${surname()}^${GIVEN[Math.floor(random() * GIVEN.length)]}`;
      insPatient.run(
        p,
        patientIdOf(p),
        name,
        personNameKey(name),
        dateOf(-Math.floor(random() * 30_000)),
        random() < 0.5 ? 'F' : 'M',
        now,
      );
    }
  })();
  progress(`${shape.patients} patients`);
  const studyModality: string[] = [];
  db.transaction(() => {
    for (let s = 1; s <= shape.studies; s++) {
      // Every patient has a study; the rest go to random patients.
      const patient = s <= shape.patients ? s : 1 + Math.floor(random() * shape.patients);
      studyModality[s] = MODALITIES[Math.floor(random() * MODALITIES.length)]!;
      const time = `${String(7 + Math.floor(random() * 12)).padStart(2, '0')}${String(Math.floor(random() * 60)).padStart(2, '0')}00`;
      insStudy.run(
        s,
        studyUidOf(s),
        patient,
        dateOf(Math.floor(random() * 4300)),
        time,
        accessionOf(s),
        String(s),
        `${studyModality[s]} examination`,
        now,
      );
    }
  })();
  progress(`${shape.studies} studies`);
  // Series are spread evenly over studies, instances evenly over series (as rows in sorted UID order, like a real root).
  let instance = 0;
  const perSeries = shape.instances / shape.series;
  const BATCH = 5000;
  for (let start = 1; start <= shape.series; start += BATCH) {
    db.transaction(() => {
      for (let se = start; se < Math.min(start + BATCH, shape.series + 1); se++) {
        const study = studyOfSeries(se, shape);
        const until = Math.round(se * perSeries);
        insSeries.run(
          se,
          seriesUidOf(se),
          study,
          studyModality[study],
          String(se % 20),
          'series',
          '',
          '',
          now,
          until - instance,
        );
        for (let n = 1; instance < until; n++) {
          instance++;
          insInstance.run(
            `${ROOT}.3.${String(instance).padStart(10, '0')}`,
            se,
            StorageSopClass.MrImage,
            String(n),
            `bench/${instance}.dcm`,
            now,
          );
        }
      }
    })();
    if ((start - 1) % 50_000 === 0) progress(`${start - 1} series, ${instance} instances`);
  }
  progress(`${shape.series} series, ${instance} instances`);
  // The per-study counts the archive keeps as it stores (index migration 3).
  db.exec(`UPDATE studies SET num_series = (SELECT count(*) FROM series WHERE study_fk = studies.id),
    num_instances = (SELECT coalesce(sum(num_instances), 0) FROM series WHERE study_fk = studies.id),
    modalities = (SELECT coalesce(replace(group_concat(DISTINCT modality), ',', '\\'), '') FROM series WHERE study_fk = studies.id)`);
  // Each study's own spelling of its patient's name (index v11; study-level queries match it) and the folded keys
  // the forgiving search uses, as storing objects writes them.
  db.function('fold_name', { deterministic: true }, (name: unknown) => foldName(String(name ?? '')));
  db.exec('UPDATE patients SET name_fold = fold_name(patient_name)');
  db.exec(`UPDATE studies SET patient_name = (SELECT patient_name FROM patients WHERE id = studies.patient_fk),
    name_key = (SELECT name_key FROM patients WHERE id = studies.patient_fk),
    name_fold = (SELECT name_fold FROM patients WHERE id = studies.patient_fk)`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The study a series belongs to in a generated index (series are spread evenly over studies). */
export function studyOfSeries(series: number, shape: IndexShape = CLINIC_SHAPE): number {
  return Math.min(shape.studies, 1 + Math.floor((series - 1) / (shape.series / shape.studies)));
}
