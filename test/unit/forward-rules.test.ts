import { describe, expect, it } from 'vitest';
import { IniDocument } from '../../common/ini-document.ts';
import { AcrNemaMap } from '../../main/config/acrnema-map.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';
import { readForwardRules, ruleMatches } from '../../main/config/forward-rules.ts';
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
ExportConverter1 = process by someprogram.exe
`);
    } catch (e) {
      caught = e as ConfigErrors;
    }
    expect(caught).toBeInstanceOf(ConfigErrors);
    expect(caught!.message).toMatch(/dicom\.ini:3: ExportConverter0: destination NOWHERE is not in acrnema\.map/);
    expect(caught!.message).toMatch(
      /dicom\.ini:4: ExportConverter1: "process by someprogram\.exe" is not a forward rule/,
    );
    expect(caught!.message).toMatch(/dicom\.ini:2: ExportConverters is 3 but ExportConverter2 is not set/);
  });
});
