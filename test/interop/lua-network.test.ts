import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { startStorescp } from '../helpers/storescp.ts';
import { until } from '../helpers/wait.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * Conquest's Lua functions that reach outside the object (its Windows manual, "Lua scripts": dicomquery, dicommove,
 * dicomstore, dicomecho, sql, get_amap, get_sqldef, gpps, changeuid), run from an ImportConverter while a modality (storescu)
 * sends: a new study's arrival fetches the patient's priors from another PACS (a second archive, by C-FIND and C-MOVE
 * back to us), sends a made object to a storescp, and reads the index. The Automation screen's try answers the reads
 * and shows what it would have moved instead of moving it.
 */
describe('Lua functions that reach DICOM nodes and the index', () => {
  let peer: TestArchive;
  let archive: TestArchive;
  let scp: Awaited<ReturnType<typeof startStorescp>>;
  let work: string;

  const FETCH_PRIORS = [
    "lua:if Association.Calling ~= 'CT01' then return end",
    "if not dicomecho('PEERPACS') then print('peer down') return end",
    "local q = newdicomobject(); q.PatientID = Data.PatientID; q.StudyInstanceUID = ''",
    "local priors = dicomquery('PEERPACS', 'STUDY', q)",
    "Data.ImageComments = 'priors ' .. #priors",
    'for i = 0, #priors - 1 do',
    "  local m = newdicomobject(); m.QueryRetrieveLevel = 'STUDY'; m.StudyInstanceUID = priors[i].StudyInstanceUID",
    "  local err = dicommove('PEERPACS', 'ARCHA', m)",
    "  if err then print('move failed: ' .. err) end",
    'end',
  ].join(' ');

  const SEND_COPY = [
    "lua:if Association.Calling ~= 'CT02' then return end",
    "local c = Data:Copy(); c.SOPInstanceUID = Data.SOPInstanceUID .. '.9'; c.PatientName = 'Copy^Sent'",
    "local err = dicomstore('COPYSCP', c); if err then print('store failed: ' .. err) end",
    "print('to nowhere:', dicomstore('NOSUCHAE', c))",
  ].join(' ');

  const READ_INDEX = [
    "lua:if Association.Calling ~= 'CT03' then return end",
    'local r = sql("SELECT patient_id FROM patients WHERE patient_id = \'" .. Data.PatientID .. "\'")',
    "print('rows', r and #r, r and r[1] and r[1][1])",
    "print('write refused', sql('DELETE FROM instances'))",
    "print('amap', get_amap(0))",
    "print('sqldef', get_sqldef(0, 0)); print('sqldef past', get_sqldef(0, 99) == nil)",
    "print('ae', gpps('sscscp', 'MyACRNema', 'none'), gpps('sscscp', 'NoSuchKey', 'fallback'))",
    "local new = changeuid(Data.StudyInstanceUID, nil, 'lua1')",
    "print('back', changeuidback(new, 'lua1') == Data.StudyInstanceUID, new ~= Data.StudyInstanceUID)",
  ].join(' ');

  const FILES_AND_ARCHIVE = [
    "lua:if Association.Calling ~= 'CT06' then return end",
    "local m = newdicomobject(); m.SOPClassUID = Data.SOPClassUID; m.SOPInstanceUID = Data.SOPInstanceUID .. '.7'",
    "m.PatientID = 'WRITTEN'; m:Write('made/one.dcm')",
    "local r = newdicomobject(); r:Read('made/one.dcm'); print('read back', r.PatientID, r.SOPInstanceUID == m.SOPInstanceUID)",
    'local q = newdicomobject(); q.PatientID = Data.PatientID; local mine = dicomread(q)',
    "print('dicomread', #mine, mine[0] and mine[0].PatientID)",
    'print(\'serialized\', Data:Serialize(true):match(\'"PatientID":"[^"]*"\'), #Global.BaseDir > 1)',
    "if Data.PatientName == 'Gone^Now' then local g = newdicomobject(); g.PatientID = 'GONE1'; print('deleted', dicomdelete(g)) end",
    "Data:Write('saved/' .. Data.SOPInstanceUID .. '.dcm')",
    "Data:Dump('made/' .. Data.SOPInstanceUID .. '.txt')",
  ].join(' ');

  const GET_PRIORS = [
    "lua:if Association.Calling ~= 'CT07' then return end",
    "local q = newdicomobject(); q.PatientID = Data.PatientID; q.StudyInstanceUID = ''",
    "local got = dicomget('PEERPACS', 'STUDY', q)",
    "print('dicomget', #got, got[0] and got[0].PatientID, got[0] and got[0].Rows)",
    "print('from nowhere', #dicomget('NOSUCHAE', 'STUDY', q))",
  ].join(' ');

  const MODIFY = [
    "lua:if Association.Calling ~= 'CT10' then return end",
    'local q = newdicomobject(); q.PatientID = Data.PatientID',
    `print('modified', newdicommodify(q, 'set 0008,1030 to "changed by lua"; ifequal "%m", "CT"; set 0008,0080 to "%m room"'))`,
    "print('no keys', newdicommodify(newdicomobject(), 'nop'))",
    "print('no forwards', newdicommodify(q, 'forward to PEERPACS'))",
    "if Data.PatientName == 'Rename^Me' then print('renamed', newdicommodify(q, 'set 0010,0020 to \"OTHER\"')) end",
  ].join(' ');

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-lua-network-'));
    scp = await startStorescp('COPYSCP');
    peer = await startArchive({}, [], 'PEERPACS');
    archive = await startArchive(
      {
        ImportConverter0: FETCH_PRIORS,
        ImportConverter1: SEND_COPY,
        ImportConverter2: READ_INDEX,
        ImportConverter3: 'ifequal "%u", "CT05"; preretrieve PEERPACS',
        ImportConverter4: FILES_AND_ARCHIVE,
        ImportConverter5: GET_PRIORS,
        ImportConverter6: 'ifequal "%u", "CT08"; get patient modality MR now -3650+0 from PEERPACS after 1',
        ImportConverter7: MODIFY,
        ForwardCollectDelay: '1',
        LuaTimeout: '20',
      },
      [`PEERPACS 127.0.0.1 ${peer.port} un`, `COPYSCP 127.0.0.1 ${scp.port} un`],
      'ARCHA',
    );
    // The peer sends its C-MOVE answers back to us.
    const added = await apiFetch(peer, 'POST', '/api/nodes', { ae: 'ARCHA', host: '127.0.0.1', port: archive.port });
    expect(added.status).toBeLessThan(300);
  });
  afterAll(async () => {
    await archive?.stop();
    await peer?.stop();
    scp?.kill();
    await rm(work, { recursive: true, force: true });
  });

  const dumpOf = async (a: TestArchive, sopUid: string) => {
    const row = await a.server.index.findInstance(sopUid);
    return row ? dumpDataSet(a.server.store.absolutePath(row.location)) : undefined;
  };

  it("fetches a patient's priors from another PACS when a new study arrives (dicomquery, dicommove)", async () => {
    const priorA = makeImage({ patientId: 'PRIOR7', rows: 8, columns: 8 });
    const priorB = makeImage({ patientId: 'PRIOR7', rows: 8, columns: 8 });
    const other = makeImage({ patientId: 'SOMEONE', rows: 8, columns: 8 });
    expect((await storeAs(peer, 'OLDMOD', [priorA, priorB, other], work)).code).toBe(0);

    const today = makeImage({ patientId: 'PRIOR7', rows: 8, columns: 8 });
    const sent = await storeAs(archive, 'CT01', [today], work);
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Success\)/);
    // Both priors were moved here before the new object was acknowledged; the other patient's study was not.
    expect(await archive.server.index.findInstance(priorA.sopUid)).toBeDefined();
    expect(await archive.server.index.findInstance(priorB.sopUid)).toBeDefined();
    expect(await archive.server.index.findInstance(other.sopUid)).toBeUndefined();
    expect(await dumpOf(archive, today.sopUid)).toContain('(0020,4000) LT [priors 2]');
    expect(archive.logText()).not.toContain('move failed');
  });

  it("holds a patient's objects from another PACS without storing them (dicomget, a C-GET)", async () => {
    const prior = makeImage({ patientId: 'GET7', rows: 8, columns: 8 });
    expect((await storeAs(peer, 'OLDMOD', [prior], work)).code).toBe(0);
    const today = makeImage({ patientId: 'GET7', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT07', [today], work)).code).toBe(0);
    const log = archive.logText();
    expect(log).toContain('dicomget\t1\tGET7\t8');
    expect(log).toContain('dicomget(NOSUCHAE) failed: NOSUCHAE is not in acrnema.map');
    expect(log).toContain('from nowhere\t0');
    // Held by the script only: the prior is not in this archive.
    expect(await archive.server.index.findInstance(prior.sopUid)).toBeUndefined();
    expect(await archive.server.index.findInstance(today.sopUid)).toBeDefined();
  });

  it('sends an object the script made to a node (dicomstore) and says why one could not go', async () => {
    const image = makeImage({ patientId: 'COPY1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT02', [image], work)).code).toBe(0);
    await until('the copy reached the storescp', async () =>
      (await readdir(scp.dir)).some((f) => f.includes(`${image.sopUid}.9`)),
    );
    const file = (await readdir(scp.dir)).find((f) => f.includes(`${image.sopUid}.9`))!;
    expect(await dumpDataSet(path.join(scp.dir, file))).toContain('(0010,0010) PN [Copy^Sent]');
    expect(archive.logText()).toContain('dicomstore(NOSUCHAE) failed: NOSUCHAE is not in acrnema.map');
    // The object itself is stored as it came.
    expect(await dumpOf(archive, image.sopUid)).not.toContain('Copy^Sent');
  });

  it('reads the index (never writes it), acrnema.map and dicom.ini, and keeps changeuid pairs', async () => {
    const image = makeImage({ patientId: 'READ1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [image], work)).code).toBe(0);
    const second = makeImage({ patientId: 'READ1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT03', [second], work)).code).toBe(0);
    const log = archive.logText();
    expect(log).toContain('rows\t1\tREAD1');
    expect(log).toContain('sql failed: sql() in a script reads only: SELECT ...');
    expect(log).toContain('write refused\tnil');
    expect(log).toMatch(/amap\t\S+\t\S+\t\d+/);
    // dicom.sql's first Patient line, as Conquest's get_sqldef gives it.
    expect(log).toMatch(/sqldef\t16\t32\tPatientID\t64\tSQL_C_CHAR\tDT_STR/);
    expect(log).toMatch(/sqldef past\ttrue/);
    expect(log).toContain('ae\tARCHA\tfallback');
    expect(log).toContain('back\ttrue\ttrue');
    expect(await archive.server.index.findInstance(image.sopUid)).toBeDefined();
  });

  it('tries a converter that moves without moving: the try shows what the move would have been', async () => {
    const prior = makeImage({ patientId: 'TRY9', rows: 8, columns: 8 });
    expect((await storeAs(peer, 'OLDMOD', [prior], work)).code).toBe(0);
    const here = makeImage({ patientId: 'TRY9', rows: 8, columns: 8 });
    // Stored by another modality: the converter does nothing for it on arrival.
    expect((await storeAs(archive, 'CT09', [here], work)).code).toBe(0);
    await archive.setIni(
      'ImportConverter0',
      FETCH_PRIORS.replace("Association.Calling ~= 'CT01'", "Association.Calling ~= 'CT09'"),
    );
    const tried = await apiFetch(archive, 'POST', '/api/automation/try', { sopInstanceUid: here.sopUid });
    expect(tried.status).toBe(200);
    const body = (await tried.json()) as { converters: { key: string; prints: string[] }[] };
    const first = body.converters.find((c) => c.key === 'ImportConverter0')!;
    expect(first.prints.join('\n')).toContain('move from PEERPACS to ARCHA');
    expect(await archive.server.index.findInstance(prior.sopUid)).toBeUndefined();
  });

  it("collects the patient's other studies from another PACS a while after an object arrived (preretrieve AE)", async () => {
    const older = makeImage({ patientId: 'PRE5', rows: 8, columns: 8 });
    expect((await storeAs(peer, 'OLDMOD', [older], work)).code).toBe(0);
    const today = makeImage({ patientId: 'PRE5', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT05', [today], work)).code).toBe(0);
    // Not at once: the retrieve waits until no object of the patient arrived for ForwardCollectDelay (1 s here).
    const retrieves = async () =>
      (await archive.server.core.queue.list()).filter((j) => j.kind === 'move' && j.source === 'PEERPACS');
    await until('the retrieve is queued', async () => (await retrieves()).length === 1);
    expect((await retrieves())[0]).toMatchObject({ query: { level: 'PATIENT', keys: { PatientID: 'PRE5' } } });
    await until('the older study is here', async () => !!(await archive.server.index.findInstance(older.sopUid)), 30);
    // What the preretrieve brought came from PEERPACS: it asks for nothing again.
    await until('the retrieve is done', async () =>
      (await archive.server.core.queue.list()).every((j) => j.kind !== 'move' || j.state === 'done'),
    );
    expect(
      (await archive.server.core.queue.list()).filter((j) => j.kind === 'move' && j.source === 'PEERPACS'),
    ).toHaveLength(1);
  });

  it("gets only the patient's series another PACS matches (get patient modality MR now -3650+0 from AE)", async () => {
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const at = (modality: string, seriesDate: string) =>
      makeImage({
        patientId: 'NARROW1',
        modality,
        ...(modality === 'MR' ? { sopClassUid: StorageSopClass.MrImage } : {}),
        rows: 8,
        columns: 8,
        extra: [{ tag: Tag.SeriesDate, vr: 'DA', value: seriesDate }],
      });
    const [mrRecent, mrOld, ct] = [at('MR', today), at('MR', '20000101'), at('CT', today)];
    expect((await storeAs(peer, 'OLDMOD', [mrRecent, mrOld, ct], work)).code).toBe(0);
    const arriving = makeImage({ patientId: 'NARROW1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT08', [arriving], work)).code).toBe(0);
    await until(
      'the recent MR series is here',
      async () => !!(await archive.server.index.findInstance(mrRecent.sopUid)),
      30,
    );
    await until('the moves are done', async () =>
      (await archive.server.core.queue.list()).every(
        (j) => (j.kind !== 'move' && j.kind !== 'process') || j.state === 'done',
      ),
    );
    // Found with a C-FIND first: the old MR series and the CT were not asked for.
    expect(await archive.server.index.findInstance(mrOld.sopUid)).toBeUndefined();
    expect(await archive.server.index.findInstance(ct.sopUid)).toBeUndefined();
    expect(archive.logText()).toContain(
      'ImportConverters: get from PEERPACS: 1 study(ies) with matching series queued',
    );
  });

  it("changes this archive's stored objects by a script (newdicommodify), as an edit job", async () => {
    const earlier = makeImage({ patientId: 'MODME', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'OLDX', [earlier], work)).code).toBe(0);
    const today = makeImage({ patientId: 'MODME', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT10', [today], work)).code).toBe(0);
    const log = archive.logText();
    // The object arriving is not stored yet: the earlier one is the patient's only one.
    expect(log).toContain('modified\t1');
    expect(log).toContain('newdicommodify failed: newdicommodify names a PatientID, StudyInstanceUID');
    expect(log).toContain("newdicommodify failed: forward is not for a forward's script");
    await until('the edit is done', async () =>
      (await archive.server.core.queue.list()).some((j) => j.kind === 'edit' && j.state === 'done' && j.done === 1),
    );
    const dump = (await dumpOf(archive, earlier.sopUid))!;
    expect(dump).toContain('(0008,1030) LO [changed by lua]');
    expect(dump).toContain('(0008,0080) LO [CT room]');
    expect(await dumpOf(archive, today.sopUid)).not.toContain('changed by lua');
    // A patient's ID changes by the patient edit only (which keeps later arrivals in step): the object fails, unchanged.
    const third = makeImage({ patientId: 'MODME', patientName: 'Rename^Me', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT10', [third], work)).code).toBe(0);
    await until('the renaming edit has failed', async () =>
      (await archive.server.core.queue.list()).some(
        (j) => j.kind === 'edit' && j.state === 'failed' && /keeps their Patient ID/.test(j.error),
      ),
    );
    expect(await dumpOf(archive, earlier.sopUid)).toContain('(0010,0020) LO [MODME]');
  });

  it('writes and reads files of its own, reads and deletes from this archive, serializes, and knows Global', async () => {
    const earlier = makeImage({ patientId: 'RD1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [earlier], work)).code).toBe(0);
    const image = makeImage({ patientId: 'RD1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT06', [image], work)).code).toBe(0);
    const log = archive.logText();
    expect(log).toContain('read back\tWRITTEN\ttrue');
    expect(log).toContain('dicomread\t1\tRD1');
    expect(log).toContain('serialized\t"PatientID":"RD1"\ttrue');
    await until('Data:Write saved the object', async () =>
      existsSync(path.join(archive.dataDir, 'saved', `${image.sopUid}.dcm`)),
    );
    expect(await dumpDataSet(path.join(archive.dataDir, 'saved', `${image.sopUid}.dcm`))).toContain(
      '(0010,0020) LO [RD1]',
    );
    // :Dump(file): the header as text, inside the data folder.
    expect(await readFile(path.join(archive.dataDir, 'made', `${image.sopUid}.txt`), 'utf8')).toContain(
      '(0010,0020) LO [RD1] # PatientID',
    );
    // dicomdelete: this archive's studies of a patient, gone (and audited).
    const gone = makeImage({ patientId: 'GONE1', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [gone], work)).code).toBe(0);
    const trigger = makeImage({ patientId: 'RD2', patientName: 'Gone^Now', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT06', [trigger], work)).code).toBe(0);
    expect(archive.logText()).toContain('deleted\ttrue');
    expect(await archive.server.index.findInstance(gone.sopUid)).toBeUndefined();
  });
});
