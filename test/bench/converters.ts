import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { generateStudy, storescu } from './ingest.ts';
import { countIndexed, out, prepareDataDir, runTool, startOurs, stop } from './common.ts';

/**
 * Import converters (issue 31): the same objects sent by storescu to our server without converters and with eight
 * ordinary ones (Conquest script and a Lua chunk, as a clinic writes them), alternating rounds, best of each; then how
 * long a C-ECHO takes while a converter's script loops on another association's object, beside an idle server.
 */

const EIGHT: Record<string, string> = {
  ImportConverter0: 'set 0010,1001 to "from %u"',
  ImportConverter1: 'set 0010,2160 to "%i[0,2]"',
  ImportConverter2: 'ifequal "%V0008,0020[0,3]", "2002"; destroy',
  ImportConverter3: 'ifmatch "%VPatientName", "*DOE*"; set 0010,4000 to "doe"',
  ImportConverter4: `lua "Data.InstitutionName = Data.Modality .. '-' .. Data.PatientID"`,
  ImportConverter5: 'set 0010,0030 to nil',
  ImportConverter6: 'ifequal "%m", "CT"; { set 0008,1030 to "CT study"; set 0008,103e to "%VSeriesNumber"; }',
  ImportConverter7: 'set 0010,2000 to "%VPatientName^"',
};

/** One export converter in the converter language, run on each object once stored. */
const EXPORT: Record<string, string> = {
  ExportConverters: '1',
  ExportConverter0: 'ifequal "%m", "CT"; { set x to "%VSeriesNumber"; ifnumgreater "%x", "1000"; nop never; }',
};

export async function convertersBench(work: string, shim: string, count: number, rounds: number): Promise<void> {
  out(`generating ${count} CT objects (512x512x16 bit) ...`);
  const inDir = path.join(work, 'converters-in');
  await generateStudy(inDir, count);
  const times = { none: [] as number[], eight: [] as number[], export: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['none', 'eight', 'export'] as const) {
      const dataDir = path.join(work, `ours-converters-${kind}-${round}`);
      await prepareDataDir(dataDir, kind === 'eight' ? EIGHT : kind === 'export' ? EXPORT : {});
      const ours = await startOurs(dataDir);
      times[kind].push((await storescu(shim, ours.port, ours.ae, inDir)).seconds);
      await stop(ours.child);
      const indexed = await countIndexed(dataDir);
      if (indexed !== count) throw new Error(`our index holds ${indexed} instances, expected ${count}`);
      await rm(dataDir, { recursive: true, force: true });
    }
    out(
      `  round ${round + 1}: no converters ${times.none[round]!.toFixed(2)} s, eight import ${times.eight[round]!.toFixed(2)} s, one export ${times.export[round]!.toFixed(2)} s`,
    );
  }
  const best = (t: number[]) => Math.min(...t);
  const rate = (t: number[]) => count / best(t);
  out(`\ningest of ${count} objects, one storescu association, best of ${rounds}`);
  out(`  no import converters          ${rate(times.none).toFixed(0)} images/s`);
  out(
    `  8 import converters (1 Lua)   ${rate(times.eight).toFixed(0)} images/s   ratio ${(rate(times.eight) / rate(times.none)).toFixed(2)} (goal >= 0.85)`,
  );
  out(
    `  1 export converter (a script) ${rate(times.export).toFixed(0)} images/s   ratio ${(rate(times.export) / rate(times.none)).toFixed(2)} (goal >= 0.9)`,
  );
  await rm(inDir, { recursive: true, force: true });
  await echoWhileLooping(work, shim);
}

/** C-ECHO round trips (echoscu, process start included) on an idle server and while a converter's script loops. */
async function echoWhileLooping(work: string, shim: string): Promise<void> {
  const dataDir = path.join(work, 'ours-looping');
  await prepareDataDir(dataDir, {
    ImportConverter0: 'ifequal "%u", "LOOPER"; lua "while true do end"',
    LuaTimeout: '10',
  });
  const ours = await startOurs(dataDir);
  const echo = async () =>
    (await runTool('echoscu', ['-aec', ours.ae, '127.0.0.1', String(ours.port)], shim)).seconds * 1000;
  try {
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await echo());
    const dir = path.join(work, 'looper');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'one.dcm'), makeImage({ rows: 8, columns: 8, sopUid: uid() }).bytes);
    const looping = storescu(shim, ours.port, ours.ae, dir, ['-aet', 'LOOPER']);
    const busy: number[] = [];
    for (let i = 0; i < 10; i++) busy.push(await echo());
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    const added = median(busy) - median(idle);
    out(
      `\nC-ECHO by echoscu (its own start included), median of 10: idle ${median(idle).toFixed(0)} ms, while a converter's script loops ${median(busy).toFixed(0)} ms: the loop adds ${added.toFixed(0)} ms (goal: under 50 ms)`,
    );
    await looping.catch(() => undefined);
  } finally {
    await stop(ours.child);
    await rm(dataDir, { recursive: true, force: true });
  }
}
