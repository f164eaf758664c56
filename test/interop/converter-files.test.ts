import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, type MadeImage } from '../helpers/fixtures.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';
import { ENDPOINTS } from '../../main/api/endpoints.ts';
import type { AuditDto } from '../../main/api/contract.ts';

/**
 * Converters' file operations and outside programs (issue 31), through storescu: `mkdir`, `write` and `rm` inside the
 * data folder, never in the archive's own folders (the index's here); `system` refused until the admin sets
 * AllowExternalCommands = 1, then run in the data folder and written to the audit trail.
 */
describe("converters' files and programs", () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      ImportConverter0: 'mkdir out/%m/; write "%i" to out/%m/%o.txt; write "bad" to index/evil.txt',
      ImportConverter1: 'system echo %o> ran-%o.txt',
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-converter-files-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const send = (image: MadeImage, callingAe = 'CT01') => storeAs(archive, callingAe, [image], work);

  it("makes folders and files in the data folder, but not in the archive's own folders", async () => {
    const image = makeImage({ patientId: 'F1', rows: 8, columns: 8 });
    expect((await send(image)).code).toBe(0);
    expect(await readFile(path.join(archive.dataDir, 'out', 'CT', `${image.sopUid}.txt`), 'utf8')).toBe('F1');
    expect(existsSync(path.join(archive.dataDir, 'index', 'evil.txt'))).toBe(false);
    expect(archive.logText()).toContain(
      "could not write index/evil.txt: converters leave the archive's storage, index and configuration folders alone",
    );
    // AllowExternalCommands is 0: the program did not run, and the Monitor says why.
    expect(existsSync(path.join(archive.dataDir, `ran-${image.sopUid}.txt`))).toBe(false);
    expect(JSON.stringify(archive.server.core.activity.snapshot().errors)).toContain(
      'an outside program was not run (AllowExternalCommands = 0)',
    );
    await archive.setIni('ImportConverter2', `ifequal "%u", "CLEAN"; rm out/CT/${image.sopUid}.txt`);
    expect((await send(makeImage({ rows: 8, columns: 8 }), 'CLEAN')).code).toBe(0);
    expect(existsSync(path.join(archive.dataDir, 'out', 'CT', `${image.sopUid}.txt`))).toBe(false);
  });

  it('runs a program once AllowExternalCommands = 1, in the data folder, and audits it', async () => {
    await archive.setIni('AllowExternalCommands', '1');
    const image = makeImage({ rows: 8, columns: 8 });
    expect((await send(image)).code).toBe(0);
    const ran = path.join(archive.dataDir, `ran-${image.sopUid}.txt`);
    await until('the program has written its file', () => existsSync(ran));
    expect((await readFile(ran, 'utf8')).trim()).toBe(image.sopUid);
    await until('the run is in the audit trail', async () => {
      await archive.server.core.audit.flush();
      const audit = (await (await apiFetch(archive, 'GET', ENDPOINTS.audit.path)).json()) as AuditDto[];
      return audit.some((a) => a.action === 'converter-command' && a.detail.startsWith(`echo ${image.sopUid}>`));
    });
  });

  it('saves a copy of the stored object and a picture of it (save to, save jpg), inside the data folder only', async () => {
    await archive.setIni(
      'ImportConverter3',
      'ifequal "%u", "SAVER"; { set 0010,1001 to "saved"; save to copies/%i/%o.dcm; save jpg size 32 to pictures/%o.jpg; save png to ../outside.png; }',
    );
    try {
      const image = makeImage({ patientId: 'SV1', rows: 64, columns: 64 });
      expect((await send(image, 'SAVER')).code).toBe(0);
      const copy = path.join(archive.dataDir, 'copies', 'SV1', `${image.sopUid}.dcm`);
      const jpeg = path.join(archive.dataDir, 'pictures', `${image.sopUid}.jpg`);
      await until('the copy and the picture are written', () => existsSync(copy) && existsSync(jpeg));
      // The copy is the object as stored, with the converter's change.
      expect(await dumpDataSet(copy)).toContain('(0010,1001) PN [saved]');
      const picture = await readFile(jpeg);
      expect([...picture.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      // The JPEG's frame header (SOF0) says 32 x 32.
      const sof = picture.indexOf(Buffer.from([0xff, 0xc0]));
      expect([picture.readUInt16BE(sof + 5), picture.readUInt16BE(sof + 7)]).toEqual([32, 32]);
      await until('the refusal is logged', () => archive.logText().includes('could not save ../outside.png'));
      expect(archive.logText()).toContain('could not save ../outside.png: converters work only inside the data folder');
    } finally {
      await archive.setIni('ImportConverter3', 'nop');
    }
    await expect(archive.setIni('ImportConverter3', 'save bmp to x.bmp')).rejects.toThrow(
      /save bmp is not made by this version \(save jpg or png\)/,
    );
    await archive.setIni('ImportConverter3', 'nop');
  });
});
