import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveServer } from '../../main/server.ts';
import { Logger } from '../../main/util/log.ts';
import { freePort, out, prepareDataDir, startStorescp, stop } from './common.ts';
import { generateStudy, storescu, storescuToStorescp } from './ingest.ts';

/**
 * C-STORE SCU: 1000 objects (0.5 MB) in our archive sent to DCMTK storescp as one send job (the product's path: job,
 * index lookups, files read back, one association), beside DCMTK storescu sending the same files to storescp, in
 * alternating rounds. Our server runs in this process here, since the send is started through the core's API.
 */
export async function sendBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  const inDir = path.join(work, 'send-in');
  const { studyUid } = await generateStudy(inDir, count, 'SENDBENCH');
  const destPort = await freePort();
  const dataDir = await mkdtemp(path.join(work, 'send-archive-'));
  await prepareDataDir(dataDir, { MyACRNema: 'SENDER', ListenAddress: '127.0.0.1' }, [
    `STORESCP 127.0.0.1 ${destPort} un`,
  ]);
  const server = new ArchiveServer({
    dataDir,
    configDir: path.join(dataDir, 'config'),
    port: 0,
    apiPort: 0,
    logger: new Logger('warn'),
  });
  await server.start();
  try {
    await storescu(shim, server.port, 'SENDER', inDir);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const outDir = path.join(work, `send-out-${round}`);
      const scp = await startStorescp(shim, outDir, 'STORESCP', destPort);
      const started = performance.now();
      const job = await server.transfers.send('STORESCP', 'STUDY', studyUid);
      await server.transfers.queue.idle();
      ours.push((performance.now() - started) / 1000);
      const done = await server.transfers.queue.get(job.id);
      if (done?.state !== 'done' || done.done !== count)
        throw new Error(`send job ended ${done?.state} with ${done?.done}/${count}: ${done?.error}`);
      await stop(scp.child);
      await rm(outDir, { recursive: true, force: true });

      theirs.push(await storescuToStorescp(shim, path.join(work, `send-ref-${round}`), destPort, inDir));
      out(
        `  round ${round + 1}: our send job ${ours[round]!.toFixed(2)} s, DCMTK storescu ${theirs[round]!.toFixed(2)} s`,
      );
    }
    const best = (v: number[]) => Math.min(...v);
    const rate = (t: number) => count / t;
    out(`\nC-STORE SCU: ${count} objects (0.5 MB) to DCMTK storescp (TCP_NODELAY), one association, best of ${rounds}`);
    out(
      `  ours, one send job (index, files read back)   ${best(ours).toFixed(2)} s   ${rate(best(ours)).toFixed(0)} images/s`,
    );
    out(
      `  DCMTK storescu, the same files                 ${best(theirs).toFixed(2)} s   ${rate(best(theirs)).toFixed(0)} images/s`,
    );
    out(
      `  ratio ours / storescu                          ${(rate(best(ours)) / rate(best(theirs))).toFixed(2)}   (goal: at least 1.0)`,
    );
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(inDir, { recursive: true, force: true });
  }
}
