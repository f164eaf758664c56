import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../helpers/dcmtk.ts';
import { freePort } from '../helpers/storescp.ts';

export { freePort };

/** What every benchmark section needs: ports, the TCP_NODELAY shim for DCMTK, our server as a child process. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIM_SOURCE = path.resolve(ROOT, '../shared/tools/nodelay.c');

export function out(text: string): void {
  process.stdout.write(text + '\n');
}

export async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Peak resident set size of a process (VmHWM), in MB. */
export async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** The LD_PRELOAD shim that gives DCMTK's sockets TCP_NODELAY (DCMTK does not set it; we do on all of ours). */
export function buildShim(work: string): string {
  if (!existsSync(SHIM_SOURCE))
    throw new Error(`TCP_NODELAY shim source not found at ${SHIM_SOURCE} (../shared/tools/nodelay.c)`);
  const file = path.join(work, 'nodelay.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', file, SHIM_SOURCE, '-ldl']);
  return file;
}

/** The environment of a DCMTK tool: with the shim, or as it ships when `shim` is ''. */
function toolEnv(shim: string): NodeJS.ProcessEnv {
  return shim ? { ...process.env, LD_PRELOAD: shim } : process.env;
}

/** Run a DCMTK tool to its end with the shim ('' for none); resolves with its output and wall time in seconds. */
export function runTool(tool: string, args: string[], shim: string): Promise<{ seconds: number; output: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(requireTool(tool), args, { env: toolEnv(shim), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolve({ seconds, output });
      else reject(new Error(`${tool} exited ${code}: ${output.slice(-1000)}`));
    });
  });
}

/**
 * DCMTK storescp (with the shim, or as it ships when `shim` is ''); `accept` its transfer syntax options (every syntax
 * by default; [] for its own default: uncompressed only).
 */
export async function startStorescp(
  shim: string,
  dir: string,
  aeTitle = 'STORESCP',
  port?: number,
  accept = ['+xa'],
): Promise<{ port: number; child: ChildProcess }> {
  const p = port ?? (await freePort());
  await mkdir(dir, { recursive: true });
  const child = spawn(requireTool('storescp'), ['-aet', aeTitle, '-od', dir, ...accept, String(p)], {
    env: toolEnv(shim),
    stdio: 'ignore',
  });
  await waitForPort(p, child);
  return { port: p, child };
}

export interface OurServer {
  port: number;
  ae: string;
  child: ChildProcess;
  /** Everything the server logged so far. */
  log(): string;
  dataDir: string;
}

/** Our server, headless, as `npm run serve` starts it, on a free loopback port. */
export async function startOurs(dataDir: string, chosenPort?: number): Promise<OurServer> {
  const port = chosenPort ?? (await freePort());
  // BENCH_PROFILE=<folder>: each server writes a V8 CPU profile there when it stops (to see where its time goes).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      // As `npm run serve` starts it: V8's young generation kept small (about 40 MB less resident after an ingest).
      '--max-semi-space-size=4',
      path.join(ROOT, 'main/cli.ts'),
      'serve',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--api-port',
      '0',
      '--listen',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stderr!.on('data', (d) => {
    text += d;
  });
  child.stdout!.on('data', (d) => {
    text += d;
  });
  const ae = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /LISTENING (\S+) (\d+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${text}`)));
  });
  return { port, child, ae, log: () => text, dataDir };
}

/** The server's DICOMweb base, from the line it prints after LISTENING, and its secret, from the data folder. */
export async function apiOf(server: OurServer): Promise<{ base: string; auth: Record<string, string> }> {
  for (let i = 0; i < 100; i++) {
    const m = /API (http:\/\/\S+)\/ /.exec(server.log());
    const secret = (await readFile(path.join(server.dataDir, 'api-secret'), 'utf8')).trim();
    if (m) return { base: `${m[1]}/dicom-web`, auth: { authorization: `Bearer ${secret}` } };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no API line in the server's output: ${server.log().slice(0, 2000)}`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Objects in the index of a data folder (SQLite), or only those stored in `transferSyntax`. */
export async function countIndexed(dataDir: string, transferSyntax?: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(dataDir, 'index/archive.db3'), { readonly: true });
  const n = transferSyntax
    ? (db.prepare('SELECT count(*) AS n FROM instances WHERE transfer_syntax = ?').get(transferSyntax) as { n: number })
        .n
    : (db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  db.close();
  return n;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A data folder whose dicom.ini has the given keys set and whose acrnema.map lists the given nodes. */
export async function prepareDataDir(
  dataDir: string,
  settings: Record<string, string>,
  nodes: string[] = [],
): Promise<void> {
  const { seedConfig } = await import('../../main/config/load.ts');
  const { IniDocument } = await import('../../common/ini-document.ts');
  const { readFile: read, writeFile, appendFile } = await import('node:fs/promises');
  const configDir = path.join(dataDir, 'config');
  await seedConfig(configDir);
  const iniFile = path.join(configDir, 'dicom.ini');
  const ini = new IniDocument(iniFile, await read(iniFile, 'utf8'));
  for (const [k, v] of Object.entries(settings)) ini.set('sscscp', k, v);
  await writeFile(iniFile, ini.toString());
  if (nodes.length) await appendFile(path.join(configDir, 'acrnema.map'), nodes.join('\n') + '\n');
}
