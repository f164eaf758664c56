import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeDataSet } from '../../main/dicom/dataset.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { QrSopClass, TransferSyntax, encodingOf, VERIFICATION_SOP_CLASS } from '../../common/uids.ts';
import { encodeFileMeta } from '../../main/store/part10.ts';
import { BytePeer, commandSet } from '../helpers/dimse-bytes.ts';
import { apiOf, out, peakRssMB, percentile, prepareDataDir, runTool, startOurs, stop } from './common.ts';
import { copyIndexToMysql } from './engines.ts';
import { generateStudy, storescu } from './ingest.ts';
import { PROTOCOLS, addProtocolColumn, protocolOf } from './index-layout.ts';
import type { MysqlOptions } from '../../main/index/mysql.ts';
import {
  CLINIC_SHAPE,
  accessionOf,
  generateIndex,
  patientIdOf,
  seriesUidOf,
  studyOfSeries,
  studyUidOf,
  type IndexShape,
} from './index-generator.ts';

/**
 * C-FIND latency at the size of the archives we replace: an index of 8.7 M instances, then DCMTK findscu sending each
 * kind of query many times (different values each time) inside one association; the latency of one query is the time
 * from "Sending Find Request" to "Received Final Find Response" in findscu's own microsecond log, so it excludes the
 * process start and the association set-up.
 */

/** What a viewer's study browser asks for. */
const STUDY_RETURN_KEYS = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'StudyID',
  'StudyDescription',
  'StudyInstanceUID',
  'ModalitiesInStudy',
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
  'ReferringPhysicianName',
];
const SERIES_RETURN_KEYS = [
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'SeriesDescription',
  'NumberOfSeriesRelatedInstances',
];
const IMAGE_RETURN_KEYS = ['SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'];

interface QueryKind {
  name: string;
  /** The identifier of the i-th query of this kind. */
  make(i: number, random: () => number): Record<string, string>;
  /** Counted against the 15 ms goal (the study-level queries). */
  studyLevel: boolean;
}

function kinds(shape: IndexShape, surnames: string[], added: boolean): QueryKind[] {
  const empty = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, '']));
  const pick = (random: () => number, n: number) => 1 + Math.floor(random() * n);
  const day = (offset: number) =>
    new Date(Date.UTC(2015, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  return [
    // The first three letters of a patient's surname, the way a user starts typing the name of someone in the archive.
    {
      name: 'patient name prefix (SMI*)',
      studyLevel: true,
      make: (i) => ({
        ...empty(STUDY_RETURN_KEYS),
        QueryRetrieveLevel: 'STUDY',
        PatientName: `${surnames[i % surnames.length]!.slice(0, 3)}*`,
      }),
    },
    {
      name: 'exact patient ID',
      studyLevel: true,
      make: (_i, r) => ({
        ...empty(STUDY_RETURN_KEYS),
        QueryRetrieveLevel: 'STUDY',
        PatientID: patientIdOf(pick(r, shape.patients)),
      }),
    },
    {
      name: 'study date range (1 week)',
      studyLevel: true,
      make: (_i, r) => {
        const d = Math.floor(r() * 4300);
        return { ...empty(STUDY_RETURN_KEYS), QueryRetrieveLevel: 'STUDY', StudyDate: `${day(d)}-${day(d + 6)}` };
      },
    },
    {
      name: 'accession number',
      studyLevel: true,
      make: (_i, r) => ({
        ...empty(STUDY_RETURN_KEYS),
        QueryRetrieveLevel: 'STUDY',
        AccessionNumber: accessionOf(pick(r, shape.studies)),
      }),
    },
    {
      name: 'modality, series level',
      studyLevel: false,
      make: (_i, r) => ({
        ...empty(SERIES_RETURN_KEYS),
        QueryRetrieveLevel: 'SERIES',
        StudyInstanceUID: studyUidOf(pick(r, shape.studies)),
        Modality: 'MR',
      }),
    },
    // A key dicom.sql added (SQLite run: index-layout.ts filled it), across every study, as a relational search.
    ...(added
      ? [
          {
            name: 'dicom.sql ProtocolName, series',
            studyLevel: false,
            make: (_i: number, r: () => number) => ({
              ...empty(SERIES_RETURN_KEYS),
              QueryRetrieveLevel: 'SERIES',
              StudyInstanceUID: '',
              ProtocolName: protocolOf(pick(r, PROTOCOLS)),
            }),
          },
        ]
      : []),
    {
      name: 'all images of one series',
      studyLevel: false,
      make: (_i, r) => {
        const se = pick(r, shape.series);
        return {
          ...empty(IMAGE_RETURN_KEYS),
          QueryRetrieveLevel: 'IMAGE',
          StudyInstanceUID: studyUidOf(studyOfSeries(se, shape)),
          SeriesInstanceUID: seriesUidOf(se),
        };
      },
    },
  ];
}

const LOG_CONFIG = `log4cplus.rootLogger = INFO, console
log4cplus.logger.dcmtk.dcmnet.responses = OFF
log4cplus.appender.console = log4cplus::ConsoleAppender
log4cplus.appender.console.layout = log4cplus::PatternLayout
log4cplus.appender.console.layout.ConversionPattern = %D{%H:%M:%S.%Q} %m%n
`;

/** Seconds since midnight from findscu's "HH:MM:SS.mmm.uuu" stamp. */
function stamp(text: string): number {
  const [h, m, rest] = text.split(':');
  const [s, ms, us] = rest!.split('.');
  return Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms) / 1e3 + Number(us) / 1e6;
}

export function latenciesFrom(log: string): number[] {
  const out: number[] = [];
  let sent: number | undefined;
  for (const line of log.split('\n')) {
    const m = /^(\d\d:\d\d:\d\d\.\d+\.\d+) (Sending Find Request|Received Final Find Response)/.exec(line);
    if (!m) continue;
    if (m[2] === 'Sending Find Request') sent = stamp(m[1]!);
    else if (sent !== undefined) {
      out.push((stamp(m[1]!) - sent) * 1000);
      sent = undefined;
    }
  }
  return out;
}

/** Answers the universal query is cancelled after (findscu's --cancel): enough to see the rate, short enough to run. */
const UNIVERSAL_ANSWERS = 200_000;
const VERIFICATION = VERIFICATION_SOP_CLASS;

/**
 * A C-ECHO from inside the bench (associate, echo, release on one socket: no process start), the server's own delay in
 * answering another peer while a query runs.
 */
async function echoMs(ours: Awaited<ReturnType<typeof startOurs>>): Promise<number> {
  const started = performance.now();
  const peer = await BytePeer.associate(ours.port, ours.ae, 'ECHOER', VERIFICATION);
  const answer = await peer.request(
    commandSet([
      [0x0002, VERIFICATION],
      [0x0100, 0x0030],
      [0x0110, 1],
      [0x0800, 0x0101],
    ]),
  );
  if (answer.get(0x0900) !== 0) throw new Error(`C-ECHO answered ${String(answer.get(0x0900))}`);
  await peer.release();
  return performance.now() - started;
}

/** C-ECHOs every 50 ms (ours, in process) and every 100 ms (echoscu) until `query` settles. */
async function echoesDuring(
  ours: Awaited<ReturnType<typeof startOurs>>,
  shim: string,
  query: Promise<unknown>,
): Promise<{ ours: number[]; echoscu: number[]; rss: number[] }> {
  let running = true;
  void query.finally(() => {
    running = false;
  });
  const result = { ours: [] as number[], echoscu: [] as number[], rss: [] as number[] };
  const ownLoop = (async () => {
    while (running) {
      result.ours.push(await echoMs(ours));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  while (running) {
    result.echoscu.push(
      (await runTool('echoscu', ['-aec', ours.ae, '127.0.0.1', String(ours.port)], shim)).seconds * 1000,
    );
    result.rss.push(await peakRssMB(ours.child.pid!).catch(() => 0));
    await new Promise((r) => setTimeout(r, 100));
  }
  await ownLoop;
  await query;
  return result;
}

const echoSummary = (e: { ours: number[]; echoscu: number[] }) =>
  `C-ECHO during it: association + echo + release median ${percentile(e.ours, 50).toFixed(1)} ms, worst ${Math.max(...e.ours).toFixed(1)} ms (${e.ours.length});` +
  ` echoscu (process start to exit) median ${percentile(e.echoscu, 50).toFixed(0)} ms, worst ${Math.max(...e.echoscu).toFixed(0)} ms`;

/**
 * The universal IMAGE-level query (every instance: no key has a value) from findscu, cancelled after 200,000 answers:
 * the first answer's latency and the answer rate from findscu's log, the server's peak resident memory, and C-ECHOs
 * while it runs beside those on an idle server. Then a query that matches nothing but must read every instance (a key
 * without an index): it holds SQLite for seconds, which must not hold the rest of the archive.
 */
async function universalQuery(
  ours: Awaited<ReturnType<typeof startOurs>>,
  shim: string,
  logConfig: string,
): Promise<void> {
  const idleOurs = Math.min(await echoMs(ours), await echoMs(ours), await echoMs(ours));
  const idleEchoscu = Math.min(
    ...(await Promise.all(
      [0, 1, 2].map(
        async () => (await runTool('echoscu', ['-aec', ours.ae, '127.0.0.1', String(ours.port)], shim)).seconds * 1000,
      ),
    )),
  );
  out(
    `  C-ECHO on the idle server: association + echo + release ${idleOurs.toFixed(1)} ms; echoscu ${idleEchoscu.toFixed(0)} ms`,
  );
  const query = runTool(
    'findscu',
    [
      '-lc',
      logConfig,
      '-S',
      '--cancel',
      String(UNIVERSAL_ANSWERS),
      '-aet',
      'BENCH',
      '-aec',
      ours.ae,
      '127.0.0.1',
      String(ours.port),
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      'StudyInstanceUID',
      '-k',
      'SeriesInstanceUID',
      '-k',
      'SOPInstanceUID',
    ],
    shim,
  );
  const echoes = await echoesDuring(ours, shim, query);
  const { output } = await query;
  const lines = output.split('\n');
  const sentAt = lines.map((l) => /^(\d\d:\d\d:\d\d\.\d+\.\d+) Sending Find Request/.exec(l)).find(Boolean);
  const answerStamps = lines
    .map((l) => /^(\d\d:\d\d:\d\d\.\d+\.\d+) Received Find Response/.exec(l))
    .filter(Boolean)
    .map((m) => stamp(m![1]!));
  const first = sentAt && answerStamps.length ? (answerStamps[0]! - stamp(sentAt[1]!)) * 1000 : NaN;
  const rate = answerStamps.length > 1 ? (answerStamps.length - 1) / (answerStamps.at(-1)! - answerStamps[0]!) : NaN;
  // findscu sends its C-CANCEL after the 200,000th answer; what was already in the sockets' buffers still comes first.
  const cancelAt = lines.map((l) => /^(\d\d:\d\d:\d\d\.\d+\.\d+) Sending Cancel Request/.exec(l)).find(Boolean);
  const finalAt = lines.map((l) => /^(\d\d:\d\d:\d\d\.\d+\.\d+) Received Final Find Response/.exec(l)).find(Boolean);
  const cancelMs = cancelAt && finalAt ? (stamp(finalAt[1]!) - stamp(cancelAt[1]!)) * 1000 : NaN;
  out(
    `  universal IMAGE query (cancelled after ${answerStamps.length.toLocaleString('en')} answers): first answer ${first.toFixed(0)} ms, ${rate.toFixed(0)} answers/s,` +
      ` server peak RSS ${Math.max(...echoes.rss).toFixed(0)} MB; C-CANCEL to the final answer ${cancelMs.toFixed(0)} ms at findscu` +
      ` (${(answerStamps.length - UNIVERSAL_ANSWERS).toLocaleString('en')} answers already on their way); ${echoSummary(echoes)}`,
  );

  const scanStarted = performance.now();
  const scan = runTool(
    'findscu',
    [
      '-S',
      '-aet',
      'BENCH',
      '-aec',
      ours.ae,
      '127.0.0.1',
      String(ours.port),
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      'InstanceNumber=987654321',
      '-k',
      'SOPInstanceUID',
    ],
    shim,
  ).then(() => performance.now() - scanStarted);
  const scanEchoes = await echoesDuring(ours, shim, scan);
  out(
    `  IMAGE query on a key without an index (InstanceNumber, no match, every instance read): ${((await scan) / 1000).toFixed(1)} s; ${echoSummary(scanEchoes)}`,
  );
}

/**
 * A modality's C-STORE of 100 objects (0.5 MB CT, storescu, one association) into the 8.7 M archive, on the idle
 * server and while the universal query streams its answers to findscu (started first, cancelled after 200,000 answers):
 * the store must run at its normal speed beside it. Best of 3 each, new objects each round.
 */
async function storeDuringQuery(
  ours: Awaited<ReturnType<typeof startOurs>>,
  shim: string,
  work: string,
): Promise<void> {
  const idle: number[] = [];
  const busy: number[] = [];
  for (let round = 0; round < 3; round++) {
    const quiet = path.join(work, `beside-idle-${round}`);
    await generateStudy(quiet, 100, `BESIDE${round}`);
    idle.push((await storescu(shim, ours.port, ours.ae, quiet)).seconds);
    const loud = path.join(work, `beside-query-${round}`);
    await generateStudy(loud, 100, `BESIDEQ${round}`);
    const query = runTool(
      'findscu',
      [
        '-S',
        '--cancel',
        String(UNIVERSAL_ANSWERS),
        '-aet',
        'BENCH',
        '-aec',
        ours.ae,
        '127.0.0.1',
        String(ours.port),
        '-k',
        'QueryRetrieveLevel=IMAGE',
        '-k',
        'StudyInstanceUID',
        '-k',
        'SeriesInstanceUID',
        '-k',
        'SOPInstanceUID',
      ],
      shim,
    );
    await new Promise((r) => setTimeout(r, 300)); // the answers are flowing
    let queryEnded = false;
    void query.finally(() => {
      queryEnded = true;
    });
    busy.push((await storescu(shim, ours.port, ours.ae, loud)).seconds);
    if (queryEnded) out('  (the universal query ended before the store did: the figure beside it is not a fair one)');
    await query;
    await rm(quiet, { recursive: true, force: true });
    await rm(loud, { recursive: true, force: true });
  }
  const best = (t: number[]) => Math.min(...t);
  out(
    `  C-STORE of 100 objects (0.5 MB) by storescu: idle server ${best(idle).toFixed(2)} s (${(100 / best(idle)).toFixed(0)} images/s),` +
      ` during the universal query ${best(busy).toFixed(2)} s (${(100 / best(busy)).toFixed(0)} images/s), best of 3`,
  );
}

/** Surnames of patients picked at random (deterministically) from the generated index. */
async function sampleSurnames(file: string, count: number, shape: IndexShape): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true });
  const random = seeded(7);
  const select = db.prepare('SELECT patient_name AS name FROM patients WHERE id = ?');
  const names = Array.from(
    { length: count },
    () => (select.get(1 + Math.floor(random() * shape.patients)) as { name: string }).name.split('^')[0]!,
  );
  db.close();
  return names;
}

/** Deterministic values so two runs ask the same questions. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

export async function queryBench(
  work: string,
  shim: string,
  perKind: number,
  shape: IndexShape = CLINIC_SHAPE,
  mariadb?: Omit<MysqlOptions, 'database'>,
): Promise<void> {
  const dataDir = path.join(work, 'query-archive');
  out(
    `\ngenerating an index of ${shape.patients} patients, ${shape.studies} studies, ${shape.series} series, ${shape.instances} instances ...`,
  );
  const started = performance.now();
  await mkdir(path.join(dataDir, 'index'), { recursive: true });
  const sqliteFile = path.join(dataDir, 'index/archive.db3');
  await generateIndex(sqliteFile, shape, (s) => out(`  ${((performance.now() - started) / 1000).toFixed(0)} s: ${s}`));
  await prepareDataDir(dataDir, { LogLevel: 'debug', DicomWebMaxResults: '1000000' });
  await addProtocolColumn(sqliteFile, path.join(dataDir, 'config'));
  const surnames = await sampleSurnames(sqliteFile, perKind, shape);
  const logConfig = path.join(work, 'findscu-log.cfg');
  await writeFile(logConfig, LOG_CONFIG);
  try {
    await runQueries('SQLite', dataDir, work, shim, perKind, shape, surnames, logConfig, true);
    if (mariadb) {
      const copyStarted = performance.now();
      out('\ncopying the same rows into MariaDB ...');
      await copyIndexToMysql(sqliteFile, mariadb, 'bench_query', (s) =>
        out(`  ${((performance.now() - copyStarted) / 1000).toFixed(0)} s: ${s}`),
      );
      const mysqlDir = path.join(work, 'query-archive-mariadb');
      await prepareDataDir(mysqlDir, {
        LogLevel: 'debug',
        DicomWebMaxResults: '1000000',
        MySQL: '1',
        SqLite: '0',
        SQLHost: `${mariadb.host}:${mariadb.port}`,
        SQLServer: 'bench_query',
        Username: mariadb.user,
        Password: mariadb.password,
      });
      try {
        await runQueries('MariaDB', mysqlDir, work, shim, perKind, shape, surnames, logConfig, false);
      } finally {
        await rm(mysqlDir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A C-FIND identifier's keys as the QIDO-RS request for the same search: its path by level, values as matching keys, empty keys as includefield. */
function qidoUrl(base: string, keys: Record<string, string>): string {
  const { QueryRetrieveLevel: level, ...rest } = keys;
  let path = '/studies';
  if (level === 'SERIES') path = rest.StudyInstanceUID ? `/studies/${rest.StudyInstanceUID}/series` : '/series';
  if (level === 'IMAGE') path = `/studies/${rest.StudyInstanceUID}/series/${rest.SeriesInstanceUID}/instances`;
  if (level !== 'STUDY') {
    delete rest.StudyInstanceUID;
    if (level === 'IMAGE') delete rest.SeriesInstanceUID;
  }
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rest)) {
    if (v) params.append(k, v);
    else params.append('includefield', k);
  }
  return `${base}${path}?${params}`;
}

async function runQueries(
  engine: string,
  dataDir: string,
  work: string,
  shim: string,
  perKind: number,
  shape: IndexShape,
  surnames: string[],
  logConfig: string,
  added: boolean,
): Promise<void> {
  const ours = await startOurs(dataDir);
  try {
    out(
      `\nC-FIND latency over ${shape.instances.toLocaleString('en')} instances, index on ${engine}, DCMTK findscu with TCP_NODELAY, ${perKind} queries of each kind in one association`,
    );
    out(
      `  ${'query'.padEnd(30)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'matches/query'.padStart(14)} ${'max'.padStart(6)}   ${'server p50/p95 ms'.padStart(18)}   ${'QIDO-RS p50/p95 ms'.padStart(18)}`,
    );
    const api = await apiOf(ours);
    let worstStudyP95 = 0;
    let addedP95: number | undefined;
    for (const [k, kind] of kinds(shape, surnames, added).entries()) {
      const random = seeded(1000 + k);
      const dir = path.join(work, `queries-${k}`);
      await mkdir(dir, { recursive: true });
      const files: string[] = [];
      for (let i = 0; i < perKind; i++) {
        const file = path.join(dir, `q${String(i).padStart(4, '0')}.dcm`);
        const meta = encodeFileMeta({
          sopClassUid: QrSopClass.StudyRootFind,
          sopInstanceUid: `2.25.${k}${i}`,
          transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        });
        await writeFile(
          file,
          Buffer.concat([
            meta,
            encodeDataSet(
              identifierFromKeywords(kind.make(i, random)),
              encodingOf(TransferSyntax.ExplicitLittleEndian),
            ),
          ]),
        );
        files.push(file);
      }
      const logBefore = ours.log().length;
      const { output } = await runTool(
        'findscu',
        ['-lc', logConfig, '-S', '-aet', 'BENCH', '-aec', ours.ae, '127.0.0.1', String(ours.port), ...files],
        shim,
      );
      const latencies = latenciesFrom(output);
      if (latencies.length !== perKind)
        throw new Error(`expected ${perKind} answered queries, read ${latencies.length} from findscu's log`);
      // The server logs each query's matches and its own time, from the request's last byte to the final response.
      const served = [
        ...ours
          .log()
          .slice(logBefore)
          .matchAll(/C-FIND [0-9.]+: (\d+) match.* in ([0-9.]+) ms/g),
      ].map((m) => ({ matches: Number(m[1]), ms: Number(m[2]) }));
      const meanMatches = served.reduce((a, b) => a + b.matches, 0) / Math.max(1, served.length);
      const maxMatches = Math.max(0, ...served.map((q) => q.matches));
      const serverMs = served.map((q) => q.ms);
      const p95 = percentile(latencies, 95);
      if (kind.studyLevel) worstStudyP95 = Math.max(worstStudyP95, p95);
      if (kind.name.startsWith('dicom.sql')) addedP95 = p95;
      // The same queries (the same values, from the same seed) as QIDO-RS requests, one at a time on a kept-alive connection.
      const qidoRandom = seeded(1000 + k);
      const qidoMs: number[] = [];
      for (let i = 0; i < perKind; i++) {
        const url = qidoUrl(api.base, kind.make(i, qidoRandom));
        const t = performance.now();
        const res = await fetch(url, { headers: api.auth });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`QIDO-RS ${url} answered ${res.status}`);
        qidoMs.push(performance.now() - t);
      }
      out(
        `  ${kind.name.padEnd(30)} ${percentile(latencies, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${meanMatches.toFixed(1).padStart(14)} ${String(maxMatches).padStart(6)}   ${`${percentile(serverMs, 50).toFixed(1)} / ${percentile(serverMs, 95).toFixed(1)}`.padStart(18)}   ${`${percentile(qidoMs, 50).toFixed(1)} / ${percentile(qidoMs, 95).toFixed(1)}`.padStart(18)}`,
      );
      await rm(dir, { recursive: true, force: true });
    }
    out(`  worst study-level p95: ${worstStudyP95.toFixed(1)} ms (goal: under 15 ms)`);
    if (addedP95 !== undefined) out(`  dicom.sql series key p95: ${addedP95.toFixed(1)} ms (goal: under 20 ms)`);
    await universalQuery(ours, shim, logConfig);
    await storeDuringQuery(ours, shim, work);
  } finally {
    await stop(ours.child);
  }
}
