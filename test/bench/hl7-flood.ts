import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, out, percentile, prepareDataDir, runTool, startOurs, stop } from './common.ts';

/**
 * A C-ECHO while a sender floods the HL7 port (issue 30.2): 4 connections (the most one address may open) write
 * garbage frames, 100,000 at a time, as fast as the server takes them, and never read the answers. The flood runs in a
 * child process, so that it does not share this process's event loop with our server, itself a child as `npm run serve`
 * starts it, logging to its standard error as under systemd. echoscu is timed 20 times idle and 20 times during the
 * flood (each includes starting echoscu); goal: the median within 50 ms of idle. Also printed: the log lines the flood
 * cost.
 */
const FLOOD = `
import net from 'node:net';
const [port, seconds] = process.argv.slice(1).map(Number);
const garbage = Buffer.from('\\x0bX\\x1c\\r'.repeat(100000), 'latin1');
const more = (s) => { while (s.write(garbage)); };
const sockets = Array.from({ length: 4 }, () => net.connect({ host: '127.0.0.1', port }, function () { this.pause(); this.on('drain', () => more(this)); more(this); }));
for (const s of sockets) s.on('error', () => undefined);
setTimeout(() => { for (const s of sockets) s.destroy(); }, seconds * 1000);
`;

export async function hl7FloodBench(work: string, shim: string): Promise<void> {
  const dataDir = await mkdtemp(path.join(work, 'hl7-flood-archive-'));
  const hl7Port = await freePort();
  await prepareDataDir(dataDir, {
    MyACRNema: 'HL7FLOOD',
    ListenAddress: '127.0.0.1',
    HL7Listener: '1',
    HL7Port: String(hl7Port),
  });
  const server = await startOurs(dataDir);
  const lines = () => server.log().split('\n').length;
  let failed = 0;
  /** One echoscu's time in ms; one that fails (its association times out) counts as failed and as infinitely slow. */
  const echo = async () => {
    try {
      return (
        (await runTool('echoscu', ['-to', '10', '-aec', server.ae, '127.0.0.1', String(server.port)], shim)).seconds *
        1000
      );
    } catch {
      failed++;
      return Infinity;
    }
  };
  try {
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push(await echo());
    const before = lines();
    const child = spawn(process.execPath, ['--input-type=module', '-e', FLOOD, String(hl7Port), '20'], {
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 1000)); // the flood under way
    const flooded: number[] = [];
    for (let i = 0; i < 20; i++) flooded.push(await echo());
    child.kill();
    await ended;
    const floodLines = lines() - before;
    out(
      'C-ECHO by echoscu (process start included), idle and while 4 connections write garbage HL7 frames as fast as taken, never reading',
    );
    out(`  idle            median ${percentile(idle, 50).toFixed(1)} ms   p95 ${percentile(idle, 95).toFixed(1)} ms`);
    out(
      `  during flood    median ${percentile(flooded, 50).toFixed(1)} ms   p95 ${percentile(flooded, 95).toFixed(1)} ms   ` +
        `(median ${signed(percentile(flooded, 50) - percentile(idle, 50))} ms; goal: within 50 ms)`,
    );
    out(`  echoes failed: ${failed}; log lines written during the flood (echoes included): ${floodLines}`);
  } finally {
    await stop(server.child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;
