import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { storeAs } from '../helpers/store-as.ts';
import { freePort } from '../helpers/storescp.ts';

/**
 * Lua's dicomquery and dicommove against another implementation (Debian's Orthanc as the hospital PACS), from an
 * ImportConverter while storescu sends: the identifiers the script builds are read by a peer that is not ours, and the
 * patient's prior comes back to us before the new object is acknowledged.
 */
describe('Lua dicomquery and dicommove with Orthanc', () => {
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  let work: string;

  beforeAll(async () => {
    const orthancPort = await freePort();
    archive = await startArchive(
      {
        ImportConverter0: [
          "lua:if Association.Calling ~= 'CT08' then return end",
          "local q = newdicomobject(); q.PatientID = Data.PatientID; q.StudyInstanceUID = ''; q.StudyDate = ''",
          "local found = dicomquery('ORTHANC', 'STUDY', q)",
          "Data.ImageComments = 'orthanc has ' .. #found",
          'for i = 0, #found - 1 do',
          "  local m = newdicomobject(); m.QueryRetrieveLevel = 'STUDY'; m.StudyInstanceUID = found[i].StudyInstanceUID",
          "  local err = dicommove('ORTHANC', Association.Called, m)",
          "  if err then print('move failed: ' .. err) end",
          'end',
        ].join(' '),
      },
      [`ORTHANC 127.0.0.1 ${orthancPort} un`],
    );
    orthanc = await startOrthanc(
      { url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`, secret: archive.server.apiSecret },
      { DicomPort: orthancPort, DicomModalities: { ours: [archive.aeTitle, '127.0.0.1', archive.port] } },
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-lua-orthanc-'));
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("finds the patient's prior on Orthanc and moves it here before the new object is acknowledged", async () => {
    const prior = makeImage({ patientId: 'ORTH1', rows: 8, columns: 8 });
    await orthanc.rest('POST', '/instances', Buffer.from(prior.bytes));
    const today = makeImage({ patientId: 'ORTH1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT08', [today], work)).code).toBe(0);
    const row = (await archive.server.index.findInstance(today.sopUid))!;
    expect(await dumpDataSet(archive.server.store.absolutePath(row.location))).toContain(
      '(0020,4000) LT [orthanc has 1]',
    );
    expect(await archive.server.index.findInstance(prior.sopUid)).toBeDefined();
    expect(archive.logText()).not.toContain('move failed');
  });
});
