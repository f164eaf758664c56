import { createWriteStream } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { freePort, out, prepareDataDir, runTool, startOurs, startStorescp, stop, countIndexed, type OurServer } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';
import { multipartOf } from '../helpers/dicomweb.ts';

/**
 * DICOMweb beside DIMSE (issue 15), in the same run: a study of `count` 0.5 MB objects retrieved with WADO-RS as
 * stored (the multipart body written to disk by the client) beside our C-MOVE of it to storescp (which writes each
 * object to disk); STOW-RS of the same files (in requests of 50 objects, two requests at a time) beside storescu's
 * C-STORE of them; and QIDO-RS study searches beside C-FIND (findscu) on the same small index.
 */

/** The server's DICOMweb base and secret, from the line it prints after LISTENING. */
async function apiOf(server: OurServer): Promise<{ base: string; auth: Record<string, string> }> {
  for (let i = 0; i < 100; i++) {
    const m = /API (http:\/\/\S+)\/\?token=(\S+)/.exec(server.log());
    if (m) return { base: `${m[1]}/dicom-web`, auth: { authorization: `Bearer ${m[2]}` } };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no API line in the server's output: ${server.log().slice(0, 2000)}`);
}

export async function dicomWebBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
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
      const file = path.join(work, `wado-${round}.multipart`);
      let started = performance.now();
      const res = await fetch(`${base}/studies/${studyUid}`, { headers: { ...auth, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
      if (!res.ok || !res.body) throw new Error(`WADO-RS answered ${res.status}`);
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
      wado.push((performance.now() - started) / 1000);
      await rm(file, { force: true });

      const outDir = path.join(work, `dicomweb-move-${round}`);
      const scp = await startStorescp(shim, outDir, 'STORESCP', destPort);
      started = performance.now();
      await runTool('movescu', ['-S', '-aet', 'BENCH', '-aec', ours.ae, '-aem', 'STORESCP', '127.0.0.1', String(ours.port),
        '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${studyUid}`], shim);
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
      await runTool('findscu', ['-S', '-aec', ours.ae, '127.0.0.1', String(ours.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientID=WEBBENCH', '-k', 'StudyInstanceUID'], shim);
      find.push(performance.now() - t);
    }
  } finally {
    await stop(ours.child);
    await rm(dataDir, { recursive: true, force: true });
  }
  // STOW-RS beside C-STORE, each into a fresh archive.
  const files = (await readdir(inDir)).map((f) => path.join(inDir, f));
  for (let round = 0; round < rounds; round++) {
    const stowDir = path.join(work, `stow-archive-${round}`);
    await prepareDataDir(stowDir, {});
    const target = await startOurs(stowDir);
    try {
      const api = await apiOf(target);
      const batches: string[][] = [];
      for (let i = 0; i < files.length; i += 50) batches.push(files.slice(i, i + 50));
      const started = performance.now();
      let next = 0;
      const lane = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const { body, contentType } = multipartOf(await Promise.all(batch.map((f) => readFile(f))));
          const r = await fetch(`${api.base}/studies`, { method: 'POST', headers: { ...api.auth, 'content-type': contentType }, body });
          if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}: ${await r.text()}`);
        }
      };
      await Promise.all([lane(), lane()]);
      stowTimes.push((performance.now() - started) / 1000);
      if ((await countIndexed(stowDir)) !== files.length) throw new Error('STOW-RS did not store every object');
    } finally {
      await stop(target.child);
      await rm(stowDir, { recursive: true, force: true });
    }
    const storeDir = path.join(work, `store-archive-${round}`);
    await prepareDataDir(storeDir, {});
    const other = await startOurs(storeDir);
    try {
      storeTimes.push((await storescu(shim, other.port, other.ae, inDir)).seconds);
    } finally {
      await stop(other.child);
      await rm(storeDir, { recursive: true, force: true });
    }
    out(`  round ${round + 1}: STOW-RS ${stowTimes[round]!.toFixed(2)} s, C-STORE (storescu) ${storeTimes[round]!.toFixed(2)} s`);
  }
  await rm(inDir, { recursive: true, force: true });
  const best = (v: number[]) => Math.min(...v);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  out(`\nDICOMweb beside DIMSE, ${count} objects of 0.5 MB, best of ${rounds}`);
  out(`  WADO-RS retrieve of the study, as stored   ${best(wado).toFixed(2)} s   ${(count / best(wado)).toFixed(0)} images/s`);
  out(`  C-MOVE of the study to storescp            ${best(move).toFixed(2)} s   ${(count / best(move)).toFixed(0)} images/s   (goal: WADO-RS at least as fast)`);
  out(`  STOW-RS (50 a request, 2 at a time)        ${best(stowTimes).toFixed(2)} s   ${(count / best(stowTimes)).toFixed(0)} images/s`);
  out(`  C-STORE by storescu                        ${best(storeTimes).toFixed(2)} s   ${(count / best(storeTimes)).toFixed(0)} images/s`);
  out(`  QIDO-RS study search, median of 50         ${median(qido).toFixed(1)} ms (HTTP request to last byte)`);
  out(`  C-FIND by findscu, median of 50            ${median(find).toFixed(1)} ms (process start to exit)`);
}
