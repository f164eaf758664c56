import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { ENDPOINTS } from '../../main/api/endpoints.ts';
import type { AuditDto } from '../../main/api/contract.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/**
 * Conquest's `process with command` in import converters (its Windows manual: "received is processed by executable"),
 * through storescu: the object goes to DCMTK's dcmodify, and to dcmcjpeg (a script that leaves it JPEG lossless), as a
 * file; what the program left is stored, the converters after it see it, the index knows its new syntax. A program
 * that fails leaves the object as it came; none runs until the admin sets AllowExternalCommands = 1.
 */
describe('process with (an outside program rewrites the arriving object)', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      ImportConverter0: 'ifequal "%m", "MR"; process with dcmodify -nb -i "(0008,0080)=PROCESSED"',
      ImportConverter1: 'ifequal "%m", "MR"; set 0008,1030 to "%V0008,0080 then set"',
      ImportConverter2: 'ifequal "%m", "XA"; process with sh tojpeg.sh',
      ImportConverter3: 'ifequal "%m", "NM"; { set 0008,0080 to "changed first"; process with false; }',
      // io.popen: a program's output into the object.
      ImportConverter4:
        "lua:if Data.Modality == 'PT' then local f, err = io.popen('echo popen-works') Data.InstitutionName = f and f:read('*l') or err end",
      ExportConverters: '1',
      ExportConverter0: 'nop',
    });
    await writeFile(path.join(archive.dataDir, 'tojpeg.sh'), 'dcmcjpeg +e1 "$1" "$1.jpeg" && mv "$1.jpeg" "$1"\n');
    work = await mkdtemp(path.join(tmpdir(), 'pacs-process-with-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const storedDump = async (sop: string) => {
    const row = await archive.server.index.findInstance(sop);
    return { row: row!, dump: await dumpDataSet(archive.server.store.absolutePath(row!.location)) };
  };

  it('runs nothing until AllowExternalCommands = 1', async () => {
    const mr = makeImage({ modality: 'MR', sopClassUid: StorageSopClass.MrImage, rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [mr], work)).code).toBe(0);
    const { dump } = await storedDump(mr.sopUid);
    expect(dump).not.toContain('PROCESSED');
    expect(archive.logText()).toContain('"process with dcmodify -nb -i "(0008,0080)=PROCESSED"" not run');
    const pt = makeImage({ modality: 'PT', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [pt], work)).code).toBe(0);
    expect((await storedDump(pt.sopUid)).dump).toContain(
      '(0008,0080) LO [io.popen runs a program only where AllowExternalCommands = 1]',
    );
  });

  it('stores what the program left, which the next converters see, in the syntax it left it in', async () => {
    await archive.setIni('AllowExternalCommands', '1');
    const mr = makeImage({ modality: 'MR', sopClassUid: StorageSopClass.MrImage, rows: 8, columns: 8 });
    const xa = makeImage({ modality: 'XA', rows: 16, columns: 16, pixel: (r, c) => (r * 16 + c) * 7 });
    expect((await storeAs(archive, 'MOD1', [mr, xa], work)).code).toBe(0);
    const pt = makeImage({ modality: 'PT', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [pt], work)).code).toBe(0);
    expect((await storedDump(pt.sopUid)).dump).toContain('(0008,0080) LO [popen-works]');
    const processed = await storedDump(mr.sopUid);
    expect(processed.dump).toContain('(0008,0080) LO [PROCESSED]');
    expect(processed.dump).toContain('(0008,1030) LO [PROCESSED then set]');
    const jpeg = await storedDump(xa.sopUid);
    expect(jpeg.row.transferSyntaxUid).toBe(TransferSyntax.JpegLosslessSV1);
    expect(jpeg.dump).toMatch(/\(7fe0,0010\) OB \(PixelSequence/);
    // Each run is in the audit trail, with the converter's name and the exit code.
    await archive.server.core.audit.flush();
    const audit = (await (await apiFetch(archive, 'GET', ENDPOINTS.audit.path)).json()) as AuditDto[];
    const runs = audit.filter((a) => a.action === 'converter-command' && a.detail.startsWith('process with '));
    expect(runs.map((a) => a.user).sort()).toEqual(['ImportConverter0', 'ImportConverter2']);
    expect(
      audit.some((a) => a.action === 'converter-command' && a.detail.startsWith('io.popen echo popen-works -> exit 0')),
    ).toBe(true);
    expect(runs.every((a) => a.outcome === 'success' && / -> exit 0 in \d+ ms$/.test(a.detail))).toBe(true);
  });

  it('tries a converter that runs a program without running it', async () => {
    const mr = makeImage({ modality: 'MR', sopClassUid: StorageSopClass.MrImage, rows: 8, columns: 8 });
    await archive.setIni('ImportConverter1', 'nop');
    expect((await storeAs(archive, 'MOD1', [mr], work)).code).toBe(0);
    const before = (await storedDump(mr.sopUid)).dump;
    const tried = await apiFetch(archive, 'POST', '/api/automation/try', { sopInstanceUid: mr.sopUid });
    expect(tried.status).toBe(200);
    const body = (await tried.json()) as { converters: { key: string; error?: string }[] };
    expect(body.converters.find((c) => c.key === 'ImportConverter0')?.error).toBe(
      'a try does not run this: process with dcmodify -nb -i "(0008,0080)=PROCESSED"',
    );
    expect((await storedDump(mr.sopUid)).dump).toBe(before);
  });

  it('stores the object as it came when the program fails, and says why', async () => {
    const nm = makeImage({ modality: 'NM', rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [nm], work)).code).toBe(0);
    const { dump } = await storedDump(nm.sopUid);
    expect(dump).not.toContain('changed first');
    expect(archive.logText()).toMatch(/the import converters failed, stored as received: process with false: exit 1/);
  });

  it("runs a program named as an export converter with the stored object's file (Conquest's oldest converter)", async () => {
    const script = path.join(archive.dataDir, 'record.sh');
    await writeFile(script, '#!/bin/sh\necho "$1" >> exported.txt\n');
    await chmod(script, 0o755);
    await archive.setIni('ExportConverter0', './record.sh');
    const image = makeImage({ rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MOD1', [image], work)).code).toBe(0);
    const stored = archive.server.store.absolutePath((await archive.server.index.findInstance(image.sopUid))!.location);
    const list = path.join(archive.dataDir, 'exported.txt');
    await until('the program got the file', async () =>
      (await readFile(list, 'utf8').catch(() => '')).includes(stored),
    );
    await archive.setIni('ExportConverter0', 'nop');
  });

  it("submits each object of a study with a command line, once none arrived for a while (submit2); refuses Conquest's submit", async () => {
    const target = path.join(work, 'submitted');
    await mkdir(target);
    await archive.setIni('AllowExternalCommands', '1');
    await archive.setIni(
      'ExportConverter0',
      `ifequal "%V0008,1030", "SUBMIT"; submit2 study target ${target} command [cp %s %s] after 1`,
    );
    const study = uid();
    const images = [1, 2].map((n) =>
      makeImage({ studyUid: study, studyDescription: 'SUBMIT', instanceNumber: n, rows: 8, columns: 8 }),
    );
    expect((await storeAs(archive, 'MOD1', images, work)).code).toBe(0);
    await until('both objects of the study were submitted', async () => (await readdir(target)).length === 2);
    for (const image of images) {
      const stored = archive.server.store.absolutePath(
        (await archive.server.index.findInstance(image.sopUid))!.location,
      );
      expect(await readFile(path.join(target, path.basename(stored)))).toEqual(await readFile(stored));
    }
    await until('the submit job is done', async () =>
      (await archive.server.core.queue.list()).some((j) => j.kind === 'process' && j.state === 'done' && j.done === 2),
    );
    await expect(archive.setIni('ExportConverter0', 'submit study target me@host:/in password x')).rejects.toThrow(
      /submit sends with the 7-Zip and PSCP Conquest ships: write it as submit2/,
    );
    await expect(archive.setIni('ExportConverter0', 'submit2 study target x')).rejects.toThrow(
      /submit2 names its command line/,
    );
    await archive.setIni('ExportConverter0', 'nop');
  });

  it('refuses it where there is no arriving object to rewrite, with the column', async () => {
    await expect(archive.setIni('ExportConverter0', 'nop; process with dcmodify')).rejects.toThrow(
      /ExportConverter0, column 6: process changes or drops the object: an export converter runs once it is stored/,
    );
    await expect(archive.setIni('QueryConverter0', 'process with dcmodify')).rejects.toThrow(
      /QueryConverter0, column 1: process has no meaning on a request/,
    );
    await expect(archive.setIni('ImportConverter4', 'process with')).rejects.toThrow(
      /ImportConverter4, column 1: process with names a command line/,
    );
  });
});
