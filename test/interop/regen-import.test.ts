import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { ArchiveServer } from '../../main/server.ts';
import { Logger } from '../../main/util/log.ts';
import { QR_ATTRIBUTES } from '../../main/query/attributes.ts';
import { TransferSyntax } from '../../common/uids.ts';
import { CONQUEST_STYLE } from '../helpers/conquest-dicom-sql.ts';

const CLI = path.resolve(import.meta.dirname, '../../main/cli.ts');

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** Every row the index answers at image level, with all attributes, in a stable order. */
async function snapshot(archive: TestArchive) {
  const rows = await archive.server.index.queryArchive(3, QR_ATTRIBUTES, []);
  return rows.sort((a, b) => String(a.SOPInstanceUID).localeCompare(String(b.SOPInstanceUID)));
}

/** The index rebuilt from the files, objects imported from a folder and a DICOMDIR, and a Conquest installation taken over. */
describe('regen, import and migration from Conquest', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  let rleUid = '';

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-regen-'));
    const images = Array.from({ length: 12 }, (_, i) =>
      makeImage({
        patientName: 'Dvorak^Antonin',
        patientId: 'PR1',
        studyUid: study,
        instanceNumber: i + 1,
        modality: i < 6 ? 'CT' : 'MR',
        seriesUid: i < 6 ? `${study}.1` : `${study}.2`,
      }),
    );
    const files = await writeImages(path.join(work, 'in'), images);
    const rle = makeImage({
      patientName: 'Dvorak^Antonin',
      patientId: 'PR1',
      studyUid: study,
      seriesUid: `${study}.3`,
    });
    rleUid = rle.sopUid;
    const [rleIn] = await writeImages(path.join(work, 'raw'), [rle]);
    expect((await run('dcmcrle', [rleIn!, path.join(work, 'rle.dcm')])).code).toBe(0);
    const peer = ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)];
    expect((await run('storescu', [...peer, ...files])).code).toBe(0);
    expect((await run('storescu', ['-xr', ...peer, path.join(work, 'rle.dcm')])).code).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('rebuilds the same index from the files, reporting and skipping a corrupt one', async () => {
    const before = await snapshot(archive);
    expect(before).toHaveLength(13);
    const storage = archive.server.store.devices[0]!;
    await writeFile(path.join(storage, 'garbage.dcm'), 'not a DICOM file at all, but long enough to look at');
    const someFile = (await archive.server.index.findInstance(rleUid))!;
    const bytes = await readFile(archive.server.store.absolutePath(someFile.location));
    await writeFile(path.join(storage, 'truncated.dcm'), bytes.subarray(0, bytes.length - 100));
    await archive.server.stop();
    const r = await cli(['regen', '--data', archive.dataDir]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/regen: 15 file\(s\), 13 indexed, 2 skipped/);
    expect(r.out).toMatch(/skipped .*garbage\.dcm: not a DICOM file/);
    expect(r.out).toMatch(/skipped .*truncated\.dcm: .*(short|ends)/);
    await archive.restart();
    expect(await snapshot(archive)).toEqual(before);
    const f = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      [
        'QueryRetrieveLevel=STUDY',
        `StudyInstanceUID=${study}`,
        'NumberOfStudyRelatedInstances',
        'ModalitiesInStudy',
        'PatientName',
      ],
    );
    expect(f.answers).toEqual([
      expect.objectContaining({
        NumberOfStudyRelatedInstances: '13',
        ModalitiesInStudy: 'CT\\MR',
        PatientName: 'Dvorak^Antonin',
      }),
    ]);
  });

  it('imports a folder, copying each object in and leaving aside what is not DICOM; a second import replaces, adding nothing', async () => {
    const folder = path.join(work, 'usb');
    const images = Array.from({ length: 4 }, (_, i) => makeImage({ patientId: 'IMP1', instanceNumber: i + 1 }));
    await writeImages(path.join(folder, 'a'), images.slice(0, 2));
    await writeImages(path.join(folder, 'b', 'c'), images.slice(2));
    await writeFile(path.join(folder, 'README.TXT'), 'Patient CD');
    // A bare data set (no Part-10 header), as old exports and Conquest's .v2 files are.
    const bare = makeImage({ patientId: 'IMP1', instanceNumber: 5 });
    const [bareIn] = await writeImages(path.join(work, 'bare-src'), [bare]);
    expect((await run('dcmconv', ['+ti', '-F', bareIn!, path.join(folder, 'b', 'bare.v2')])).code).toBe(0);
    await archive.server.stop();
    const first = await cli(['import', folder, '--data', archive.dataDir]);
    expect(first.out).toMatch(
      /import: 6 file\(s\), 5 imported, 0 duplicate\(s\), 0 skipped, 1 not DICOM \(left aside\)/,
    );
    expect(first.out).toMatch(/left aside \(not DICOM\): .*README\.TXT/);
    const again = await cli(['import', folder, '--data', archive.dataDir]);
    expect(again.out).toMatch(/import: 6 file\(s\), 5 imported/);
    await archive.restart();
    for (const img of images) {
      const inst = await archive.server.index.findInstance(img.sopUid);
      expect(inst).toBeDefined();
      expect(await dumpDataSet(archive.server.store.absolutePath(inst!.location))).toBe(
        await dumpDataSet(path.join(folder, img === images[0] || img === images[1] ? 'a' : 'b/c', `${img.sopUid}.dcm`)),
      );
    }
    // The copy of the bare data set got a proper Part-10 header naming it.
    const bareStored = (await archive.server.index.findInstance(bare.sopUid))!;
    const metaDump = await run('dcmdump', [
      '-q',
      '-Un',
      '-M',
      '+P',
      '0002,0003',
      '+P',
      '0002,0010',
      archive.server.store.absolutePath(bareStored.location),
    ]);
    expect(metaDump.stdout).toContain(bare.sopUid);
    expect(metaDump.stdout).toContain('1.2.840.10008.1.2]');
    expect((await archive.server.index.counts()).instances).toBe(13 + 5);
  });

  it('imports what a DICOMDIR references, linked in place', async () => {
    const cd = path.join(work, 'cd');
    await mkdir(path.join(cd, 'IMAGES'), { recursive: true });
    const images = Array.from({ length: 3 }, (_, i) => makeImage({ patientId: 'CD1', instanceNumber: i + 1 }));
    const written = await writeImages(path.join(work, 'cd-src'), images);
    for (const [i, f] of written.entries()) await copyFile(f, path.join(cd, 'IMAGES', `IMG0000${i + 1}`));
    const mk = await promisify(execFile)('dcmmkdir', ['+r', '+I', 'IMAGES'], { cwd: cd });
    expect(mk.stderr).not.toMatch(/^E:/m);
    await archive.server.stop();
    const r = await cli(['import', path.join(cd, 'DICOMDIR'), '--link', '--data', archive.dataDir]);
    expect(r.out).toMatch(/import: 3 file\(s\), 3 imported/);
    await archive.restart();
    for (const img of images) {
      const inst = (await archive.server.index.findInstance(img.sopUid))!;
      expect((await lstat(archive.server.store.absolutePath(inst.location))).isSymbolicLink()).toBe(true);
    }
  });

  it('takes over a Conquest installation: same AE title, port and nodes, its files indexed in place, .v2 files too', async () => {
    const conquest = path.join(work, 'conquest');
    const dataFolder = path.join(conquest, 'data');
    await mkdir(path.join(dataFolder, 'CQ1'), { recursive: true });
    await mkdir(path.join(conquest, 'data', 'dbase'), { recursive: true });
    await writeFile(
      path.join(conquest, 'dicom.ini'),
      `# This file contains configuration information for the DICOM server
[sscscp]
MicroPACS                = sscscp
Edition                  = Personal

# Network configuration: server name and TCP/IP port#
MyACRNema                = CONQUESTSRV1
TCPPort                  = 5678

# Reference to other files: known dicom servers; database layout; sops
ACRNemaMap               = acrnema.map
kFactorFile              = dicom.sql
SOPClassList             = dgatesop.lst

# Host(ignored), name, username and password for ODBC data source
SQLHost                  = localhost
SQLServer                = ./data/dbase/conquest.db3
Username                 = dontcare
Password                 = dontcare
SqLite                   = 1
MySQL                    = 0

# Configure server
ImportExportDragAndDrop  = 1
ZipTime                  = 05:
UIDPrefix                = 99999.99999
EnableComputedFields     = 1
FileNameSyntax           = 4
ExportConverters         = 2
ExportConverter0         = someconverter.exe %f
ExportConverter1         = ifequal "%m", "CT"; forward study to VIEWER after 60
ImportConverter0         = set 0010,1001 to "from %u"
ImportConverter1         = fixkodak
ImportConverter2         = call Stamp; tag.lua(nightly)

# Configuration of disk(s) to store images
MAGDeviceThreshHold      = 1
MAGDevices               = 1
MAGDevice0               = ./data/

[scripts]
Stamp = set 0010,4000 to "stamped by %u"

[lua]
association = require('assoc')
printserver = print('x')
nightly = print('x'
`,
    );
    await writeFile(
      path.join(conquest, 'acrnema.map'),
      `/* **********************************************************
*                                                          *
* DICOM AE (Application entity) -> IP address / Port map   *
* (This is file ACRNEMA.MAP)                               *
*                                                          *
* All DICOM systems that want to retrieve images from the  *
* Conquest DICOM server must be listed here with correct   *
* AE name, (IP adress or hostname) and port number.        *
* The first entry is the Conquest system as example.       *
*                                                          *
*                                                          *
* The syntax for each entry is :                           *
*   AE   <IP adress|Host name>   port number   compression *
*                                                          *
********************************************************** */

CONQUESTSRV1	127.0.0.1	5678		un
VIEWER		192.168.1.20	104		un
`,
    );
    const images = Array.from({ length: 3 }, (_, i) => makeImage({ patientId: 'CQ1', instanceNumber: i + 1 }));
    const written = await writeImages(path.join(work, 'cq-src'), images);
    await copyFile(written[0]!, path.join(dataFolder, 'CQ1', `${images[0]!.sopUid}.dcm`));
    // Conquest's .v2 files: bare implicit VR little endian data sets, no Part-10 header.
    for (const i of [1, 2])
      expect(
        (await run('dcmconv', ['+ti', '-F', written[i]!, path.join(dataFolder, 'CQ1', `${images[i]!.sopUid}.v2`)]))
          .code,
      ).toBe(0);
    await writeFile(path.join(dataFolder, 'dbase', 'conquest.db3'), 'a Conquest database we do not read');

    // Conquest's index layout, with attributes beyond ours (Image Type at the image level among them).
    await writeFile(path.join(conquest, 'dicom.sql'), CONQUEST_STYLE);
    await writeFile(path.join(conquest, 'tag.lua'), "Data.InstitutionName = 'lua ' .. command_line\n");
    await writeFile(path.join(conquest, 'assoc.lua'), "function greet(ae) return 'hello ' .. ae end\n");
    const target = path.join(work, 'migrated');
    const r = await cli(['migrate-conquest', '--from', conquest, '--data', target]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(
      'ExportConverter0 switched off: column 1: "someconverter.exe" is not a converter command this version runs',
    );
    expect(r.out).toContain('ImportConverter1 switched off: column 1: "fixkodak" is not a converter command');
    expect(r.out).toContain('converters kept and running: ImportConverter0, ImportConverter2, ExportConverter1');
    expect(r.out).toContain('copied tag.lua for the converters that call it');
    // [lua]: the hooks this version runs stay (with the files they load); the rest is taken out, saying why.
    expect(r.out).toContain('copied assoc.lua');
    expect(r.out).toContain('[lua] printserver taken out: not a hook this version runs');
    expect(r.out).toContain("[lua] nightly taken out: [lua] nightly:1: ')' expected");
    expect(r.out).toContain('[lua] hooks kept and running: association');
    // Conquest's clean-up key keeps its meaning (earlier versions of ours read it as the stop-writing limit).
    expect(r.out).toMatch(/MAGDeviceThreshHold = 1: clean-up is on, as in Conquest/);
    expect(r.out).toMatch(/MAGDeviceFullThreshold = 30 \(Conquest's default\)/);
    expect(r.out).toMatch(/regen: 4 file\(s\), 3 indexed, 1 skipped/); // the Conquest database file is not an object
    expect(r.out).toContain(
      'dicom.sql: copied; the index also keeps PatientsAge (studies), ProtocolName (series), ImageType (instances), AcqDate (instances)',
    );
    const logger = new Logger('error');
    const server = new ArchiveServer({
      dataDir: target,
      configDir: path.join(target, 'config'),
      port: 0,
      apiPort: 0,
      listenAddress: '127.0.0.1',
      logger,
    });
    await server.start();
    try {
      expect(server.config.settings).toMatchObject({
        aeTitle: 'CONQUESTSRV1',
        port: 5678,
        devices: [dataFolder],
        magCleanThresholdMB: 1,
        magFullThresholdMB: 30,
      });
      expect(server.config.nodes.nodes.map((n) => [n.ae, n.host, n.port])).toEqual([
        ['CONQUESTSRV1', '127.0.0.1', 5678],
        ['VIEWER', '192.168.1.20', 104],
      ]);
      expect(server.config.ini.get('sscscp', 'kFactorFile')?.value).toBe('dicom.sql');
      // The converters it runs came over and run; the others are kept, switched off.
      expect(server.config.importConverters.map((c) => c.index)).toEqual([0, 2]);
      expect(server.config.forwardRules.map((r) => [r.index, r.destinations])).toEqual([[1, ['VIEWER']]]);
      expect(server.config.ini.get('sscscp', 'ExportConverter0')?.value).toBe('someconverter.exe %f');
      const f = await findscu(
        server.port,
        'CONQUESTSRV1',
        ['-S'],
        ['QueryRetrieveLevel=IMAGE', 'PatientID=CQ1', 'SOPInstanceUID', 'AvailableTransferSyntaxUID'],
      );
      expect(f.answers.map((a) => a.AvailableTransferSyntaxUID).sort()).toEqual([
        TransferSyntax.ImplicitLittleEndian,
        TransferSyntax.ImplicitLittleEndian,
        TransferSyntax.ExplicitLittleEndian,
      ]);
      // dicom.sql's Image Type, read from every file as the index was rebuilt (the .v2 ones in implicit VR too).
      const byType = await findscu(
        server.port,
        'CONQUESTSRV1',
        ['-S'],
        ['QueryRetrieveLevel=IMAGE', 'PatientID=CQ1', 'SOPInstanceUID', 'ImageType=AXIAL'],
      );
      expect(byType.answers.map((a) => a.ImageType)).toEqual(Array(3).fill('ORIGINAL\\PRIMARY\\AXIAL'));
      // A .v2 object goes out again as a proper object.
      const dir = await mkdtemp(path.join(tmpdir(), 'cq-get-'));
      const g = await run('getscu', [
        '-S',
        '-aec',
        'CONQUESTSRV1',
        '-od',
        dir,
        '127.0.0.1',
        String(server.port),
        '-k',
        'QueryRetrieveLevel=IMAGE',
        '-k',
        `StudyInstanceUID=${images[1]!.studyUid}`,
        '-k',
        `SOPInstanceUID=${images[1]!.sopUid}`,
      ]);
      expect(g.code, g.stderr).toBe(0);
      const got = await readdir(dir);
      expect(got).toHaveLength(1);
      // Private elements aside: in implicit VR DCMTK cannot name their VR.
      const strip = (d: string) =>
        d
          .split('\n')
          .filter((l) => !l.includes('(0009,'))
          .join('\n');
      expect(strip(await dumpDataSet(path.join(dir, got[0]!)))).toBe(strip(await dumpDataSet(written[1]!)));
      await rm(dir, { recursive: true, force: true });
      // The files stayed where Conquest put them.
      expect((await readdir(path.join(dataFolder, 'CQ1'))).sort()).toHaveLength(3);
      // Conquest's converters run here: a [scripts] call and a Lua file with its argument.
      const arriving = makeImage({ patientId: 'CQ2', rows: 8, columns: 8 });
      const sent = await run('storescu', [
        '-aet',
        'MODALITY9',
        '-aec',
        'CONQUESTSRV1',
        '127.0.0.1',
        String(server.port),
        ...(await writeImages(path.join(work, 'cq-new'), [arriving])),
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      const row = (await server.index.findInstance(arriving.sopUid))!;
      const dump = await dumpDataSet(server.store.absolutePath(row.location));
      expect(dump).toContain('(0010,4000) LT [stamped by MODALITY9]');
      expect(dump).toContain('(0008,0080) LO [lua nightly]');
    } finally {
      await server.stop();
    }
  });
});
