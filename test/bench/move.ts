import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, out, prepareDataDir, runTool, startOurs, startStorescp, stop } from './common.ts';
import { generateStudy, storescu, storescuToStorescp } from './ingest.ts';

/**
 * C-MOVE throughput: a 250-image study (0.5 MB objects) stored in our archive, moved by DCMTK movescu to DCMTK
 * storescp, TCP_NODELAY on every socket. Beside it, in the same run, DCMTK's storescu sending the same files to the same
 * storescp: the DCMTK-to-DCMTK rate on this machine at this moment.
 */
export async function moveBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  const inDir = path.join(work, 'move-in');
  const { studyUid } = await generateStudy(inDir, count, 'MOVEBENCH');
  const destPort = await freePort();
  const dataDir = path.join(work, 'move-archive');
  await prepareDataDir(dataDir, {}, [`STORESCP 127.0.0.1 ${destPort} un`]);
  const ours = await startOurs(dataDir);
  try {
    await storescu(shim, ours.port, ours.ae, inDir);
    const moveTimes: number[] = [];
    const serverTimes: number[] = [];
    const storeTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const outDir = path.join(work, `move-out-${round}`);
      const scp = await startStorescp(shim, outDir, 'STORESCP', destPort);
      const logBefore = ours.log().length;
      const { seconds } = await runTool(
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
      moveTimes.push(seconds);
      const done = /C-MOVE of (\d+) object\(s\) to STORESCP: (\d+) completed.* in (\d+) ms/.exec(
        ours.log().slice(logBefore),
      );
      if (!done || Number(done[2]) !== count)
        throw new Error(
          `the move did not complete all ${count} objects: ${ours.log().slice(logBefore, logBefore + 2000)}`,
        );
      serverTimes.push(Number(done[3]) / 1000);
      await stop(scp.child);
      await rm(outDir, { recursive: true, force: true });

      storeTimes.push(await storescuToStorescp(shim, path.join(work, `move-ref-${round}`), destPort, inDir));
      out(
        `  round ${round + 1}: movescu ${seconds.toFixed(2)} s (server ${serverTimes[round]!.toFixed(2)} s), storescu -> storescp ${storeTimes[round]!.toFixed(2)} s`,
      );
    }
    const rate = (t: number) => (count / t).toFixed(0);
    const best = (v: number[]) => Math.min(...v);
    out(
      `\nC-MOVE of a ${count}-image study (0.5 MB objects) to DCMTK storescp, TCP_NODELAY everywhere, best of ${rounds}`,
    );
    out(
      `  ours, as movescu sees it (process start to final response)  ${best(moveTimes).toFixed(2)} s   ${rate(best(moveTimes))} images/s`,
    );
    out(
      `  ours, first to last sub-operation (server log)               ${best(serverTimes).toFixed(2)} s   ${rate(best(serverTimes))} images/s`,
    );
    out(
      `  reference: DCMTK storescu -> storescp, same files            ${best(storeTimes).toFixed(2)} s   ${rate(best(storeTimes))} images/s`,
    );
    out(`  goal: at least 1000 images/s`);
  } finally {
    await stop(ours.child);
    await rm(dataDir, { recursive: true, force: true });
    await rm(inDir, { recursive: true, force: true });
  }
}
