import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * Conquest's `storage MAGn` in an import converter (its Windows manual: "set preferred storage area"), with two storage
 * folders and storescu as the modality: MR objects kept on MAG1, the rest where they came (MAG0); a device that is not
 * there is said and the object kept where it came.
 */
describe('storage MAGn in import converters', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      MAGDevices: '2',
      MAGDevice1: 'second',
      ImportConverter0: 'ifequal "%m", "MR"; { set 0008,0080 to "kept on MAG1"; storage MAG1; }',
      ImportConverter1: 'ifequal "%m", "US"; storage MAG7',
      // Conquest's Lua form: Data.Storage read, and set (the manual's example sets 'MAG2').
      ImportConverter2: `lua "if Data.Modality == 'XA' then print('was', Data.Storage); Data.Storage = 'mag1'; print('now', Data.Storage) end"`,
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-converter-storage-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('keeps an object on the device a converter names, changed as the converters left it', async () => {
    const ct = makeImage({ rows: 8, columns: 8 });
    const mr = makeImage({ modality: 'MR', sopClassUid: StorageSopClass.MrImage, rows: 8, columns: 8 });
    const us = makeImage({ modality: 'US', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [ct, mr, us], work)).code).toBe(0);
    const where = async (sop: string) => (await archive.server.index.findInstance(sop))!.location;
    expect((await where(ct.sopUid)).device).toBe(0);
    const onSecond = await where(mr.sopUid);
    expect(onSecond.device).toBe(1);
    const file = archive.server.store.absolutePath(onSecond);
    expect(file.startsWith(path.join(archive.dataDir, 'second'))).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect(await dumpDataSet(file)).toContain('(0008,0080) LO [kept on MAG1]');
    expect((await where(us.sopUid)).device).toBe(0);
    expect(archive.logText()).toContain('storage MAG7 is not a device here (MAGDevices is 2); kept where it came');
  });

  it('reads and sets the device from Lua (Data.Storage)', async () => {
    const xa = makeImage({ modality: 'XA', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [xa], work)).code).toBe(0);
    expect((await archive.server.index.findInstance(xa.sopUid))!.location.device).toBe(1);
    expect(archive.logText()).toContain('was\tMAG0');
    expect(archive.logText()).toContain('now\tMAG1');
  });
});
