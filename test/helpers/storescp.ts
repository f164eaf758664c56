import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireTool } from './dcmtk.ts';

/** DCMTK's storescp as a remote node: on a free loopback port, writing what it receives to its own folder. */
export interface RunningStorescp {
  aeTitle: string;
  port: number;
  dir: string;
  files(): Promise<string[]>;
  stop(): Promise<void>;
}

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port for a server a test starts later. Picked at random below the kernel's ephemeral range (32768 and up on
 * Linux), so no socket bound to port 0 meanwhile can take it, and never the same twice in one process.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Whether process `pid` holds the socket listening on `port` (Linux: /proc/net/tcp* names the socket, /proc/PID/fd the holder). */
async function listensOn(pid: number, port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const f = row.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '')) return true;
  }
  return false;
}

/** Until this storescp listens on the port (not another program that took the port first: then it exits). */
async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<'listening' | 'exited'> {
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) return 'exited';
    if (await listensOn(proc.pid!, port)) return 'listening';
    if (Date.now() > end) throw new Error(`storescp did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startStorescp(
  aeTitle: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  fixedPort?: number,
): Promise<RunningStorescp & { kill(): void }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'storescp-'));
  const port = fixedPort ?? (await freePort());
  let output = '';
  const proc = spawn(requireTool('storescp'), ['-aet', aeTitle, '-od', dir, ...args, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  proc.stdout!.on('data', (d) => {
    output += d;
  });
  proc.stderr!.on('data', (d) => {
    output += d;
  });
  if ((await waitForPort(port, proc, () => output)) === 'exited') {
    await rm(dir, { recursive: true, force: true });
    if (fixedPort === undefined) return startStorescp(aeTitle, args, env);
    throw new Error(`storescp could not listen on ${port}: ${output}`);
  }
  return {
    aeTitle,
    port,
    dir,
    /** Kill it at once, as a node that goes away. */
    kill: () => {
      proc.kill('SIGKILL');
    },
    files: async () => (await readdir(dir)).filter((f) => !f.startsWith('.')).map((f) => path.join(dir, f)),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        // still running (a killed process has a signal code instead)
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill();
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
