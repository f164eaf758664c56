import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { makeImage, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';
import { importConverters } from '../../main/features/import-converters.ts';

/**
 * Lua in ImportConverters (issue 31), driven by storescu as a modality: the manual's `lua "chunk"` and `lua:chunk`
 * forms change the object, read the association, and drop an object through destroy(); a script that never ends or
 * fails leaves the object stored as received (or refused, ConverterErrorPolicy = reject), and while one loops a
 * C-ECHO is answered: the scripts run beside the listener, not on it.
 */
describe('Lua import converters', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      ImportConverter0: `lua "Data.InstitutionName = Data.Modality .. '-' .. Data.PatientID"`,
      ImportConverter1: `lua:if Data.PatientName:match('Scriptdrop') then destroy() end; print('seen from', Association.Calling, Association.ConnectedIP)`,
      ImportConverter2: 'ifequal "%u", "LOOPER"; lua "while true do end"',
      ImportConverter3: 'ifequal "%u", "BROKEN"; lua "Data.Nonsense = 1"',
      ImportConverter4: `lua "Data.ReferencedStudySequence = {}; Data.ReferencedStudySequence[0].ReferencedSOPInstanceUID = Data.StudyInstanceUID; Data['0010,1001'] = 'seq of ' .. #Data.ReferencedStudySequence"`,
      LuaTimeout: '8',
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-lua-converters-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const send = (callingAe: string, image: MadeImage) => storeAs(archive, callingAe, [image], work);
  const dumpOf = async (sopUid: string) => {
    const row = await archive.server.index.findInstance(sopUid);
    return row ? dumpDataSet(archive.server.store.absolutePath(row.location)) : undefined;
  };

  it('changes the object from Lua, sequences included, and prints what the association is', async () => {
    const image = makeImage({ patientId: 'PID42', rows: 8, columns: 8 });
    expect((await send('CT01', image)).code).toBe(0);
    const dump = (await dumpOf(image.sopUid))!;
    expect(dump).toContain('(0008,0080) LO [CT-PID42]');
    expect(dump).toContain(`(0008,1155) UI [${image.studyUid}]`);
    expect(dump).toContain('(0010,1001) PN [seq of 1]');
    expect(archive.logText()).toContain(`ImportConverter1 (${image.sopUid}): seen from\tCT01\t127.0.0.1`);
  });

  it('drops an object when a script calls destroy(): the sender hears success, nothing is stored', async () => {
    const image = makeImage({ patientName: 'Scriptdrop^Anna', rows: 8, columns: 8 });
    const sent = await send('CT01', image);
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Success\)/);
    expect(await archive.server.index.findInstance(image.sopUid)).toBeUndefined();
  });

  it('answers a C-ECHO while a script loops, then stores that object as received once the script ran out of time', async () => {
    const scripts = archive.server.feature(importConverters).scripts;
    const image = makeImage({ patientId: 'LOOP1', rows: 8, columns: 8 });
    let storeDone = false;
    const storing = send('LOOPER', image).then((r) => {
      storeDone = true;
      return r;
    });
    await until('the looping script runs', () => scripts.load > 0);
    const echo = await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(echo.code).toBe(0);
    // The echo came back while the script still held the object (its budget is 8 s).
    expect(storeDone).toBe(false);
    expect(scripts.load).toBeGreaterThan(0);
    const sent = await storing;
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Success\)/);
    const dump = (await dumpOf(image.sopUid))!;
    // Stored as received: not even ImportConverter0's change before the loop is kept.
    expect(dump).not.toContain('(0008,0080)');
    expect(archive.logText()).toContain('ImportConverter2: ran longer than 8000 ms (LuaTimeout)');
    expect(JSON.stringify(archive.server.core.activity.snapshot().errors)).toContain(
      `import converters failed on ${image.sopUid}`,
    );
  });

  it('stores as received when a script fails, or refuses it when ConverterErrorPolicy = reject', async () => {
    const image = makeImage({ rows: 8, columns: 8 });
    expect((await send('BROKEN', image)).code).toBe(0);
    expect(await dumpOf(image.sopUid)).not.toContain('(0008,0080)');
    expect(archive.logText()).toContain('ImportConverter3:1: Nonsense is not an attribute name or gggg,eeee');
    await archive.setIni('ConverterErrorPolicy', 'reject');
    const refused = makeImage({ rows: 8, columns: 8 });
    const sent = await send('BROKEN', refused);
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Error: CannotUnderstand\)/);
    expect(await archive.server.index.findInstance(refused.sopUid)).toBeUndefined();
    await until('the refusal is on the Monitor', () =>
      JSON.stringify(archive.server.core.activity.snapshot().errors).includes(`refused to BROKEN`),
    );
    await archive.setIni('ConverterErrorPolicy', 'keep');
  });
});
