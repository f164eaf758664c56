/**
 * npm run bench: the product's figures, each beside a DCMTK reference measured in the same run (not part of the tests).
 *   ingest  1000 CT objects by storescu to storescp and to us; one 1 GB multi-frame object and our peak RSS
 *   query   C-FIND latency p50/p95 over an index of 8.7 M instances, with findscu
 *   move    C-MOVE of a 250-image study to storescp, with movescu; storescu -> storescp beside it
 *   peers   getscu, C-MOVE to storescp and storescu with DCMTK as it ships (Nagle on) beside the shim, for us, Orthanc
 *           and (where built) Conquest; the cost of acknowledging at once
 *   send    a send job of 1000 objects to storescp beside storescu sending the same files
 *   engines ingest on SQLite beside MariaDB (a private server), regen rate; with it, query runs on both engines
 *   converters  ingest with eight import converters (one in Lua) beside none; C-ECHO while a converter's script loops
 *   transcode  C-MOVE of a compressed study (JPEG-LS, JPEG lossless, JPEG 2000) to a storescp that takes only
 *           uncompressed syntaxes, beside each codec's decode time (not in the default run: --only transcode)
 *   dicomweb  WADO-RS beside C-MOVE, STOW-RS beside C-STORE, QIDO-RS beside C-FIND (not in the default run)
 *   viewer  the viewer in Chromium: time to the first image, scroll step p50/p95, cine frame rate of a JPEG US loop
 *   flood   a storescu of 10 objects idle and beside a 48-connection login flood (not in the default run: --only flood)
 *   hl7flood  echoscu idle and while 4 connections flood the HL7 port with garbage frames (not in the default run)
 *   layout  ingest with the columns Conquest's stock dicom.sql adds beside ours (the query section measures a
 *           dicom.sql key at full size)
 *   virtual  C-FIND through a virtual server beside the upstream itself; C-MOVE pulled through it beside a direct one
 *           (not in the default run: --only virtual)
 * Every DCMTK tool runs with the TCP_NODELAY shim from ../shared/tools, except where the peers section runs them as they
 * ship. A shared 2-core machine is noisy: sections that compare take the best of several rounds.
 * Options: --only ingest,converters,layout,query,move,peers,send,engines,transcode,dicomweb,viewer,flood,hl7flood,virtual   --count N (ingest, 1000)   --rounds N (3)   --big-mb N (1024, 0 skips)   --senders N (ingest, 4)
 *          --queries N (per kind, 100)   --move-count N (250)   --keep
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildShim, out } from './common.ts';
import { convertersBench } from './converters.ts';
import { ingestBench } from './ingest.ts';
import { queryBench } from './query.ts';
import { moveBench } from './move.ts';
import { peersBench } from './peers.ts';
import { sendBench } from './send.ts';
import { enginesBench, withMariaDb } from './engines.ts';
import { transcodeBench } from './transcode.ts';
import { dicomWebBench } from './dicomweb.ts';
import { viewerBench } from './viewer.ts';
import { floodBench } from './flood.ts';
import { hl7FloodBench } from './hl7-flood.ts';
import { virtualBench } from './virtual.ts';
import { indexLayoutBench } from './index-layout.ts';
import type { MysqlOptions } from '../../main/index/mysql.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    count: { type: 'string' },
    rounds: { type: 'string' },
    'big-mb': { type: 'string' },
    queries: { type: 'string' },
    senders: { type: 'string' },
    'move-count': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const ALL = [
  'ingest',
  'converters',
  'layout',
  'query',
  'move',
  'peers',
  'send',
  'engines',
  'transcode',
  'dicomweb',
  'viewer',
  'flood',
  'hl7flood',
  'virtual',
];
const DEFAULT = ALL.filter((s) => !['transcode', 'dicomweb', 'flood', 'hl7flood', 'virtual'].includes(s));
const sections = new Set((values.only ?? DEFAULT.join(',')).split(','));
for (const s of sections) if (!ALL.includes(s)) throw new Error(`unknown section "${s}" (${ALL.join(', ')})`);

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'pacs-bench-'));
  try {
    const shim = buildShim(work);
    const rounds = Number(values.rounds ?? 3);
    if (sections.has('ingest'))
      await ingestBench(
        work,
        shim,
        Number(values.count ?? 1000),
        rounds,
        Number(values['big-mb'] ?? 1024),
        Number(values.senders ?? 4),
      );
    if (sections.has('converters')) {
      out('');
      await convertersBench(work, shim, Number(values.count ?? 1000), rounds);
    }
    if (sections.has('layout')) {
      out('');
      await indexLayoutBench(work, shim, Number(values.count ?? 1000), rounds);
    }
    // MariaDB is started once when a section needs it: the query section then runs on both engines.
    const needsMariaDb = sections.has('engines');
    const run = async (mariadb?: Omit<MysqlOptions, 'database'>) => {
      if (sections.has('query')) await queryBench(work, shim, Number(values.queries ?? 100), undefined, mariadb);
      if (mariadb) {
        out('');
        await enginesBench(work, shim, Number(values.count ?? 1000), rounds, mariadb);
      }
    };
    if (needsMariaDb) await withMariaDb(run);
    else await run();
    if (sections.has('move')) {
      out('');
      await moveBench(work, shim, Number(values['move-count'] ?? 250), rounds);
    }
    if (sections.has('peers')) {
      out('');
      await peersBench(work, shim, Number(values['move-count'] ?? 250), rounds);
    }
    if (sections.has('send')) {
      out('');
      await sendBench(work, shim, Number(values.count ?? 1000), rounds);
    }
    if (sections.has('transcode')) await transcodeBench(work, shim, Number(values['move-count'] ?? 250), rounds);
    if (sections.has('viewer')) {
      out('');
      await viewerBench(work, rounds);
    }
    if (sections.has('flood')) {
      out('');
      await floodBench(work, shim, rounds);
    }
    if (sections.has('hl7flood')) {
      out('');
      await hl7FloodBench(work, shim);
    }
    if (sections.has('virtual')) {
      out('');
      await virtualBench(work, shim, Number(values['move-count'] ?? 250), rounds, Number(values.queries ?? 100));
    }
    if (sections.has('dicomweb'))
      await dicomWebBench(work, shim, Number(values['move-count'] ?? 250), Number(values.count ?? 1000), rounds);
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
    else out(`work folder kept: ${work}`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
