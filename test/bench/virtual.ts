import { watch } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, out, percentile, prepareDataDir, runTool, startOurs, startStorescp, stop } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';

/**
 * Virtual servers: a second archive of ours (BIGPACS) holding the studies, and one in front of it (CACHE, with
 * VirtualServerFor0 = BIGPACS) holding none. C-FIND of every study by findscu, to BIGPACS itself and through CACHE
 * (merged), alternating; then, for each round's study, a C-MOVE to a storescp from BIGPACS directly and the same study
 * through CACHE (which fetches it first): when the first object reaches the storescp, and when the move ends.
 */
export async function virtualBench(
  work: string,
  shim: string,
  count: number,
  rounds: number,
  queries: number,
): Promise<void> {
  const [bigPort, cachePort, destPort] = [await freePort(), await freePort(), await freePort()];
  const bigDir = path.join(work, 'virtual-big');
  const cacheDir = path.join(work, 'virtual-cache');
  await prepareDataDir(bigDir, { MyACRNema: 'BIGPACS' }, [
    `CACHE 127.0.0.1 ${cachePort} un`,
    `VIEWER 127.0.0.1 ${destPort} un`,
  ]);
  await prepareDataDir(cacheDir, { MyACRNema: 'CACHE', VirtualServerFor0: 'BIGPACS', CacheVirtualData: '0' }, [
    `BIGPACS 127.0.0.1 ${bigPort} un`,
    `VIEWER 127.0.0.1 ${destPort} un`,
  ]);
  const big = await startOurs(bigDir, bigPort);
  const cache = await startOurs(cacheDir, cachePort);
  try {
    out(
      `virtual server: ${rounds} studies of ${count} objects (512x512x16 bit) on BIGPACS, none on CACHE in front of it`,
    );
    const studies: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const dir = path.join(work, `virtual-in-${r}`);
      const { studyUid } = await generateStudy(dir, count, `VIRT${r}`);
      await storescu(shim, big.port, big.ae, dir);
      await rm(dir, { recursive: true, force: true });
      studies.push(studyUid);
    }

    const find = async (port: number, ae: string) =>
      (
        await runTool(
          'findscu',
          [
            '-S',
            '-aec',
            ae,
            '-k',
            'QueryRetrieveLevel=STUDY',
            '-k',
            'StudyInstanceUID',
            '-k',
            'PatientName',
            '127.0.0.1',
            String(port),
          ],
          shim,
        )
      ).seconds * 1000;
    const direct: number[] = [];
    const merged: number[] = [];
    for (let q = 0; q < queries; q++) {
      direct.push(await find(big.port, 'BIGPACS'));
      merged.push(await find(cache.port, 'CACHE'));
    }
    const p = (v: number[], n: number) => percentile(v, n).toFixed(1);
    out(`\nC-FIND of all ${rounds} studies by findscu (process start included), ${queries} each, alternating`);
    out(`  BIGPACS directly        p50 ${p(direct, 50)} ms   p95 ${p(direct, 95)} ms`);
    out(
      `  through CACHE (merged)  p50 ${p(merged, 50)} ms   p95 ${p(merged, 95)} ms   (+${(percentile(merged, 50) - percentile(direct, 50)).toFixed(1)} ms at p50; goal: within the upstream's latency + 30 ms)`,
    );

    out(`\nC-MOVE of a ${count}-object study to storescp: first object there, and the whole move`);
    const firsts = { direct: [] as number[], through: [] as number[] };
    const wholes = { direct: [] as number[], through: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const via of ['direct', 'through'] as const) {
        const outDir = path.join(work, `virtual-out-${r}-${via}`);
        const scp = await startStorescp(shim, outDir, 'VIEWER', destPort);
        const started = performance.now();
        let first = 0;
        const watcher = watch(outDir, () => {
          first ||= performance.now() - started;
        });
        const [port, ae] = via === 'direct' ? [big.port, 'BIGPACS'] : [cache.port, 'CACHE'];
        const { seconds, output } = await runTool(
          'movescu',
          [
            '-S',
            '-aec',
            ae,
            '-aem',
            'VIEWER',
            '-k',
            'QueryRetrieveLevel=STUDY',
            '-k',
            `StudyInstanceUID=${studies[r]}`,
            '127.0.0.1',
            String(port),
          ],
          shim,
        );
        watcher.close();
        await stop(scp.child);
        if (!first) throw new Error(`nothing reached storescp through ${via}: ${output.slice(-2000)}`);
        firsts[via].push(first);
        wholes[via].push(seconds * 1000);
        await rm(outDir, { recursive: true, force: true });
      }
      out(
        `  round ${r + 1}: direct first ${firsts.direct[r]!.toFixed(0)} ms, all ${wholes.direct[r]!.toFixed(0)} ms; through CACHE first ${firsts.through[r]!.toFixed(0)} ms, all ${wholes.through[r]!.toFixed(0)} ms`,
      );
    }
    const best = (v: number[]) => Math.min(...v);
    out(
      `  first object through CACHE / direct, best of ${rounds}: ${(best(firsts.through) / best(firsts.direct)).toFixed(2)}x (goal <= 1.3x); whole move ${(best(wholes.through) / best(wholes.direct)).toFixed(2)}x`,
    );
  } finally {
    await stop(cache.child);
    await stop(big.child);
    await rm(bigDir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  }
}
