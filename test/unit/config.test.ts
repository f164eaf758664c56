import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { AcrNemaMap } from '../../main/config/acrnema-map.ts';
import { parseSopList } from '../../main/config/sop-list.ts';
import { readSettings } from '../../main/config/server-settings.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';
import { DEFAULT_CONFIG_DIR } from '../../main/config/load.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

const INI = `# Conquest style
[sscscp]
MyACRNema      = CONQUESTSRV1   # our AE
TCPPort        = 5678
ExportConverters = 1
ExportConverter0 = forward to PACS2
SomeUnknownKey = kept as is
`;

describe('dicom.ini', () => {
  it('changes only the value that was set; comments, unknown keys and alignment stay', () => {
    const doc = new IniDocument('dicom.ini', INI);
    doc.set('sscscp', 'tcpport', '104');
    doc.set('sscscp', 'MyACRNema', 'ARCHIVE');
    doc.set('sscscp', 'LogLevel', 'debug');
    expect(doc.toString()).toBe(`# Conquest style
[sscscp]
MyACRNema      = ARCHIVE # our AE
TCPPort        = 104
ExportConverters = 1
ExportConverter0 = forward to PACS2
SomeUnknownKey = kept as is
LogLevel                 = debug
`);
  });

  it('reads the shipped defaults', () => {
    const file = path.join(DEFAULT_CONFIG_DIR, 'dicom.ini');
    const s = readSettings(new IniDocument(file, readFileSync(file, 'utf8')), '/cfg', '/data');
    expect(s).toMatchObject({
      aeTitle: 'PACSWS',
      port: 11112,
      devices: ['/data/storage'],
      index: { engine: 'sqlite', file: '/data/index/archive.db3' },
      duplicatePolicy: 'replace',
      acrNemaMap: '/cfg/acrnema.map',
    });
  });

  it('refuses bad values with file, line and reason, all at once', () => {
    const doc = new IniDocument(
      '/etc/pacs/dicom.ini',
      `[sscscp]\nMyACRNema = THIS_AE_TITLE_IS_TOO_LONG\nTCPPort = 70000\nDuplicatePolicy = merge\nFileNameSyntax = %patient/%sopuid\nMySQL = yes\n`,
    );
    let caught: ConfigErrors | undefined;
    try {
      readSettings(doc, '/cfg', '/data');
    } catch (e) {
      caught = e as ConfigErrors;
    }
    expect(caught).toBeInstanceOf(ConfigErrors);
    expect(caught!.errors.map((e) => `${e.file}:${e.line}`)).toEqual([
      '/etc/pacs/dicom.ini:2',
      '/etc/pacs/dicom.ini:3',
      '/etc/pacs/dicom.ini:4',
      '/etc/pacs/dicom.ini:5',
      '/etc/pacs/dicom.ini:6',
    ]);
    expect(caught!.message).toMatch(
      /dicom.ini:2: MyACRNema: AE title "THIS_AE_TITLE_IS_TOO_LONG" is longer than 16 characters/,
    );
    expect(caught!.message).toMatch(/dicom.ini:3: TCPPort: "70000" is not a whole number from 0 to 65535/);
    expect(caught!.message).toMatch(/dicom.ini:5: FileNameSyntax: unknown variable %patient/);
    expect(caught!.message).toMatch(/dicom.ini:6: MySQL: "yes" must be 0 or 1/);
  });

  it("reads Conquest's compression codes, refusing those this version cannot follow with the line and the reason", () => {
    const ok = readSettings(
      new IniDocument('/d.ini', '[sscscp]\nIncomingCompression = JS\nDroppedFileCompression = uj\n'),
      '/cfg',
      '/data',
    );
    expect(ok.incomingCompression).toEqual({ kind: 'compress', transferSyntax: TransferSyntax.JpegLsLossless });
    expect(ok.droppedFileCompression).toEqual({ kind: 'uncompressed', keepJpeg: true });
    const doc = new IniDocument('/d.ini', '[sscscp]\nIncomingCompression = n2\nDroppedFileCompression = k4\n');
    let caught: ConfigErrors | undefined;
    try {
      readSettings(doc, '/cfg', '/data');
    } catch (e) {
      caught = e as ConfigErrors;
    }
    expect(caught!.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'IncomingCompression: "n2": NKI private compression is not supported'],
      [3, 'DroppedFileCompression: "k4": downsizing images is not supported'],
    ]);
  });

  it("reads Conquest's disk keys in either spelling and any case, with Conquest's meaning", () => {
    const read = (text: string) => readSettings(new IniDocument('/d.ini', `[sscscp]\n${text}\n`), '/c', '/d');
    expect(read('')).toMatchObject({ magCleanThresholdMB: 0, magFullThresholdMB: 30, nightlyCleanThresholdMB: 0 });
    expect(read('MAGDeviceThreshHold = 500\nMAGDeviceFullThreshHold = 50')).toMatchObject({
      magCleanThresholdMB: 500,
      magFullThresholdMB: 50,
    });
    expect(read('magdevicethreshhold = 7\nNightlyCleanThreshold = 900')).toMatchObject({
      magCleanThresholdMB: 7,
      nightlyCleanThresholdMB: 900,
    });
    expect(read('MAGDeviceThreshold = 8\nMAGDeviceFullThreshold = 9')).toMatchObject({
      magCleanThresholdMB: 8,
      magFullThresholdMB: 9,
    });
    expect(() => read('MAGDeviceThreshHold = lots')).toThrow(
      /d.ini:2: MAGDeviceThreshold: "lots" is not a whole number/,
    );
  });

  it("reads Conquest's MySQL keys, the port from SQLHost or SQLPort", () => {
    const doc = new IniDocument(
      'd.ini',
      `[sscscp]\nMySQL = 1\nSqLite = 0\nSQLHost = db.clinic:3307\nSQLServer = conquest\nUsername = pacs\nPassword = secret\n`,
    );
    expect(readSettings(doc, '/c', '/d').index).toEqual({
      engine: 'mysql',
      host: 'db.clinic',
      port: 3307,
      user: 'pacs',
      password: 'secret',
      database: 'conquest',
    });
    const bad = new IniDocument('d.ini', `[sscscp]\nMySQL = 1\nSQLServer = ./data/dbase/conquest.db3\n`);
    expect(() => readSettings(bad, '/c', '/d')).toThrow(
      /d.ini:3: SQLServer: ".\/data\/dbase\/conquest.db3" is not a MySQL database name/,
    );
  });

  it('requires every MAGDevice that MAGDevices announces', () => {
    const doc = new IniDocument('d.ini', `[sscscp]\nMAGDevices = 2\nMAGDevice0 = /a\n`);
    expect(() => readSettings(doc, '/c', '/d')).toThrow(/d.ini:2: MAGDevices is 2 but MAGDevice1 is not set/);
  });
});

describe('acrnema.map', () => {
  const MAP = `/* **********************************
 * header kept                      *
 ********************************** */
CONQUESTSRV1   127.0.0.1   5678   un
CT*            10.0.0.5    104    as   # scanners
`;
  it('parses nodes, matches wildcards and keeps the header on rewrite', () => {
    const map = new AcrNemaMap('acrnema.map', MAP);
    expect(map.nodes.map((n) => [n.ae, n.host, n.port, n.line])).toEqual([
      ['CONQUESTSRV1', '127.0.0.1', 5678, 4],
      ['CT*', '10.0.0.5', 104, 5],
    ]);
    expect(map.find('ct_room2')?.host).toBe('10.0.0.5');
    map.upsert({ ae: 'VIEWER', host: 'viewer.local', port: 11112, compression: 'un' });
    map.remove('CONQUESTSRV1');
    expect(map.toString()).toMatch(/^\/\* \*+\n \* header kept/);
    expect(map.toString()).not.toMatch(/CONQUESTSRV1/);
    expect(new AcrNemaMap('x', map.toString()).nodes.map((n) => n.ae)).toEqual(['CT*', 'VIEWER']);
  });

  it('refuses a bad line with its number and reason', () => {
    expect(() => new AcrNemaMap('acrnema.map', 'GOOD 1.2.3.4 104\nBAD host 99999\n')).toThrow(
      /acrnema.map:2: port "99999" is not a number from 1 to 65535/,
    );
    expect(() => new AcrNemaMap('acrnema.map', 'ONLYTWO host\n')).toThrow(
      /acrnema.map:1: expected "AE host port \[compression\]"/,
    );
  });
});

describe('dgatesop.lst', () => {
  it('reads SOP classes and transfer syntaxes, skipping comments', () => {
    const list = parseSopList(
      'dgatesop.lst',
      '# c\nCTImageStorage 1.2.840.10008.5.1.4.1.1.2 sop\n#MRImageStorage 1.2.840.10008.5.1.4.1.1.4 sop\nLittleEndianImplicit 1.2.840.10008.1.2 transfer\n',
    );
    expect([...list.sopClasses]).toEqual([StorageSopClass.CtImage]);
    expect([...list.transferSyntaxes]).toEqual([TransferSyntax.ImplicitLittleEndian]);
  });
  it('refuses a bad UID or kind with its line', () => {
    expect(() => parseSopList('dgatesop.lst', 'A 1.2.3 sop\nB 1..2 sop\n')).toThrow(
      /dgatesop.lst:2: "1..2" is not a valid UID/,
    );
    expect(() => parseSopList('dgatesop.lst', 'A 1.2.3 service\n')).toThrow(/dgatesop.lst:1: kind "service"/);
  });
});

describe('line endings', () => {
  it('writes dicom.ini, acrnema.map and dicomweb.map/noderights.map back with the line ending they were read with', async () => {
    const { WebNodeMap } = await import('../../main/config/web-nodes.ts');
    const { NodeRightsMap } = await import('../../main/config/node-rights.ts');
    const crlf = INI.replace(/\n/g, '\r\n');
    const doc = new IniDocument('dicom.ini', crlf);
    doc.set('sscscp', 'TCPPort', '104');
    expect(doc.toString()).toBe(crlf.replace('TCPPort        = 5678', 'TCPPort        = 104'));
    expect(new IniDocument('dicom.ini', INI).toString()).toBe(INI);
    const map = new AcrNemaMap('acrnema.map', 'PACS2  10.0.0.2  104  un\r\n');
    map.upsert({ ae: 'CT1', host: '10.0.0.3', port: 104, compression: 'un' });
    expect(map.toString()).toMatch(/^PACS2  10\.0\.0\.2  104  un\r\nCT1\s+10\.0\.0\.3\s+104\s+un\r\n$/);
    const web = new WebNodeMap('dicomweb.map', '# web\r\nORTHANC http://x/dicom-web\r\n');
    web.remove('ORTHANC');
    expect(web.toString()).toBe('# web\r\n');
    const rights = new NodeRightsMap('noderights.map', 'CT1 store\r\n');
    rights.set('WS', { rights: ['query'], retrieveTo: '*', checkHost: false });
    expect(rights.toString()).toMatch(/^CT1 store\r\nWS\s+query\s+\*\s+-\r\n$/);
  });
});
