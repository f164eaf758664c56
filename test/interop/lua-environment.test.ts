import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';

/**
 * The smoke test of the Lua environment (issue 31.7): test/fixtures/conquest-environment.lua, a tour of what Conquest's
 * scripts use (Data and sequences, objects and arrays, a query to our own AE title, sql, the utilities, Lua 5.1's names,
 * script()), run as Conquest runs a Lua file from a converter (`file.lua(args)` beside dicom.ini) on objects storescu
 * sends. Each of its checks raises an error naming what differs; the object gets the tour's mark only when all pass.
 */
describe("Conquest's Lua environment, toured by a script file", () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive();
    const fixture = fileURLToPath(new URL('../fixtures/conquest-environment.lua', import.meta.url));
    await copyFile(fixture, path.join(archive.dataDir, 'config', 'conquest-environment.lua'));
    // A module the tour requires, in a lua/ folder beside dicom.ini as Conquest keeps its scripts.
    await mkdir(path.join(archive.dataDir, 'config', 'lua'));
    await writeFile(
      path.join(archive.dataDir, 'config', 'lua', 'tourlib.lua'),
      'local M = {}\nfunction M.twice(n) return 2 * n end\nreturn M\n',
    );
    await archive.setIni('ImportConverter0', 'conquest-environment.lua(tour)');
    work = await mkdtemp(path.join(tmpdir(), 'pacs-lua-environment-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('passes every check of the tour on objects a modality sends', async () => {
    const images = [1, 2].map((n) => makeImage({ patientId: `TOUR${n}`, rows: 8, columns: 8 }));
    expect((await storeAs(archive, 'TOURIST', images, work)).code).toBe(0);
    const log = archive.logText();
    expect(log).not.toContain('import converters failed');
    expect(log.split('environment ok\tTOURIST')).toHaveLength(3);
    for (const image of images) {
      const row = (await archive.server.index.findInstance(image.sopUid))!;
      const dump = await dumpDataSet(archive.server.store.absolutePath(row.location));
      expect(dump).toContain('(0008,0080) LO [environment ok tour]');
      expect(dump).toContain('(0010,1001) PN [tour TOURIST]');
    }
  });
});
