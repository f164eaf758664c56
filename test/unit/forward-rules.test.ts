import { describe, expect, it } from 'vitest';
import { IniDocument } from '../../common/ini-document.ts';
import { AcrNemaMap } from '../../main/config/acrnema-map.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';
import { needsObject, readForwardRules, ruleMatches } from '../../main/config/forward-rules.ts';
import { ExportFilterError, parseExportFilter } from '../../main/automation/export-filter.ts';
import { textElement, uint16Element } from '../../main/dicom/dataset.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { readRules, writeRules } from '../../renderer/src/forward-rules-text.ts';
import { StorageSopClass } from '../../common/uids.ts';

const NODES = new AcrNemaMap('acrnema.map', 'PACS2  10.0.0.2  104  un\nVIEWER  10.0.0.3  104  un\n');

function rules(ini: string) {
  return readForwardRules(new IniDocument('dicom.ini', `[sscscp]\n${ini}`), NODES);
}

describe('forwarding rules (Conquest ExportConverters)', () => {
  it('reads forward rules with their filters, and matches stored objects against them', () => {
    const [mr, any] = rules(`ExportConverters = 2
ExportConverter0 = forward to PACS2
ExportModality0 = MR
ExportCallingAE0 = MRI*
ExportConverter1 = forward compressed as j2 to VIEWER
ExportSOPClass1 = 1.2.840.10008.5.1.4.1.1.4
`);
    expect(mr).toMatchObject({
      destination: 'PACS2',
      modality: 'MR',
      callingAe: 'MRI*',
      calledAe: '',
      sopClass: '',
      line: 3,
    });
    expect(any).toMatchObject({ destination: 'VIEWER', sopClass: StorageSopClass.MrImage });
    const object = { modality: 'MR', callingAe: 'MRI_3T', calledAe: 'ARCHIVE', sopClassUid: StorageSopClass.MrImage };
    expect(ruleMatches(mr!, object)).toBe(true);
    expect(ruleMatches(mr!, { ...object, modality: 'CT' })).toBe(false);
    expect(ruleMatches(mr!, { ...object, callingAe: 'CT1' })).toBe(false);
    expect(ruleMatches(any!, { ...object, sopClassUid: StorageSopClass.CtImage })).toBe(false);
    expect(rules('')).toEqual([]);
  });

  it('refuses what it cannot run, each with its line and reason', () => {
    let caught: ConfigErrors | undefined;
    try {
      rules(`ExportConverters = 3
ExportConverter0 = forward to NOWHERE
ExportConverter1 = submit study target me@host:folder
`);
    } catch (e) {
      caught = e as ConfigErrors;
    }
    expect(caught).toBeInstanceOf(ConfigErrors);
    expect(caught!.message).toMatch(/dicom\.ini:3: ExportConverter0: destination NOWHERE is not in acrnema\.map/);
    expect(caught!.message).toMatch(
      /dicom\.ini:4: ExportConverter1, column 1: submit sends with the 7-Zip and PSCP Conquest ships: write it as submit2/,
    );
    expect(caught!.message).toMatch(/dicom\.ini:2: ExportConverters is 3 but ExportConverter2 is not set/);
  });

  it('reads any other line as a script, with ExportStationName and ExportFilter, and refuses what would change the stored object', () => {
    const [script, filtered] = rules(`ExportConverters = 2
ExportConverter0 = ifequal "%m", "MR"; { forward to PACS2; append "%o" to sent.log; }
ExportStationName0 = CT_SCANNER
ExportConverter1 = forward to VIEWER
ExportFilter1 = Rows = 512 and (ImageNumber LIKE '1%' or QColumns >= 600)
`);
    expect(script).toMatchObject({
      kind: 'script',
      destination: '',
      destinations: ['PACS2'],
      stationName: 'CT_SCANNER',
    });
    expect(needsObject(script!)).toBe(true);
    expect(filtered).toMatchObject({ kind: 'forward', destination: 'VIEWER', destinations: ['VIEWER'] });
    expect(needsObject(filtered!)).toBe(true);
    expect(needsObject(rules('ExportConverters = 1\nExportConverter0 = forward to VIEWER')[0]!)).toBe(false);
    const refused = (line: string) => {
      try {
        rules(`ExportConverters = 1\nExportConverter0 = ${line}`);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(refused('set 0010,0010 to "x"')).toContain(
      'ExportConverter0, column 1: set of an attribute changes the stored object: in an export converter, set x, y or z',
    );
    expect(refused('nop; destroy')).toContain('column 6: destroy changes or drops the object');
    expect(refused('ifequal "%m", "CT"; forward to NOWHERE')).toContain(
      'column 21: forward to NOWHERE: NOWHERE is not in acrnema.map',
    );
    expect(refused('set x to "%m"; forward to PACS2')).toBe('');
    let filterError = '';
    try {
      rules('ExportConverters = 1\nExportConverter0 = forward to PACS2\nExportFilter0 = Rows = 512 and Nonsense = 1');
    } catch (e) {
      filterError = (e as Error).message;
    }
    expect(filterError).toContain('dicom.ini:4: ExportFilter0, column 16: Nonsense is not a column of the index');
  });

  it("tests ExportFilter as Conquest's SQL condition on the object's columns", () => {
    const ds = new Map([
      [0x00280010, uint16Element(0x00280010, 512)],
      [0x00280011, uint16Element(0x00280011, 512)],
      [0x00200013, textElement(0x00200013, 'IS', '12')],
      [Tag.Modality, textElement(Tag.Modality, 'CS', 'MR')],
    ]);
    const test = (sql: string) => parseExportFilter(sql).test(ds);
    expect(test('Rows = 512 and Columns = 512')).toBe(true);
    expect(test("ImageNumber LIKE '1%'")).toBe(true);
    expect(test("ImageNumber LIKE '2%' or Modality = 'MR'")).toBe(true);
    expect(test("not (Modality = 'MR') and QRows > 100")).toBe(false);
    expect(test('ImageNumber > 9')).toBe(true);
    expect(test("modality <> 'CT' and AcqDate IS NULL and ImageNumber NOT LIKE '3%'")).toBe(true);
    expect(() => parseExportFilter('Rows = 512 and')).toThrow('a column name is expected');
    expect(() => parseExportFilter('Rows ~ 512')).toThrow(ExportFilterError);
  });

  it("keeps a rule's ExportStationName and ExportFilter with it when the Settings form removes a rule before it", () => {
    const text = `[sscscp]
ExportConverters = 2
ExportConverter0 = forward to PACS2
ExportConverter1 = forward to VIEWER
ExportStationName1 = CT_SCANNER
ExportFilter1 = Rows = 512
`;
    const after = writeRules(text, readRules(text).slice(1));
    expect(readRules(after)).toEqual([expect.objectContaining({ converter: 'forward to VIEWER' })]);
    expect(after).toMatch(/ExportStationName0 *= CT_SCANNER/);
    expect(after).toMatch(/ExportFilter0 *= Rows = 512/);
    expect(after).not.toContain('ExportStationName1');
  });
});
