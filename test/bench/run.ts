/**
 * npm run bench: ingest figures, ours beside DCMTK's storescp in the same run (not part of the tests).
 *   1. 1000 generated CT objects (512x512x16 bit, ~0.5 MB) sent by DCMTK storescu in one association, to storescp and to
 *      our server; both receivers and the sender get TCP_NODELAY (the shared LD_PRELOAD shim for the DCMTK tools).
 *   2. One 1 GB multi-frame object into a fresh server: its peak RSS.
 * Each receiver gets ROUNDS alternating runs into a fresh folder; the best run of each is compared, since a shared
 * 2-core machine is noisy.
 * Options: --count N (default 1000), --rounds N (default 3), --big-mb N (default 1024, 0 skips), --keep.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, readFile, writeFile, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { requireTool } from '../helpers/dcmtk.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIM_SOURCE = path.resolve(ROOT, '../shared/tools/nodelay.c');

const { values } = parseArgs({ options: { count: { type: 'string' }, rounds: { type: 'string' }, 'big-mb': { type: 'string' }, keep: { type: 'boolean' } } });
const COUNT = Number(values.count ?? 1000);
const ROUNDS = Number(values.rounds ?? 3);
const BIG_MB = Number(values['big-mb'] ?? 1024);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Peak resident set size of a process (VmHWM), in MB. */
async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function buildShim(work: string): string {
  if (!existsSync(SHIM_SOURCE)) throw new Error(`TCP_NODELAY shim source not found at ${SHIM_SOURCE} (../shared/tools/nodelay.c)`);
  const out = path.join(work, 'nodelay.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, SHIM_SOURCE, '-ldl']);
  return out;
}

async function generate(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const seriesUid = i % 100 === 0 || !files.length ? uid() : undefined;
    const img = makeImage({ rows: 512, columns: 512, studyUid, seriesUid: seriesUid ?? lastSeries, instanceNumber: i + 1, patientId: 'BENCH' });
    lastSeries = img.seriesUid;
    const f = path.join(dir, `${String(i).padStart(5, '0')}.dcm`);
    await writeFile(f, img.bytes);
    files.push(f);
  }
  return files;
}
let lastSeries = '';

/** A 1 GB (by default) multi-frame object, written frame by frame so the generator stays small too. */
async function generateBig(file: string, megabytes: number): Promise<void> {
  const frameBytes = 512 * 512 * 2;
  const frames = Math.max(1, Math.floor((megabytes * 1024 * 1024) / frameBytes));
  // A tiny 8x8 object with N frames gives the header; rows, columns and the pixel data length are patched to 512x512.
  const withFrames = makeImage({ rows: 8, columns: 8, frames, patientId: 'BIG' });
  const pixelStart = withFrames.bytes.length - 8 * 8 * 2 * frames;
  const header = Buffer.from(withFrames.bytes.subarray(0, pixelStart));
  // Patch rows/columns (US 8 -> 512) and the pixel data length in the copied header.
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

async function timeStorescu(shim: string, port: number, calledAe: string, files: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    // A directory scan keeps the command line short.
    const child = spawn(requireTool('storescu'), ['-aet', 'BENCH', '-aec', calledAe, '--scan-directories', '--no-halt', '127.0.0.1', String(port), path.dirname(files[0]!)],
      { env: { ...process.env, LD_PRELOAD: shim }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`storescu exited ${code}: ${err.slice(0, 500)}`))));
  });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function startStorescp(shim: string, out: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  await mkdir(out, { recursive: true });
  const child = spawn(requireTool('storescp'), ['-aet', 'STORESCP', '-od', out, '+xa', String(port)],
    { env: { ...process.env, LD_PRELOAD: shim }, stdio: 'ignore' });
  await waitForPort(port, child);
  return { port, child };
}

async function startOurs(dataDir: string): Promise<{ port: number; child: ChildProcess; ae: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'main/cli.ts'), 'serve', '--data', dataDir, '--port', String(port), '--listen', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let errText = '';
  child.stderr!.on('data', (d) => { errText += d; });
  const ae = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /LISTENING (\S+) (\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${errText}`)));
  });
  return { port, child, ae };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function countIndexed(dataDir: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(dataDir, 'index/archive.db3'), { readonly: true });
  const n = (db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  db.close();
  return n;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'pacs-bench-'));
  try {
    const shim = buildShim(work);
    process.stdout.write(`generating ${COUNT} CT objects (512x512x16 bit) ...\n`);
    const files = await generate(path.join(work, 'in'), COUNT);
    const mb = (COUNT * (512 * 512 * 2)) / (1024 * 1024);

    const scpTimes: number[] = [];
    const ourTimes: number[] = [];
    let rssIngest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const scp = await startStorescp(shim, path.join(work, `storescp-out-${round}`));
      scpTimes.push(await timeStorescu(shim, scp.port, 'STORESCP', files));
      await stop(scp.child);
      await rm(path.join(work, `storescp-out-${round}`), { recursive: true, force: true });

      const dataDir = path.join(work, `ours-${round}`);
      const ours = await startOurs(dataDir);
      ourTimes.push(await timeStorescu(shim, ours.port, ours.ae, files));
      rssIngest = Math.max(rssIngest, await peakRssMB(ours.child.pid!));
      await stop(ours.child);
      const indexed = await countIndexed(dataDir);
      if (indexed !== COUNT) throw new Error(`our index holds ${indexed} instances, expected ${COUNT}`);
      await rm(dataDir, { recursive: true, force: true });
      process.stdout.write(`  round ${round + 1}: storescp ${scpTimes[round]!.toFixed(2)} s, ours ${ourTimes[round]!.toFixed(2)} s\n`);
    }
    const tScp = Math.min(...scpTimes);
    const tOurs = Math.min(...ourTimes);

    const rate = (t: number) => COUNT / t;
    process.stdout.write(`\ningest of ${COUNT} objects (${mb.toFixed(0)} MB of pixels), DCMTK storescu with TCP_NODELAY, one association, best of ${ROUNDS}\n`);
    process.stdout.write(`  DCMTK storescp (files only)   ${tScp.toFixed(2)} s   ${rate(tScp).toFixed(0)} images/s\n`);
    process.stdout.write(`  ours (files + SQLite index)   ${tOurs.toFixed(2)} s   ${rate(tOurs).toFixed(0)} images/s   peak RSS ${rssIngest.toFixed(0)} MB\n`);
    process.stdout.write(`  ratio ours / storescp          ${(rate(tOurs) / rate(tScp)).toFixed(2)}\n`);

    if (BIG_MB > 0) {
      const bigDir = path.join(work, 'big');
      await mkdir(bigDir, { recursive: true });
      await generateBig(path.join(bigDir, 'big.dcm'), BIG_MB);
      const big = await startOurs(path.join(work, 'ours-big'));
      const tBig = await timeStorescu(shim, big.port, big.ae, [path.join(bigDir, 'big.dcm')]);
      const rssBig = await peakRssMB(big.child.pid!);
      await stop(big.child);
      const stored = await countIndexed(path.join(work, 'ours-big'));
      process.stdout.write(`\none ${BIG_MB} MB multi-frame object: ${tBig.toFixed(2)} s, indexed ${stored}, our peak RSS ${rssBig.toFixed(0)} MB\n`);
    }
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
    else process.stdout.write(`work folder kept: ${work}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
