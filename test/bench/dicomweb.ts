import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  apiOf,
  freePort,
  out,
  prepareDataDir,
  runTool,
  startOurs,
  startStorescp,
  stop,
  countIndexed,
} from './common.ts';
import { generateStudy, storescu } from './ingest.ts';
import { multipartOf } from '../helpers/dicomweb.ts';

/**
 * DICOMweb beside DIMSE (issue 15), in the same run: a study of `count` 0.5 MB objects retrieved with WADO-RS as
 * stored by curl (which writes the multipart body to disk) beside our C-MOVE of it to storescp (which writes each
 * object to disk); STOW-RS of the same files by curl (requests of 50 objects, two at a time) beside storescu's C-STORE
 * of them; and QIDO-RS study searches beside C-FIND (findscu) on the same small index.
 */

export async function dicomWebBench(
  work: string,
  shim: string,
  count: number,
  stowCount: number,
  rounds: number,
): Promise<void> {
  const inDir = path.join(work, 'dicomweb-in');
  out(`\ngenerating ${count} CT objects for DICOMweb ...`);
  const { studyUid } = await generateStudy(inDir, count, 'WEBBENCH');
  const destPort = await freePort();
  const dataDir = path.join(work, 'dicomweb-archive');
  await prepareDataDir(dataDir, {}, [`STORESCP 127.0.0.1 ${destPort} as`]);
  const ours = await startOurs(dataDir);
  const { base, auth } = await apiOf(ours);
  const wado: number[] = [];
  const move: number[] = [];
  const stowTimes: number[] = [];
  const storeTimes: number[] = [];
  const qido: number[] = [];
  const find: number[] = [];
  try {
    await storescu(shim, ours.port, ours.ae, inDir);
    for (let round = 0; round < rounds; round++) {
      // curl as the client: a native program writing what it receives to disk, as storescp is for C-MOVE.
      const file = path.join(work, `wado-${round}.multipart`);
      let started = performance.now();
      await runTool(
        'curl',
        [
          '-sS',
          '-f',
          '-o',
          file,
          '-H',
          `Authorization: ${auth.authorization}`,
          '-H',
          'Accept: multipart/related; type="application/dicom"; transfer-syntax=*',
          `${base}/studies/${studyUid}`,
        ],
        shim,
      );
      wado.push((performance.now() - started) / 1000);
      if ((await stat(file)).size < count * 500_000) throw new Error('WADO-RS gave less than the study');
      await rm(file, { force: true });

      const outDir = path.join(work, `dicomweb-move-${round}`);
      const scp = await startStorescp(shim, outDir, 'STORESCP', destPort);
      started = performance.now();
      await runTool(
        'movescu',
        [
          '-S',
          '-aet',
          'BENCH',
          '-aec',
          ours.ae,
          '-aem',
          'STORESCP',
          '127.0.0.1',
          String(ours.port),
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          `StudyInstanceUID=${studyUid}`,
        ],
        shim,
      );
      move.push((performance.now() - started) / 1000);
      await stop(scp.child);
      await rm(outDir, { recursive: true, force: true });
      out(`  round ${round + 1}: WADO-RS ${wado[round]!.toFixed(2)} s, C-MOVE ${move[round]!.toFixed(2)} s`);
    }
    // QIDO-RS beside C-FIND: the same study search, 50 times each.
    for (let i = 0; i < 50; i++) {
      let t = performance.now();
      const r = await fetch(`${base}/studies?PatientID=WEBBENCH`, { headers: auth });
      await r.arrayBuffer();
      qido.push(performance.now() - t);
      t = performance.now();
      await runTool(
        'findscu',
        [
          '-S',
          '-aec',
          ours.ae,
          '127.0.0.1',
          String(ours.port),
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          'PatientID=WEBBENCH',
          '-k',
          'StudyInstanceUID',
        ],
        shim,
      );
      find.push(performance.now() - t);
    }
  } finally {
    await stop(ours.child);
    await rm(dataDir, { recursive: true, force: true });
  }
  // STOW-RS beside C-STORE of `stowCount` other objects, each into a fresh archive.
  await rm(inDir, { recursive: true, force: true });
  const stowIn = path.join(work, 'stow-in');
  await generateStudy(stowIn, stowCount, 'STOWBENCH');
  const files = (await readdir(stowIn)).map((f) => path.join(stowIn, f));
  for (let round = 0; round < rounds; round++) {
    const stowDir = path.join(work, `stow-archive-${round}`);
    await prepareDataDir(stowDir, {});
    const target = await startOurs(stowDir);
    try {
      const api = await apiOf(target);
      // The request bodies are made beforehand (storescu too reads ready files); curl sends them, two at a time.
      const bodies: string[] = [];
      let contentType = '';
      for (let i = 0; i < files.length; i += 50) {
        const made = multipartOf(await Promise.all(files.slice(i, i + 50).map((f) => readFile(f))));
        contentType = made.contentType;
        const bodyFile = path.join(work, `stow-${round}-${i}.multipart`);
        await writeFile(bodyFile, made.body);
        bodies.push(bodyFile);
      }
      const started = performance.now();
      let next = 0;
      const lane = async () => {
        while (next < bodies.length) {
          const bodyFile = bodies[next++]!;
          await runTool(
            'curl',
            [
              '-sS',
              '-f',
              '-o',
              '/dev/null',
              '-H',
              `Authorization: ${api.auth.authorization}`,
              '-H',
              `Content-Type: ${contentType}`,
              '--data-binary',
              `@${bodyFile}`,
              `${api.base}/studies`,
            ],
            shim,
          );
        }
      };
      await Promise.all([lane(), lane()]);
      stowTimes.push((performance.now() - started) / 1000);
      for (const f of bodies) await rm(f, { force: true });
      if ((await countIndexed(stowDir)) !== files.length) throw new Error('STOW-RS did not store every object');
    } finally {
      await stop(target.child);
      await rm(stowDir, { recursive: true, force: true });
    }
    const storeDir = path.join(work, `store-archive-${round}`);
    await prepareDataDir(storeDir, {});
    const other = await startOurs(storeDir);
    try {
      storeTimes.push((await storescu(shim, other.port, other.ae, stowIn)).seconds);
    } finally {
      await stop(other.child);
      await rm(storeDir, { recursive: true, force: true });
    }
    out(
      `  round ${round + 1}: STOW-RS ${stowTimes[round]!.toFixed(2)} s, C-STORE (storescu) ${storeTimes[round]!.toFixed(2)} s`,
    );
  }
  await rm(stowIn, { recursive: true, force: true });
  const best = (v: number[]) => Math.min(...v);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  out(`\nDICOMweb beside DIMSE, objects of 0.5 MB, best of ${rounds}`);
  out(
    `  WADO-RS retrieve of ${count}, as stored (curl)  ${best(wado).toFixed(2)} s   ${(count / best(wado)).toFixed(0)} images/s`,
  );
  out(
    `  C-MOVE of the same study to storescp       ${best(move).toFixed(2)} s   ${(count / best(move)).toFixed(0)} images/s   (goal: WADO-RS at least as fast)`,
  );
  out(
    `  STOW-RS of ${stowCount} (curl, 50 a request, 2 at a time)  ${best(stowTimes).toFixed(2)} s   ${(stowCount / best(stowTimes)).toFixed(0)} images/s`,
  );
  out(
    `  C-STORE of the same by storescu            ${best(storeTimes).toFixed(2)} s   ${(stowCount / best(storeTimes)).toFixed(0)} images/s`,
  );
  out(`  QIDO-RS study search, median of 50         ${median(qido).toFixed(1)} ms (HTTP request to last byte)`);
  out(`  C-FIND by findscu, median of 50            ${median(find).toFixed(1)} ms (process start to exit)`);
}
