import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { CT_IMAGE_STORAGE, makeImage, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';

/**
 * The converter variables that read beyond the object (Conquest's Windows manual, "ImportConverters": `%A %E %R %QP
 * %QS %QE %QW %QX`), driven by storescu as the modality: a name taken from the worklist entry of the object's Accession
 * Number, the patient's name as the index already holds it, a CRC-32, a new UID and back again on a later object, and
 * a value replaced from an alias file beside dicom.ini.
 */
describe('converter variables that read the index and files', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      ImportConverter0: 'ifequal "%u", "BACK"; { set 0008,103e to "%R0008,1030"; stop; }',
      ImportConverter1: 'ifnotempty "%QW0010,0010"; set 0010,0010 to "%QW0010,0010"',
      ImportConverter2: 'set 0010,4000 to "was %QP0010,0010 in %QS0008,1030"',
      ImportConverter3: 'set 0010,2160 to "%A0010,0020"',
      ImportConverter4: 'set 0010,1000 to "%QX0010,0020"',
      ImportConverter5: 'ifequal "%u", "ANON"; set 0008,1030 to "%E0020,000d"',
      ImportConverter6: 'ifequal "%u", "REF"; set 0008,103e to "source: %V(/0008,2112/0008,1155)PatientName"',
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-converter-lookups-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const dumpOf = async (image: MadeImage) => {
    const row = await archive.server.index.findInstance(image.sopUid);
    return row ? dumpDataSet(archive.server.store.absolutePath(row.location)) : '';
  };

  it("takes the worklist entry's name by Accession Number (%QW) and reads the index's patient and study (%QP %QS)", async () => {
    const added = await apiFetch(archive, 'POST', '/api/worklist', {
      patientId: 'WL1',
      patientName: 'Worklist^Wanda',
      accessionNumber: 'ACC77',
      modality: 'CT',
      scheduledDate: '20261207',
      stepId: 'SPS-77',
    });
    expect(added.status, await added.clone().text()).toBeLessThan(300);
    const first = makeImage({ patientId: 'WL1', patientName: 'Typo^Wnda', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [first], work)).code).toBe(0);
    const second = makeImage({
      patientId: 'WL1',
      patientName: 'Typo^Wnda',
      studyUid: first.studyUid,
      rows: 8,
      columns: 8,
      accessionNumber: 'ACC77',
    });
    expect((await storeAs(archive, 'CT01', [second], work)).code).toBe(0);
    const firstDump = await dumpOf(first);
    // Its accession number has no worklist entry: %QW finds nothing, the test skips the set; the index knew no WL1 yet.
    expect(firstDump).toContain('(0010,0010) PN [Typo^Wnda]');
    expect(firstDump).toMatch(/\(0010,4000\) LT \[was {2}in *\]/);
    const secondDump = await dumpOf(second);
    expect(secondDump).toContain('(0010,0010) PN [Worklist^Wanda]');
    // The index's patient and study as the first object left them.
    expect(secondDump).toContain('(0010,4000) LT [was Typo^Wnda in Head routine]');
  });

  it('writes a CRC-32 (%A) and a value from aliasfileqx.txt beside dicom.ini (%QX), the value itself when none', async () => {
    await writeFile(path.join(archive.dataDir, 'config', 'aliasfileqx.txt'), 'OTHER\tNOPE\r\npid77\tALIAS-77\r\n');
    const known = makeImage({ patientId: 'PID77', rows: 8, columns: 8 });
    const unknown = makeImage({ patientId: 'PID78', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [known, unknown], work)).code).toBe(0);
    const dump = await dumpOf(known);
    expect(dump).toContain(`(0010,2160) SH [${crc32('PID77') >>> 0}]`);
    expect(dump).toContain('(0010,1000) LO [ALIAS-77]');
    expect(await dumpOf(unknown)).toContain('(0010,1000) LO [PID78]');
  });

  it('gives a new UID (%E), kept so a later object gets the old one back (%R)', async () => {
    const anon = makeImage({ rows: 8, columns: 8 });
    expect((await storeAs(archive, 'ANON', [anon], work)).code).toBe(0);
    const newUid = /\(0008,1030\) LO \[([0-9.]+)\]/.exec(await dumpOf(anon))?.[1];
    expect(newUid).toMatch(/^2\.25\.\d+$/);
    expect(newUid).not.toBe(anon.studyUid);
    const back = makeImage({ studyDescription: newUid, rows: 8, columns: 8 });
    expect((await storeAs(archive, 'BACK', [back], work)).code).toBe(0);
    expect(await dumpOf(back)).toContain(`(0008,103e) LO [${anon.studyUid}]`);
  });

  it('reads an attribute of another stored object, named by a SOP Instance UID in this one (%V(...))', async () => {
    const source = makeImage({ patientId: 'SRC1', patientName: 'Source^Sam', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [source], work)).code).toBe(0);
    const derived = makeImage({
      patientId: 'SRC1',
      rows: 8,
      columns: 8,
      extra: [
        {
          tag: 0x00082112,
          vr: 'SQ',
          value: [
            [
              { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
              { tag: 0x00081155, vr: 'UI', value: source.sopUid },
            ],
          ],
        },
      ],
    });
    expect((await storeAs(archive, 'REF', [derived], work)).code).toBe(0);
    expect(await dumpOf(derived)).toContain('(0008,103e) LO [source: Source^Sam]');
  });
});
