import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { until } from '../helpers/wait.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * Conquest's ExportConverters beyond plain forwarding (issue 31), driven by storescu as a modality and checked at three
 * storescp peers: a rule behind ExportFilter (the manual's `Rows = 512 and Columns = 512`, here 16), one behind
 * ExportStationName, a script with a test, a block and a file, and a Lua chunk that forwards through script().
 */
describe('export converters', () => {
  let archive: TestArchive;
  const peers: Record<string, RunningStorescp> = {};
  let work: string;

  beforeAll(async () => {
    for (const ae of ['PEER1', 'PEER2', 'PEER3', 'PEER4']) peers[ae] = await startStorescp(ae);
    archive = await startArchive(
      {
        ExportConverters: '5',
        ExportConverter0: 'forward to PEER1',
        ExportFilter0: 'Rows = 16 and Columns = 16',
        ExportConverter1: 'ifequal "%m", "MR"; { forward to PEER2; append "%o from %u%n" to exported.log; }',
        ExportConverter2: `lua "if Data.PatientID == 'LUAFWD' then script('forward to PEER2') end"`,
        ExportConverter3: 'forward to PEER3',
        ExportStationName3: 'CT_SCAN*',
        ExportConverter4: 'ifequal "%V0008,1030", "DELAYED"; forward study modality CT to PEER4 after 2',
      },
      Object.entries(peers).map(([ae, p]) => `${ae} 127.0.0.1 ${p.port} un`),
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-export-converters-'));
  });
  afterAll(async () => {
    await archive?.stop();
    for (const p of Object.values(peers)) await p.stop();
    await rm(work, { recursive: true, force: true });
  });

  const send = (images: MadeImage[]) => storeAs(archive, 'MODALITY1', images, work);
  const sopsAt = async (ae: string) => {
    const out: string[] = [];
    for (const f of await peers[ae]!.files()) out.push(/\(0008,0018\) UI \[([^\]]+)\]/.exec(await dumpDataSet(f))![1]!);
    return out.sort();
  };

  it('runs each line on the objects its filters, its tests and its script let through', async () => {
    const small = makeImage({ rows: 16, columns: 16 });
    const other = makeImage({ rows: 8, columns: 8 });
    const mr = makeImage({ modality: 'MR', sopClassUid: StorageSopClass.MrImage, rows: 8, columns: 8 });
    const lua = makeImage({ patientId: 'LUAFWD', rows: 8, columns: 8 });
    const station = makeImage({
      rows: 8,
      columns: 8,
      extra: [{ tag: Tag.StationName, vr: 'SH', value: 'CT_SCANNER2' }],
    });
    expect((await send([small, other, mr, lua, station])).code).toBe(0);
    await until('every forward has arrived', async () => {
      const [one, two, three] = await Promise.all([sopsAt('PEER1'), sopsAt('PEER2'), sopsAt('PEER3')]);
      return one.length + two.length + three.length >= 4;
    });
    await until('the forwarding jobs are done', async () =>
      (await archive.server.core.queue.list()).every((j) => j.state === 'done'),
    );
    expect(await sopsAt('PEER1')).toEqual([small.sopUid]);
    expect(await sopsAt('PEER2')).toEqual([mr.sopUid, lua.sopUid].sort());
    expect(await sopsAt('PEER3')).toEqual([station.sopUid]);
    expect(await readFile(path.join(archive.dataDir, 'exported.log'), 'utf8')).toBe(`${mr.sopUid} from MODALITY1\n`);
  });

  it("forwards a study's CT objects, those stored before included, once none arrived for the rule's delay", async () => {
    const study = uid();
    const quiet = makeImage({ studyUid: study, studyDescription: 'Quiet', rows: 8, columns: 8 });
    expect((await send([quiet])).code).toBe(0);
    const ct = makeImage({ studyUid: study, studyDescription: 'DELAYED', rows: 8, columns: 8 });
    const mr = makeImage({
      studyUid: study,
      studyDescription: 'DELAYED',
      modality: 'MR',
      sopClassUid: StorageSopClass.MrImage,
      rows: 8,
      columns: 8,
    });
    const sent = Date.now();
    expect((await send([ct, mr])).code).toBe(0);
    const delayed = async () =>
      (await archive.server.core.queue.list()).filter((j) => j.destination === 'PEER4' && j.studyUid === study);
    await until('the delayed forward is queued with both CT objects', async () => (await delayed())[0]?.total === 2);
    const [job] = await delayed();
    expect(job).toMatchObject({ kind: 'forward', state: 'queued' });
    expect(job!.nextAttemptAt).toBeGreaterThanOrEqual(sent + 2000);
    await until('the study reaches PEER4', async () => (await sopsAt('PEER4')).length === 2, 30);
    expect(await sopsAt('PEER4')).toEqual([quiet.sopUid, ct.sopUid].sort());
    expect((await delayed()).length).toBe(1);
  });

  it('forwards to host:port as another calling AE (org) to another called AE (dest), and a split of a study', async () => {
    const aes = path.join(work, 'aes.txt');
    const far = await startStorescp('FARSCP', ['-xcr', `echo "#a #c" >> ${aes}`]);
    try {
      await archive.setIni(
        'ExportConverter2',
        `ifequal "%V0008,1030", "HOSTPORT"; forward to 127.0.0.1:${far.port} org SENDERX dest FARSCP`,
      );
      const image = makeImage({ studyDescription: 'HOSTPORT', rows: 8, columns: 8 });
      expect((await send([image])).code).toBe(0);
      await until('the object reached the node at host:port', async () => (await far.files()).length === 1);
      await until('storescp said who called whom', async () =>
        (await readFile(aes, 'utf8').catch(() => '')).includes('SENDERX FARSCP'),
      );
      // Every second object of a study (split 1/2), once none arrived for a second.
      await archive.setIni(
        'ExportConverter2',
        'ifequal "%V0008,1030", "SPLIT"; forward study split 1/2 date 20240101-20241231 to PEER4 after 1',
      );
      const study = uid();
      // The series date range keeps the three of 2024 (an object without a series date is in no range).
      const four = [1, 2, 3, 4].map((n) =>
        makeImage({
          studyUid: study,
          studyDescription: 'SPLIT',
          instanceNumber: n,
          rows: 8,
          columns: 8,
          extra: [{ tag: Tag.SeriesDate, vr: 'DA', value: n === 4 ? '20190101' : '20240101' }],
        }),
      );
      const before = await sopsAt('PEER4');
      expect((await send(four)).code).toBe(0);
      await until('half the study reached PEER4', async () => (await sopsAt('PEER4')).length === before.length + 1, 30);
      const arrived = (await sopsAt('PEER4')).filter((s) => !before.includes(s));
      // Of the three in range (1, 2, 3), the second.
      expect(arrived).toEqual([four[1]!.sopUid]);
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
      await far.stop();
    }
  });

  it('runs a line that said defer again later, as a job, until it no longer defers', async () => {
    await archive.setIni('RetryDelay', '1');
    await archive.setIni(
      'ExportConverter2',
      `ifequal "%V0008,1030", "DEFERME"; { lua "tries = (tries or 0) + 1 if tries < 3 then script('defer') end"; forward to PEER1; }`,
    );
    try {
      const image = makeImage({ studyDescription: 'DEFERME', rows: 8, columns: 8 });
      expect((await send([image])).code).toBe(0);
      const deferred = async () => (await archive.server.core.queue.list()).filter((j) => j.kind === 'deferred');
      await until('the line deferred the object', async () => (await deferred()).length === 1);
      expect(await sopsAt('PEER1')).not.toContain(image.sopUid);
      // Deferred twice (the second run defers again), then the forward goes.
      await until('the object reached PEER1', async () => (await sopsAt('PEER1')).includes(image.sopUid), 30);
      await until('the deferred job is done', async () => (await deferred())[0]?.state === 'done');
      expect((await deferred())[0]).toMatchObject({ total: 1, done: 1 });
      expect(archive.logText()).toMatch(/job \d+ deferred: ExportConverter2 deferred it: it runs again in 1 s/);
      // An import converter cannot wait (the Automation screen's check says so, as a start would).
      const checked = await apiFetch(archive, 'POST', '/api/automation/check', { kind: 'import', text: 'nop; defer' });
      expect(await checked.json()).toEqual({
        ok: false,
        column: 6,
        reason: 'defer runs an export converter again later; an import converter cannot wait',
      });
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
  });

  it('deletes a study once none of its objects arrived for the delay (delete study after NN), audited', async () => {
    await archive.setIni('ExportConverter2', 'ifequal "%V0008,1030", "DELME"; delete study after 1');
    try {
      const study = uid();
      const two = [1, 2].map((n) =>
        makeImage({ studyUid: study, studyDescription: 'DELME', instanceNumber: n, rows: 8, columns: 8 }),
      );
      expect((await send(two)).code).toBe(0);
      const jobs = async () => (await archive.server.core.queue.list()).filter((j) => j.kind === 'delete');
      await until('one delete job waits for the study', async () => (await jobs()).some((j) => j.studyUid === study));
      expect((await jobs()).filter((j) => j.studyUid === study)).toHaveLength(1);
      await until('the study is deleted', async () => !(await archive.server.index.findInstance(two[1]!.sopUid)), 30);
      expect(await archive.server.index.findInstance(two[0]!.sopUid)).toBeUndefined();
      await until('the job is done', async () => (await jobs()).find((j) => j.studyUid === study)?.state === 'done');
      await archive.server.core.audit.flush();
      const audit = (await (await apiFetch(archive, 'GET', '/api/audit')).json()) as {
        action: string;
        user: string;
        studyUid: string;
      }[];
      expect(audit).toContainEqual(
        expect.objectContaining({ action: 'delete', user: 'ExportConverter2', studyUid: study }),
      );
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
    await expect(archive.setIni('ExportConverter2', 'delete series after 5')).rejects.toThrow(
      /this version deletes whole studies/,
    );
    await archive.setIni('ExportConverter2', 'nop');
  });

  it('runs a Lua file once a study stopped arriving (process study by file.lua(args)), and prefetches a patient', async () => {
    await writeFile(
      path.join(archive.dataDir, 'config', 'done.lua'),
      "print('study complete:', command_line, Data.StudyInstanceUID)\n",
    );
    // prefetch waits ForwardCollectDelay after the patient's last object.
    await archive.setIni('ForwardCollectDelay', '1');
    await archive.setIni(
      'ExportConverter2',
      'ifequal "%V0008,1030", "PROCME"; { process study after 1 by done.lua(from %u); prefetch; }',
    );
    try {
      const study = uid();
      const two = [1, 2].map((n) =>
        makeImage({ studyUid: study, studyDescription: 'PROCME', instanceNumber: n, rows: 8, columns: 8 }),
      );
      expect((await send(two)).code).toBe(0);
      await until(
        'the study was processed',
        async () => archive.logText().includes(`study complete:\tfrom MODALITY1\t${study}`),
        30,
      );
      // One run for the study, however many objects it got; the prefetch read both objects of the patient (and more).
      expect(archive.logText().split(`study complete:\tfrom MODALITY1\t${study}`)).toHaveLength(2);
      await until(
        'the prefetch is done',
        async () =>
          (await archive.server.core.queue.list()).some(
            (j) => j.kind === 'process' && j.state === 'done' && j.done >= 2,
          ),
        30,
      );
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
    await expect(archive.setIni('ExportConverter2', 'process study by nothere.lua')).rejects.toThrow(
      /nothere.lua: no such Lua file beside dicom.ini/,
    );
    await archive.setIni('ExportConverter2', 'nop');
  });

  it("runs a forward's script on each copy it sends, never on the stored object", async () => {
    // Conquest's "script to run on sent objects": the name and ID changed, new UIDs, and an MR left out.
    await archive.setIni(
      'ExportConverter2',
      `ifequal "%V0008,1030", "SCRIPTED"; forward to PEER3 script "set 0010,0010 to ""ANON""; newuids; ifequal ""%m"", ""MR""; destroy; lua ""Data.PatientID = 'P-' .. Data.PatientID"""`,
    );
    try {
      const study = uid();
      const ct = makeImage({ studyUid: study, studyDescription: 'SCRIPTED', patientId: 'PID1', rows: 8, columns: 8 });
      const mr = makeImage({
        studyUid: study,
        studyDescription: 'SCRIPTED',
        patientId: 'PID1',
        modality: 'MR',
        sopClassUid: StorageSopClass.MrImage,
        rows: 8,
        columns: 8,
      });
      const before = new Set(await peers.PEER3!.files());
      expect((await send([ct, mr])).code).toBe(0);
      const jobs = async () =>
        (await archive.server.core.queue.list()).filter((j) => j.destination === 'PEER3' && j.studyUid === study);
      // Both objects settled (in one job or two, as they arrived), the MR counted done without being sent.
      const settled = async () => (await jobs()).reduce((n, j) => n + (j.state === 'done' ? j.done : 0), 0);
      await until('the forwards are done', async () => (await settled()) === 2, 30);
      expect((await jobs()).every((j) => j.failed === 0)).toBe(true);
      const arrived = (await peers.PEER3!.files()).filter((f) => !before.has(f));
      expect(arrived).toHaveLength(1);
      const dump = await dumpDataSet(arrived[0]!);
      expect(dump).toMatch(/\(0010,0010\) PN \[ANON\]/);
      expect(dump).toMatch(/\(0010,0020\) LO \[P-PID1\]/);
      const sentSop = /\(0008,0018\) UI \[([^\]]+)\]/.exec(dump)![1]!;
      expect(sentSop).not.toBe(ct.sopUid);
      expect(/\(0020,000d\) UI \[([^\]]+)\]/.exec(dump)![1]).not.toBe(study);
      // The stored objects are as they came; the new UIDs are kept (olduids can undo them).
      expect(await archive.server.index.findInstance(ct.sopUid)).toBeDefined();
      expect((await archive.server.index.findPatient('PID1'))?.patientName).toBe('Test^Patient');
      expect(await archive.server.index.uidMapStore().oldUids('', [sentSop])).toEqual(new Map([[sentSop, ct.sopUid]]));
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
    // A script changes the copy; it cannot queue other work.
    await expect(archive.setIni('ExportConverter2', 'forward to PEER3 script "forward to PEER1"')).rejects.toThrow(
      /column 1: forward ... script: forward is not for a forward's script/,
    );
    await archive.setIni('ExportConverter2', 'nop');
  });

  it("makes a study's series of one modality one series once it stopped arriving (merge study ... after NN)", async () => {
    await archive.setIni('ExportConverter2', 'ifequal "%V0008,1030", "MERGEME"; merge study modality CT after 1');
    try {
      const study = uid();
      const [first, second] = [uid(), uid()];
      const image = (seriesUid: string, seriesNumber: number, modality = 'CT') =>
        makeImage({
          studyUid: study,
          studyDescription: 'MERGEME',
          seriesUid,
          seriesNumber,
          modality,
          ...(modality === 'MR' ? { sopClassUid: StorageSopClass.MrImage } : {}),
          rows: 8,
          columns: 8,
        });
      const images = [image(second, 3), image(first, 2), image(second, 3), image(uid(), 1, 'MR')];
      expect((await send(images)).code).toBe(0);
      const edits = async () => (await archive.server.core.queue.list()).filter((j) => j.kind === 'edit');
      await until(
        'the merge is done',
        async () => (await edits()).some((j) => j.studyUid === study && j.state === 'done'),
        30,
      );
      const seriesOf = async (sop: string) => {
        const row = await archive.server.index.findInstance(sop);
        return /\(0020,000e\) UI \[([^\]]+)\]/.exec(
          await dumpDataSet(archive.server.store.absolutePath(row!.location)),
        )![1];
      };
      // Both CT series are the one with the lowest number now; the MR series is left alone.
      expect(await Promise.all(images.map((i) => seriesOf(i.sopUid)))).toEqual([
        first,
        first,
        first,
        images[3]!.seriesUid,
      ]);
      const merges = (await archive.server.core.queue.list()).filter(
        (j) => j.kind === 'process' && j.studyUid === study,
      );
      expect(merges).toHaveLength(1);
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
    await expect(archive.setIni('ExportConverter2', 'merge study after 5 script "newuids"')).rejects.toThrow(
      /merge ... script \(converters on the merged objects\) is not run by this version/,
    );
    await archive.setIni('ExportConverter2', 'nop');
  });

  it("forwards a study's objects whose Image Type matches (imagetype), leaving the others out", async () => {
    await archive.setIni(
      'ExportConverter2',
      'ifequal "%V0008,1030", "SCOUTS"; forward study imagetype *localizer to PEER4 after 1',
    );
    try {
      const study = uid();
      const [scout, axial, derived] = [
        'ORIGINAL\\PRIMARY\\LOCALIZER',
        'ORIGINAL\\PRIMARY\\AXIAL',
        'DERIVED\\SECONDARY\\LOCALIZER',
      ].map((imageType) => makeImage({ studyUid: study, studyDescription: 'SCOUTS', imageType, rows: 8, columns: 8 }));
      const before = await sopsAt('PEER4');
      expect((await send([scout!, axial!, derived!])).code).toBe(0);
      const job = async () =>
        (await archive.server.core.queue.list()).find((j) => j.destination === 'PEER4' && j.studyUid === study);
      await until('the delayed forward of the study is done', async () => (await job())?.state === 'done', 30);
      // All three were in the job; the one whose Image Type does not end in LOCALIZER (any case) was left out.
      expect(await job()).toMatchObject({ total: 3, done: 3, failed: 0 });
      const arrived = (await sopsAt('PEER4')).filter((s) => !before.includes(s));
      expect(arrived).toEqual([scout!.sopUid, derived!.sopUid].sort());
    } finally {
      await archive.setIni('ExportConverter2', 'nop');
    }
  });

  it('refuses a forward clause this version does not run, with its reason', async () => {
    await expect(archive.setIni('ExportConverter2', 'forward imagetype ORIGINAL to PEER4')).rejects.toThrow(
      /ExportConverter2, column 1: imagetype narrows a delayed forward/,
    );
    await expect(archive.setIni('ExportConverter2', 'forward study split 2/2 to PEER4')).rejects.toThrow(
      /split is "split N\/M" with N below M/,
    );
  });

  it('refuses, when dicom.ini is saved, a line that would change the stored object, with its column', async () => {
    await expect(archive.setIni('ExportConverter2', 'set 0010,0010 to "x"')).rejects.toThrow(
      /ExportConverter2, column 1: set of an attribute changes the stored object/,
    );
    await archive.setIni('ExportConverter2', 'nop');
  });
});
