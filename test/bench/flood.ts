import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveServer } from '../../main/server.ts';
import { Logger } from '../../main/util/log.ts';
import { out, prepareDataDir } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';

/**
 * A modality's C-STORE while someone floods the login (issue 30): 10 objects (0.5 MB) by storescu, idle and then beside
 * 48 connections posting logins with an unknown name as fast as they are answered (from a child process, so the flood
 * does not share this process's event loop with the server). Goal: within 1.5x of idle. Passwords are hashed in a
 * thread of their own and an address that keeps failing waits (429), so the flood no longer queues the store's file
 * writes behind scrypt on libuv's pool.
 */
const FLOOD = `
const [url, seconds] = process.argv.slice(1);
const until = Date.now() + Number(seconds) * 1000;
const counts = {};
async function loop() {
  while (Date.now() < until) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nobody' + Math.random(), password: 'guess-guess-guess' }) });
      await r.arrayBuffer();
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    } catch { counts.error = (counts.error ?? 0) + 1; }
  }
}
await Promise.all(Array.from({ length: 48 }, loop));
console.log(JSON.stringify(counts));
`;

export async function floodBench(work: string, shim: string, rounds: number): Promise<void> {
  const inDir = path.join(work, 'flood-in');
  await generateStudy(inDir, 10, 'FLOODBENCH');
  const dataDir = await mkdtemp(path.join(work, 'flood-archive-'));
  await prepareDataDir(dataDir, { MyACRNema: 'FLOODED', ListenAddress: '127.0.0.1' });
  const server = new ArchiveServer({
    dataDir,
    configDir: path.join(dataDir, 'config'),
    port: 0,
    apiPort: 0,
    logger: new Logger('error'),
  });
  await server.start();
  try {
    const idle: number[] = [];
    const flooded: number[] = [];
    let answers = '';
    for (let round = 0; round < rounds; round++) {
      idle.push((await storescu(shim, server.port, 'FLOODED', inDir)).seconds);
      const child = spawn(process.execPath, ['--input-type=module', '-e', FLOOD, `${server.apiUrl}/api/login`, '8'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let printed = '';
      child.stdout.on('data', (d) => {
        printed += d;
      });
      const ended = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((r) => setTimeout(r, 2000)); // the flood under way before the store starts
      flooded.push((await storescu(shim, server.port, 'FLOODED', inDir)).seconds);
      await ended;
      answers = printed.trim();
      out(
        `  round ${round + 1}: idle ${idle[round]!.toFixed(2)} s, during the login flood ${flooded[round]!.toFixed(2)} s (flood answers by status: ${answers})`,
      );
    }
    const best = (v: number[]) => Math.min(...v);
    out(`\nC-STORE of 10 objects (0.5 MB) by storescu while 48 connections flood POST /api/login, best of ${rounds}`);
    out(`  idle                  ${best(idle).toFixed(2)} s`);
    out(
      `  during the flood      ${best(flooded).toFixed(2)} s   ratio ${(best(flooded) / best(idle)).toFixed(2)}   (goal: at most 1.5)`,
    );
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(inDir, { recursive: true, force: true });
  }
}
