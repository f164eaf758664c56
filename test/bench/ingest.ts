import { link, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { prepareDataDir, countIndexed, out, peakRssMB, runTool, startOurs, startStorescp, stop } from './common.ts';

/**
 * Ingest: generated CT objects (512x512x16 bit, ~0.5 MB) sent by DCMTK storescu in one association, to storescp and to
 * our server, alternating rounds, best of each; then one large multi-frame object and our peak RSS.
 */

/** CT objects of one study, 100 per series, written to `dir`. */
export async function generateStudy(
  dir: string,
  count: number,
  patientId = 'BENCH',
): Promise<{ files: string[]; studyUid: string }> {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  const files: string[] = [];
  let seriesUid = uid();
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) seriesUid = uid();
    const img = makeImage({ rows: 512, columns: 512, studyUid, seriesUid, instanceNumber: i + 1, patientId });
    const f = path.join(dir, `${String(i).padStart(5, '0')}.dcm`);
    await writeFile(f, img.bytes);
    files.push(f);
  }
  return { files, studyUid };
}

/** A large multi-frame object, written frame by frame so the generator stays small too. */
async function generateBig(file: string, megabytes: number): Promise<void> {
  const frameBytes = 512 * 512 * 2;
  const frames = Math.max(1, Math.floor((megabytes * 1024 * 1024) / frameBytes));
  // A tiny 8x8 object with N frames gives the header; rows, columns and the pixel data length are patched to 512x512.
  const withFrames = makeImage({ rows: 8, columns: 8, frames, patientId: 'BIG' });
  const header = Buffer.from(withFrames.bytes.subarray(0, withFrames.bytes.length - 8 * 8 * 2 * frames));
  patchUS(header, 0x00280010, 512);
  patchUS(header, 0x00280011, 512);
  header.writeUInt32LE(frameBytes * frames, header.length - 4);
  const fh = await open(file, 'w');
  await fh.write(header);
  const frame = Buffer.alloc(frameBytes);
  for (let i = 0; i < frame.length / 2; i++) frame.writeUInt16LE(i % 4096, i * 2);
  for (let f = 0; f < frames; f++) await fh.write(frame);
  await fh.close();
}

function patchUS(buf: Buffer, tag: number, value: number): void {
  const needle = Buffer.alloc(6);
  needle.writeUInt16LE(tag >>> 16, 0);
  needle.writeUInt16LE(tag & 0xffff, 2);
  needle.write('US', 4, 'latin1');
  const at = buf.indexOf(needle);
  if (at < 0) throw new Error('tag to patch not found');
  buf.writeUInt16LE(value, at + 8);
}

/** storescu over a whole folder (a directory scan keeps the command line short). */
export function storescu(
  shim: string,
  port: number,
  calledAe: string,
  dir: string,
  options: string[] = [],
): Promise<{ seconds: number }> {
  return runTool(
    'storescu',
    ['-aet', 'BENCH', ...options, '-aec', calledAe, '--scan-directories', '--no-halt', '127.0.0.1', String(port), dir],
    shim,
  );
}

/** The reference beside a transfer of ours: DCMTK storescu sending `dir` to a fresh storescp on `port`; its seconds. */
export async function storescuToStorescp(shim: string, receiveDir: string, port: number, dir: string): Promise<number> {
  const ref = await startStorescp(shim, receiveDir, 'STORESCP', port);
  try {
    return (await storescu(shim, ref.port, 'STORESCP', dir)).seconds;
  } finally {
    await stop(ref.child);
    await rm(receiveDir, { recursive: true, force: true });
  }
}

/** `files` spread over `n` folders (hard links), one for each sender. */
async function spread(files: string[], n: number, base: string): Promise<string[]> {
  const dirs = Array.from({ length: n }, (_, i) => path.join(base, `sender-${i}`));
  for (const d of dirs) await mkdir(d, { recursive: true });
  await Promise.all(files.map((f, i) => link(f, path.join(dirs[i % n]!, path.basename(f)))));
  return dirs;
}

/** `dirs` sent at once, one storescu (one association) each; the seconds until the last one ends. */
async function sendTogether(shim: string, port: number, calledAe: string, dirs: string[]): Promise<number> {
  const started = performance.now();
  await Promise.all(dirs.map((d) => storescu(shim, port, calledAe, d)));
  return (performance.now() - started) / 1000;
}

/**
 * What durability costs when several modalities send at once: the folder and index flushes are shared by the objects
 * that arrive while one runs (batching), where one sender that waits for each answer leaves nothing to share.
 */
async function durableWithSenders(
  work: string,
  shim: string,
  files: string[],
  senders: number,
  rounds: number,
): Promise<void> {
  const dirs = await spread(files, senders, path.join(work, 'ingest-spread'));
  const times = { scp: [] as number[], durable: [] as number[], fast: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const scpDir = path.join(work, `storescp-many-${round}`);
    const scp = await startStorescp(shim, scpDir);
    times.scp.push(await sendTogether(shim, scp.port, 'STORESCP', dirs));
    await stop(scp.child);
    await rm(scpDir, { recursive: true, force: true });
    for (const durable of [true, false]) {
      const dataDir = path.join(work, `ours-many-${durable}-${round}`);
      if (!durable) await prepareDataDir(dataDir, { DurableWrites: '0' });
      const ours = await startOurs(dataDir);
      (durable ? times.durable : times.fast).push(await sendTogether(shim, ours.port, ours.ae, dirs));
      await stop(ours.child);
      const indexed = await countIndexed(dataDir);
      if (indexed !== files.length) throw new Error(`our index holds ${indexed} instances, expected ${files.length}`);
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  await rm(path.join(work, 'ingest-spread'), { recursive: true, force: true });
  const best = (t: number[]) => Math.min(...t);
  out(`\n${senders} senders at once (${files.length / senders} objects each, one association each), best of ${rounds}`);
  out(
    `  DCMTK storescp                ${best(times.scp).toFixed(2)} s   ${(files.length / best(times.scp)).toFixed(0)} images/s`,
  );
  out(
    `  ours, DurableWrites = 1       ${best(times.durable).toFixed(2)} s   ${(files.length / best(times.durable)).toFixed(0)} images/s`,
  );
  out(
    `  ours, DurableWrites = 0       ${best(times.fast).toFixed(2)} s   ${(files.length / best(times.fast)).toFixed(0)} images/s   (durability costs ${((1 - best(times.fast) / best(times.durable)) * 100).toFixed(0)} % of the rate; goal < 15 %)`,
  );
}

export async function ingestBench(
  work: string,
  shim: string,
  count: number,
  rounds: number,
  bigMb: number,
  senders = 4,
): Promise<void> {
  out(`generating ${count} CT objects (512x512x16 bit) ...`);
  const inDir = path.join(work, 'ingest-in');
  const { files } = await generateStudy(inDir, count);
  const mb = (count * 512 * 512 * 2) / (1024 * 1024);
  const scpTimes: number[] = [];
  const ourTimes: number[] = [];
  const fastTimes: number[] = [];
  /** MB the whole machine wrote to disk during each timed run (Linux: /proc/vmstat), to show what durability writes. */
  const written = { durable: [] as number[], fast: [] as number[] };
  let rss = 0;
  for (let round = 0; round < rounds; round++) {
    const scpDir = path.join(work, `storescp-out-${round}`);
    const scp = await startStorescp(shim, scpDir);
    await settleDisk();
    scpTimes.push((await storescu(shim, scp.port, 'STORESCP', inDir)).seconds);
    await stop(scp.child);
    await rm(scpDir, { recursive: true, force: true });

    const dataDir = path.join(work, `ours-${round}`);
    const ours = await startOurs(dataDir);
    await settleDisk();
    const before = await diskWrittenMB();
    ourTimes.push((await storescu(shim, ours.port, ours.ae, inDir)).seconds);
    written.durable.push((await diskWrittenMB()) - before);
    rss = Math.max(rss, await peakRssMB(ours.child.pid!));
    await stop(ours.child);
    const indexed = await countIndexed(dataDir);
    if (indexed !== count) throw new Error(`our index holds ${indexed} instances, expected ${count}`);
    await rm(dataDir, { recursive: true, force: true });

    // The same without DurableWrites (no fsync of files, folders and the index's log): what durability costs.
    const fastDir = path.join(work, `ours-fast-${round}`);
    await prepareDataDir(fastDir, { DurableWrites: '0' });
    const fast = await startOurs(fastDir);
    await settleDisk();
    const fastBefore = await diskWrittenMB();
    fastTimes.push((await storescu(shim, fast.port, fast.ae, inDir)).seconds);
    written.fast.push((await diskWrittenMB()) - fastBefore);
    await stop(fast.child);
    await rm(fastDir, { recursive: true, force: true });

    out(
      `  round ${round + 1}: storescp ${scpTimes[round]!.toFixed(2)} s, ours ${ourTimes[round]!.toFixed(2)} s, ours without DurableWrites ${fastTimes[round]!.toFixed(2)} s`,
    );
  }
  const tScp = Math.min(...scpTimes);
  const tOurs = Math.min(...ourTimes);
  const rate = (t: number) => count / t;
  out(
    `\ningest of ${count} objects (${mb.toFixed(0)} MB of pixels), DCMTK storescu with TCP_NODELAY, one association, best of ${rounds}`,
  );
  out(`  DCMTK storescp (files only)   ${tScp.toFixed(2)} s   ${rate(tScp).toFixed(0)} images/s`);
  out(
    `  ours (files + SQLite index)   ${tOurs.toFixed(2)} s   ${rate(tOurs).toFixed(0)} images/s   peak RSS ${rss.toFixed(0)} MB`,
  );
  out(`  ratio ours / storescp          ${(rate(tOurs) / rate(tScp)).toFixed(2)}`);
  const tFast = Math.min(...fastTimes);
  out(
    `  ours without DurableWrites     ${tFast.toFixed(2)} s   ${rate(tFast).toFixed(0)} images/s   (durability costs ${((1 - tFast / tOurs) * 100).toFixed(0)} % of the rate; goal < 15 %)`,
  );
  const mbRange = (v: number[]) =>
    v.every(Number.isNaN) ? 'unknown' : `${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)} MB`;
  out(
    `  written to disk while timed: durable ${mbRange(written.durable)}, without DurableWrites ${mbRange(written.fast)} (the rest waits in the page cache)`,
  );
  await checksumCost(work, shim, files, rounds * 4);
  if (senders > 1) await durableWithSenders(work, shim, files, senders, rounds);

  if (bigMb > 0) {
    const bigDir = path.join(work, 'big');
    await mkdir(bigDir, { recursive: true });
    await generateBig(path.join(bigDir, 'big.dcm'), bigMb);
    const big = await startOurs(path.join(work, 'ours-big'));
    const tBig = (await storescu(shim, big.port, big.ae, bigDir)).seconds;
    const rssBig = await peakRssMB(big.child.pid!);
    await stop(big.child);
    const stored = await countIndexed(path.join(work, 'ours-big'));
    out(
      `\none ${bigMb} MB multi-frame object: ${tBig.toFixed(2)} s, indexed ${stored}, our peak RSS ${rssBig.toFixed(0)} MB`,
    );
    await rm(bigDir, { recursive: true, force: true });
    await rm(path.join(work, 'ours-big'), { recursive: true, force: true });
  }
  await rm(inDir, { recursive: true, force: true });
}

/**
 * What the checksum VerifyStorage keeps costs (ChecksumOnArrival): two archives running side by side, one with it (the
 * default) and one without, sent the same objects in `parts` parts, each part to both in turn (which goes first
 * alternates; the disk flushed before each). A slow moment of this shared machine falls on both alike, where separate
 * whole runs differ by 15 % between identical configurations.
 */
async function checksumCost(work: string, shim: string, files: string[], parts: number): Promise<void> {
  const dirs = await spread(files, parts, path.join(work, 'checksum-parts'));
  const withDir = path.join(work, 'ours-checksum');
  const withoutDir = path.join(work, 'ours-no-checksum');
  await prepareDataDir(withoutDir, { ChecksumOnArrival: '0' });
  const withIt = await startOurs(withDir);
  const without = await startOurs(withoutDir);
  const times = { with: [] as number[], without: [] as number[] };
  try {
    for (let i = 0; i < parts; i++) {
      const order = i % 2 ? ([without, withIt] as const) : ([withIt, without] as const);
      for (const server of order) {
        await settleDisk();
        const { seconds } = await storescu(shim, server.port, server.ae, dirs[i]!);
        (server === withIt ? times.with : times.without).push(seconds);
      }
    }
  } finally {
    await stop(withIt.child);
    await stop(without.child);
  }
  for (const dir of [withDir, withoutDir]) {
    const indexed = await countIndexed(dir);
    if (indexed !== files.length) throw new Error(`${dir} holds ${indexed} instances, expected ${files.length}`);
    await rm(dir, { recursive: true, force: true });
  }
  await rm(path.join(work, 'checksum-parts'), { recursive: true, force: true });
  const sum = (t: number[]) => t.reduce((a, b) => a + b, 0);
  const cost = (a: number, b: number) => ((1 - b / a) * 100).toFixed(1);
  const perPart = times.with.map((t, i) => t / times.without[i]!).sort((a, b) => a - b);
  const medianRatio = perPart[Math.floor(perPart.length / 2)]!;
  out(
    `\nthe checksum (ChecksumOnArrival = 1 beside 0, DurableWrites on), ${files.length} objects in ${parts} parts sent to both in turn:`,
  );
  out(`  parts with:    ${times.with.map((t) => t.toFixed(2)).join(' ')}`);
  out(`  parts without: ${times.without.map((t) => t.toFixed(2)).join(' ')}`);
  out(
    `  with ${sum(times.with).toFixed(2)} s, without ${sum(times.without).toFixed(2)} s in all: the checksum costs ${cost(sum(times.with), sum(times.without))} % of the rate; median part ${((1 - 1 / medianRatio) * 100).toFixed(1)} % (goal <= 3 %)`,
  );
}

/**
 * What the run before wrote is flushed before a timed run starts (sync(1); nothing where there is none): storescp and
 * the run without DurableWrites leave hundreds of MB in the page cache, whose write-back would otherwise slow whichever
 * run follows them.
 */
function settleDisk(): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('sync', [], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
  });
}

/** MB written to block devices since boot (Linux /proc/vmstat nr_written, 4 KB pages); NaN elsewhere. */
async function diskWrittenMB(): Promise<number> {
  const vmstat = await readFile('/proc/vmstat', 'utf8').catch(() => '');
  const pages = /^nr_written (\d+)$/m.exec(vmstat);
  return pages ? (Number(pages[1]) * 4096) / (1024 * 1024) : NaN;
}
