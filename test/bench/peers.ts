import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, out, prepareDataDir, runTool, startOurs, startStorescp, stop, waitForPort } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';
import { ORTHANC, startOrthanc } from '../helpers/orthanc.ts';
import { immediateAck, immediateAckSupport } from '../../main/protocol/immediate-ack.ts';
import { Logger } from '../../main/util/log.ts';

/**
 * Peers as they ship: DCMTK's getscu, movescu -> storescp and storescu with Nagle's algorithm on (no shim), beside the
 * same transfers with the TCP_NODELAY shim, against our archive, Orthanc and, where it was built
 * (../shared/tools/conquest-build.sh; CONQUEST=<its output folder>, by default $TMPDIR/conquest), Conquest. A peer that
 * keeps Nagle on waits for our acknowledgement of the first part of each PDU; ours are sent at once (immediate-ack.ts).
 * Also the cost of that acknowledgement, per read.
 */

interface Archive {
  name: string;
  ae: string;
  port: number;
  stop(): Promise<void>;
}

type Transfer = 'getscu' | 'move' | 'storescu';
const TRANSFERS: { key: Transfer; label: string; goal: number }[] = [
  { key: 'getscu', label: 'getscu (C-GET) of the study', goal: 0.8 },
  { key: 'move', label: 'C-MOVE to storescp', goal: 0.8 },
  { key: 'storescu', label: 'storescu (C-STORE) into it', goal: 0.9 },
];

export async function peersBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  const inDir = path.join(work, 'peers-in');
  const { studyUid } = await generateStudy(inDir, count, 'PEERSBENCH');
  const destPort = await freePort();
  const starters: ((preload: string) => Promise<Archive>)[] = [() => ours(work, destPort), (p) => orthanc(destPort, p)];
  const conquestDir = process.env.CONQUEST ?? path.join(process.env.TMPDIR ?? '/tmp', 'conquest');
  if (existsSync(path.join(conquestDir, 'dgate'))) starters.push((p) => conquest(work, conquestDir, destPort, p));
  else
    out(
      `  (Conquest not built at ${conquestDir}: its column is left out; ../shared/tools/conquest-build.sh builds it)`,
    );

  const results: { name: string; best: Record<string, number> }[] = [];
  for (const start of starters) {
    const best: Record<string, number> = {};
    let name = '';
    for (const [mode, preload] of [
      ['shim', shim],
      ['shipped', ''],
    ] as const) {
      // The shim goes into the other archives too (both are DCMTK programs); ours sets TCP_NODELAY itself.
      const archive = await start(preload);
      name = archive.name;
      try {
        await storescu(shim, archive.port, archive.ae, inDir); // the study to retrieve
        for (let round = 0; round < rounds; round++) {
          const times = await transfers(work, archive, studyUid, inDir, destPort, preload);
          for (const t of TRANSFERS)
            best[`${t.key} ${mode}`] = Math.min(best[`${t.key} ${mode}`] ?? Infinity, times[t.key]);
          out(
            `  ${name} round ${round + 1}, ${mode === 'shim' ? 'with the shim' : 'as shipped'}: ${TRANSFERS.map((t) => `${t.key} ${rate(count, times[t.key])}`).join(', ')} images/s`,
          );
        }
      } finally {
        await archive.stop();
      }
    }
    results.push({ name, best });
  }
  await rm(inDir, { recursive: true, force: true });

  out(
    `\nPeers as they ship: DCMTK's tools (and Orthanc, Conquest) with Nagle's algorithm on, beside the same with the TCP_NODELAY shim; a ${count}-image study (0.5 MB objects), images/s, best of ${rounds}`,
  );
  out(`  ${''.padEnd(30)}${results.map((r) => r.name.padEnd(34)).join('')}`);
  out(`  ${''.padEnd(30)}${results.map(() => 'shim  as shipped  ratio'.padEnd(34)).join('')}`);
  for (const t of TRANSFERS) {
    const cells = results.map(({ best }) => {
      const withShim = count / best[`${t.key} shim`]!;
      const shipped = count / best[`${t.key} shipped`]!;
      return `${withShim.toFixed(0).padStart(4)}  ${shipped.toFixed(0).padStart(10)}  ${(shipped / withShim).toFixed(2)}x`.padEnd(
        34,
      );
    });
    out(`  ${t.label.padEnd(30)}${cells.join('')}`);
  }
  out(`  goals, ours as shipped against the shim: ${TRANSFERS.map((t) => `${t.key} >= ${t.goal}x`).join(', ')}`);
  await acknowledgementCost();
}

/** One round: getscu of the study, a C-MOVE of it to a fresh storescp, storescu of its files; seconds of each. */
async function transfers(
  work: string,
  archive: Archive,
  studyUid: string,
  inDir: string,
  destPort: number,
  preload: string,
): Promise<Record<Transfer, number>> {
  const keys = ['-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${studyUid}`];
  const got = path.join(work, 'peers-got');
  await mkdir(got, { recursive: true });
  const get = await runTool(
    'getscu',
    ['-S', '-aet', 'BENCH', '-aec', archive.ae, '-od', got, ...keys, '127.0.0.1', String(archive.port)],
    preload,
  );
  await rm(got, { recursive: true, force: true });
  const scpDir = path.join(work, 'peers-scp');
  const scp = await startStorescp(preload, scpDir, 'STORESCP', destPort, []);
  const move = await runTool(
    'movescu',
    ['-S', '-aet', 'BENCH', '-aec', archive.ae, '-aem', 'STORESCP', ...keys, '127.0.0.1', String(archive.port)],
    preload,
  ).finally(() => stop(scp.child));
  await rm(scpDir, { recursive: true, force: true });
  const store = await storescu(preload, archive.port, archive.ae, inDir);
  return { getscu: get.seconds, move: move.seconds, storescu: store.seconds };
}

function rate(count: number, seconds: number): string {
  return (count / seconds).toFixed(0);
}

/** What re-arming the acknowledgement costs on a live socket, per read. */
async function acknowledgementCost(): Promise<void> {
  const support = immediateAckSupport();
  if (!support.available) {
    out(`  acknowledgement at once: not available here (${support.how})`);
    return;
  }
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  const ack = immediateAck(socket, new Logger('error').child('bench'));
  const calls = 200_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) ack.afterRead();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / calls;
  client.destroy();
  socket.destroy();
  await new Promise((r) => server.close(r));
  // A read takes at most 64 KB here (libuv's buffer): a 0.5 MB object is at least 8 reads.
  out(
    `  acknowledgement at once (${support.how}): ${micros.toFixed(2)} µs a read, >= ${(micros * 8).toFixed(0)} µs for a 0.5 MB object`,
  );
}

function preloaded(preload: string): NodeJS.ProcessEnv {
  return preload ? { ...process.env, LD_PRELOAD: preload } : process.env;
}

async function ours(work: string, destPort: number): Promise<Archive> {
  const dataDir = path.join(work, 'peers-ours');
  await prepareDataDir(dataDir, {}, [`STORESCP 127.0.0.1 ${destPort} un`]);
  const server = await startOurs(dataDir);
  return {
    name: 'ours',
    ae: server.ae,
    port: server.port,
    stop: async () => {
      await stop(server.child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function orthanc(destPort: number, preload: string): Promise<Archive> {
  const version = execFileSync(ORTHANC, ['--version'], { encoding: 'utf8' }).match(/\d+\.\d+\.\d+/)?.[0] ?? '';
  const running = await startOrthanc(
    { url: 'http://127.0.0.1:9', secret: '' },
    {
      Plugins: [],
      DicomAet: 'ORTHANC',
      DicomModalities: { storescp: ['STORESCP', '127.0.0.1', destPort], bench: ['BENCH', '127.0.0.1', 9] },
    },
    preloaded(preload),
  );
  return { name: `Orthanc ${version}`, ae: 'ORTHANC', port: running.dicomPort, stop: () => running.stop() };
}

/** A copy of the folder conquest-build.sh prepared, on a free port, with STORESCP on ours. */
async function conquest(work: string, built: string, destPort: number, preload: string): Promise<Archive> {
  const dir = path.join(work, 'peers-conquest');
  await cp(path.join(built, 'run'), dir, { recursive: true });
  const port = await freePort();
  const template = path.join(built, 'run');
  const ini = (await readFile(path.join(dir, 'dicom.ini'), 'latin1'))
    .replaceAll(template, dir)
    .replace(/^MyACRNema\s*=.*$/m, 'MyACRNema = CONQUEST')
    .replace(/^TCPPort\s*=.*$/m, `TCPPort = ${port}`);
  await writeFile(path.join(dir, 'dicom.ini'), ini, 'latin1');
  const map = (await readFile(path.join(dir, 'acrnema.map'), 'latin1')).replace(
    /^STORESCP\s.*$/m,
    `STORESCP\t\t127.0.0.1\t${destPort}\t\tun`,
  );
  await writeFile(path.join(dir, 'acrnema.map'), map, 'latin1');
  const child: ChildProcess = spawn(path.join(built, 'dgate'), [`-w${dir}`], {
    cwd: dir,
    env: preloaded(preload),
    stdio: 'ignore',
  });
  await waitForPort(port, child);
  return {
    name: 'Conquest 1.5.0e',
    ae: 'CONQUEST',
    port,
    stop: async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
