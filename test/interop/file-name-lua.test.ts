import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';

/**
 * Conquest's `FileNameSyntax = lua:expression` (its Windows manual, FileNameSyntax: "may be a lua expression"), through
 * storescu: the expression names each object's file, with Data as the import converters left it; a name that would
 * not be the object's own (no SOP Instance UID) is refused for that object, which goes where the default layout puts
 * it; a Lua syntax error is refused when dicom.ini is saved, with the line.
 */
describe('FileNameSyntax = lua:...', () => {
  let archive: TestArchive;
  let careless: TestArchive;
  let long: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      FileNameSyntax:
        "lua:'con/' .. Data.Modality .. '\\\\' .. Data.PatientID .. '/../' .. Data.SOPInstanceUID .. '.dcm'",
      ImportConverter0: 'set 0010,0020 to "P-%VPatientID"',
    });
    careless = await startArchive({ FileNameSyntax: "lua:Data.PatientID .. '.dcm'" });
    long = await startArchive({
      FileNameSyntax:
        "lua:string.rep('deep', 30) .. '/' .. Data.StudyInstanceUID .. '/' .. Data.SOPInstanceUID .. '.dcm'",
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-file-name-lua-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await careless?.stop();
    await long?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('keeps each object where the expression says, made safe, with the converters applied first', async () => {
    const image = makeImage({ patientId: 'LUA1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [image], work)).code).toBe(0);
    const { location } = (await archive.server.index.findInstance(image.sopUid))!;
    // A reserved Windows name gets its "_", "\" separates folders as "/" does, ".." goes.
    expect(location.relativePath).toBe(`_con/CT/P-LUA1/${image.sopUid}.dcm`);
    expect(existsSync(archive.server.store.absolutePath(location))).toBe(true);
  });

  it('stores by the default layout what the expression cannot name on its own, and says so', async () => {
    const image = makeImage({ patientId: 'SAME', rows: 8, columns: 8 });
    expect((await storeAs(careless, 'MOD1', [image], work)).code).toBe(0);
    const { location } = (await careless.server.index.findInstance(image.sopUid))!;
    expect(location.relativePath).toBe(`SAME/${image.studyUid}/${image.seriesUid}/${image.sopUid}.dcm`);
    expect(JSON.stringify(careless.server.core.activity.snapshot().errors)).toContain(
      'SAME.dcm does not hold the SOP Instance UID, so two objects could share it',
    );
  });

  it("shortens a path too long for Windows' tools, each long folder to its start and a hash", async () => {
    // UIDs longer than a segment kept whole (40 characters); uid() alone is sometimes shorter.
    const long64 = () => `${uid()}.${'7'.repeat(20)}`.slice(0, 64);
    const image = makeImage({ studyUid: long64(), sopUid: long64(), rows: 8, columns: 8 });
    expect((await storeAs(long, 'MOD1', [image], work)).code).toBe(0);
    const { location } = (await long.server.index.findInstance(image.sopUid))!;
    expect(location.relativePath.length).toBeLessThanOrEqual(160);
    expect(location.relativePath).toMatch(/^deepdeepdeep~[0-9a-f]{16}\/[^/]+~[0-9a-f]{16}\/[^/]+~[0-9a-f]{16}\.dcm$/);
    expect(existsSync(long.server.store.absolutePath(location))).toBe(true);
    expect(JSON.stringify(long.server.core.activity.snapshot().errors)).not.toContain('FileNameSyntax');
  });

  it('refuses an expression that is not Lua when dicom.ini is saved', async () => {
    await expect(archive.setIni('FileNameSyntax', 'lua:Data.(')).rejects.toThrow(/FileNameSyntax, column 5: Lua: /);
  });
});
