import { availableParallelism } from 'node:os';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { countIndexed, freePort, out, prepareDataDir, runTool, startOurs, startStorescp, stop } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';
import { PROPOSE, TS, compressedFile } from '../helpers/compressed.ts';
import { decodeFrame } from '../../main/codec/decoders.ts';
import { encodeFrame } from '../../main/codec/encoders.ts';
import { framesOf } from '../../main/codec/fragments.ts';
import { pixelModuleOf } from '../../main/codec/pixel-module.ts';
import { parseDataSet } from '../../main/dicom/dataset.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { encodingOf } from '../../common/uids.ts';

/**
 * Transcoding C-MOVE (issue 21): a study stored compressed (JPEG-LS lossless, JPEG lossless SV1, JPEG 2000 lossless)
 * moved to a storescp that takes only uncompressed syntaxes, so every object is decoded on the way. Beside it, each
 * codec's own decode time per image in one thread, measured in the same run: the machine's limit is
 * cores x 1000 / decode ms; the goal is a move at 0.8 of that limit or more.
 */
const CODECS: [string, string][] = [
  ['JPEG-LS lossless', TS.jpegLs],
  ['JPEG lossless SV1', TS.jpegLossless],
  ['JPEG 2000 lossless', TS.jpeg2000],
];

async function compressAll(files: string[], dir: string, ts: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Two encoders at a time (two cores).
  for (let at = 0; at < files.length; at += 2) {
    await Promise.all(
      files.slice(at, at + 2).map(async (f) => {
        const bytes = await readFile(f);
        const meta = readFileMeta(bytes);
        await compressedFile(dir, { bytes, sopUid: meta.sopInstanceUid, studyUid: '', seriesUid: '' }, ts, 512, 512);
      }),
    );
  }
  for (const f of await readdir(dir))
    if (!/^[0-9.]+\.dcm$/.test(f) || f.endsWith('.source.dcm')) await rm(path.join(dir, f), { force: true });
}

/** Milliseconds to decode one frame of `file`, in this thread, median of `reps`. */
async function decodeMs(file: string, ts: string, reps = 15): Promise<number> {
  const bytes = await readFile(file);
  const meta = readFileMeta(bytes);
  const ds = parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(ts));
  const pixels = pixelModuleOf(ds);
  const [frame] = framesOf((ds.get(0x7fe00010)!.value as { fragments: Buffer }).fragments, 1);
  return medianMs(() => decodeFrame(ts, frame!, pixels), reps);
}

/** Median milliseconds of `work` over `reps` runs, after one run that loads its codec. */
async function medianMs(work: () => Promise<unknown>, reps: number): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await work();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

/** Milliseconds to JPEG-LS encode one uncompressed frame of `file`, in this thread, median of `reps`. */
async function encodeMs(file: string, reps = 15): Promise<number> {
  const bytes = await readFile(file);
  const meta = readFileMeta(bytes);
  const ds = parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid));
  const pixels = pixelModuleOf(ds);
  const frame = ds.get(0x7fe00010)!.value as Buffer;
  return medianMs(() => encodeFrame(TS.jpegLs, frame, pixels), reps);
}

export async function transcodeBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  const plainDir = path.join(work, 'transcode-plain');
  out(`\ngenerating ${count} CT objects (512x512x16 bit) and compressing them with DCMTK and OpenJPEG ...`);
  const { files, studyUid } = await generateStudy(plainDir, count, 'TRANSBENCH');
  const cores = availableParallelism();
  const rows: string[] = [];

  /** Images a second of the best of `rounds` C-MOVEs of the study stored from `dir` to an uncompressed-only storescp. */
  async function moveRate(dir: string, storescuOptions: string[], name = 'uncompressed'): Promise<number> {
    const destPort = await freePort();
    const dataDir = path.join(work, `transcode-archive-${name.replace(/\W/g, '')}`);
    await prepareDataDir(dataDir, {}, [`PLAIN 127.0.0.1 ${destPort} un`]);
    const ours = await startOurs(dataDir);
    try {
      await storescu(shim, ours.port, ours.ae, dir, storescuOptions);
      const serverTimes: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const outDir = path.join(work, `transcode-out-${round}`);
        const scp = await startStorescp(shim, outDir, 'PLAIN', destPort, []);
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
            'PLAIN',
            '127.0.0.1',
            String(ours.port),
            '-k',
            'QueryRetrieveLevel=STUDY',
            '-k',
            `StudyInstanceUID=${studyUid}`,
          ],
          shim,
        );
        const done = /C-MOVE of (\d+) object\(s\) to PLAIN: (\d+) completed.* in (\d+) ms/.exec(
          ours.log().slice(logBefore),
        );
        if (!done || Number(done[2]) !== count)
          throw new Error(
            `the ${name} move did not complete all ${count} objects: ${ours.log().slice(logBefore, logBefore + 2000)}`,
          );
        serverTimes.push(Number(done[3]) / 1000);
        out(
          `  ${name} round ${round + 1}: movescu ${seconds.toFixed(2)} s, server ${serverTimes[round]!.toFixed(2)} s`,
        );
        await stop(scp.child);
        await rm(outDir, { recursive: true, force: true });
      }
      return count / Math.min(...serverTimes);
    } finally {
      await stop(ours.child);
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  /**
   * A modality's C-STORE of another study into the archive, alone and while the archive decodes the JPEG 2000 study
   * (stored from `dir`) for a C-MOVE: images a second of each, best of `rounds`.
   */
  async function storeBesideMove(dir: string): Promise<{ alone: number; beside: number }> {
    const destPort = await freePort();
    const dataDir = path.join(work, 'transcode-beside');
    await prepareDataDir(dataDir, {}, [`PLAIN 127.0.0.1 ${destPort} un`]);
    const ours = await startOurs(dataDir);
    const alone: number[] = [];
    const beside: number[] = [];
    try {
      await storescu(shim, ours.port, ours.ae, dir, [PROPOSE[TS.jpeg2000]!]);
      for (let round = 0; round < rounds; round++) {
        for (const [during, times] of [
          [false, alone],
          [true, beside],
        ] as const) {
          const modalityDir = path.join(work, `transcode-modality-${round}-${during}`);
          await generateStudy(modalityDir, count, `MODALITY${round}${during ? 'B' : 'A'}`);
          const outDir = path.join(work, 'transcode-beside-out');
          const scp = during ? await startStorescp(shim, outDir, 'PLAIN', destPort, []) : undefined;
          const move = during
            ? runTool(
                'movescu',
                [
                  '-S',
                  '-aet',
                  'BENCH',
                  '-aec',
                  ours.ae,
                  '-aem',
                  'PLAIN',
                  '127.0.0.1',
                  String(ours.port),
                  '-k',
                  'QueryRetrieveLevel=STUDY',
                  '-k',
                  `StudyInstanceUID=${studyUid}`,
                ],
                shim,
              )
            : undefined;
          times.push((await storescu(shim, ours.port, ours.ae, modalityDir)).seconds);
          await move;
          if (scp) await stop(scp.child);
          await rm(outDir, { recursive: true, force: true });
          await rm(modalityDir, { recursive: true, force: true });
          out(
            `  C-STORE of ${count} ${during ? 'beside a decoding C-MOVE' : 'alone'}, round ${round + 1}: ${times[round]!.toFixed(2)} s`,
          );
        }
      }
    } finally {
      await stop(ours.child);
      await rm(dataDir, { recursive: true, force: true });
    }
    return { alone: count / Math.min(...alone), beside: count / Math.min(...beside) };
  }

  let beside: { alone: number; beside: number } | undefined;
  try {
    // The same study moved uncompressed, in the same run: the sending, storescp's receiving and its disk share the
    // cores with the decoders, so the pipeline's own limit is 1 / (1 / decode limit + 1 / this rate).
    const plainRate = await moveRate(plainDir, []);
    rows.push(
      `  ${'uncompressed'.padEnd(20)} ${'-'.padStart(8)}    ${'-'.padStart(10)}       ${plainRate.toFixed(0).padStart(10)} img/s`,
    );
    for (const [name, ts] of CODECS) {
      const dir = path.join(work, `transcode-${ts}`);
      await compressAll(files, dir, ts);
      const compressed = (await readdir(dir)).map((f) => path.join(dir, f));
      const ms = await decodeMs(compressed[0]!, ts);
      const limit = (Math.min(cores, 4) * 1000) / ms;
      const pipeline = 1 / (1 / limit + 1 / plainRate);
      try {
        const rate = await moveRate(dir, [PROPOSE[ts]!], name);
        rows.push(
          `  ${name.padEnd(20)} ${ms.toFixed(1).padStart(8)} ms ${limit.toFixed(0).padStart(10)} img/s ${rate.toFixed(0).padStart(10)} img/s ${(rate / limit).toFixed(2).padStart(7)} ${(rate / pipeline).toFixed(2).padStart(9)}`,
        );
        if (ts === TS.jpeg2000) beside = await storeBesideMove(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    // Ingest with IncomingCompression = js: each object answered as it came, then JPEG-LS encoded in the background.
    // Two figures: what the modality sees (storescu's time), and the time until the last object is compressed.
    const encodeMsPerImage = await encodeMs(files[0]!);
    const encodeLimit = (Math.min(cores, 4) * 1000) / encodeMsPerImage;
    const ingestTimes: number[] = [];
    const compressedTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const dataDir = path.join(work, `transcode-ingest-${round}`);
      await prepareDataDir(dataDir, { IncomingCompression: 'js' });
      const ours = await startOurs(dataDir);
      try {
        const started = performance.now();
        ingestTimes.push((await storescu(shim, ours.port, ours.ae, plainDir)).seconds);
        while ((await countIndexed(dataDir, TS.jpegLs)) < count) await new Promise((r) => setTimeout(r, 20));
        compressedTimes.push((performance.now() - started) / 1000);
        out(
          `  ingest with IncomingCompression = js, round ${round + 1}: answered in ${ingestTimes[round]!.toFixed(2)} s, all compressed in ${compressedTimes[round]!.toFixed(2)} s`,
        );
      } finally {
        await stop(ours.child);
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    const ingestRate = count / Math.min(...ingestTimes);
    const compressedRate = count / Math.min(...compressedTimes);
    rows.push(
      `  ${'ingest, js'.padEnd(20)} ${encodeMsPerImage.toFixed(1).padStart(8)} ms ${encodeLimit.toFixed(0).padStart(10)} img/s ${compressedRate.toFixed(0).padStart(10)} img/s ${(compressedRate / encodeLimit).toFixed(2).padStart(7)}   (answered at ${ingestRate.toFixed(0)} img/s)`,
    );
  } finally {
    await rm(plainDir, { recursive: true, force: true });
  }
  out(
    `\ntranscoding C-MOVE of ${count} CT objects to a storescp that takes only uncompressed syntaxes, best of ${rounds}; ${Math.min(cores, 4)} codec worker(s)`,
  );
  out(
    `  ${'codec'.padEnd(20)} ${'decode/img'.padStart(11)} ${'limit'.padStart(16)} ${'C-MOVE'.padStart(16)} ${'ratio'.padStart(7)} ${'pipeline'.padStart(9)}`,
  );
  for (const r of rows) out(r);
  out('  goal: every ratio at least 0.8 (the limit: cores x 1000 / decode (encode, for ingest) ms in one thread)');
  out(
    '  pipeline: the rate over 1 / (1 / limit + 1 / the uncompressed rate), the limit when decoding and moving share the cores',
  );
  if (beside) {
    out(
      `\na modality's C-STORE of ${count} objects: alone ${beside.alone.toFixed(0)} img/s, beside a JPEG 2000 decoding C-MOVE ${beside.beside.toFixed(0)} img/s` +
        ` (ratio ${(beside.beside / beside.alone).toFixed(2)}; the move's decoders and the store share ${cores} core(s))`,
    );
  }
}
