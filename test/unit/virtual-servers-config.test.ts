import { describe, expect, it } from 'vitest';
import { IniDocument } from '../../common/ini-document.ts';
import { say } from '../../common/message.ts';
import type { ConfigError } from '../../main/config/config-error.ts';
import { readVirtualServers } from '../../main/config/virtual-servers.ts';
import { NON_VIRTUAL_TAG, notPassedOn, withoutMarks } from '../../main/archive/upstream-query.ts';
import { uint16Element, type DataSet } from '../../main/dicom/dataset.ts';

const read = (text: string) => {
  const errors: ConfigError[] = [];
  const servers = readVirtualServers(new IniDocument('dicom.ini', text), 'sscscp', 'CACHE', errors);
  return { servers, errors: errors.map((e) => say(e.said)) };
};

describe("dicom.ini's virtual servers", () => {
  it('reads VirtualServerFor0..9 with their flags and VirtualServerPerSeries, in any case, skipping empty slots', () => {
    const { servers, errors } = read(
      [
        '[sscscp]',
        'VirtualServerFor0 = PACS1',
        'VirtualServerFor1 =',
        'virtualserverfor2 = PACS2, cachestudies ,NONVIRTUAL',
        'VirtualServerFor9 = PACS3,CACHESERIES',
        'VirtualServerPerSeries9 = 800',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(servers).toEqual([
      { slot: 0, ae: 'PACS1', cache: 'none', nonVirtual: false, perSeries: 0 },
      { slot: 2, ae: 'PACS2', cache: 'studies', nonVirtual: true, perSeries: 0 },
      { slot: 9, ae: 'PACS3', cache: 'series', nonVirtual: false, perSeries: 800 },
    ]);
  });

  it('refuses, with the line, what it cannot honour: a flag it does not know, itself, a node named twice, a bad count', () => {
    const { servers, errors } = read(
      [
        '[sscscp]',
        'VirtualServerFor0 = PACS1,FIXKODAK',
        'VirtualServerFor1 = cache',
        'VirtualServerFor2 = PACS2',
        'VirtualServerFor3 = pacs2',
        'VirtualServerPerSeries4 = many',
        'VirtualServerFor5 = A_TITLE_LONGER_THAN_16',
      ].join('\n'),
    );
    expect(servers.map((s) => s.ae)).toEqual(['PACS2']);
    expect(errors).toEqual([
      expect.stringMatching(/^dicom\.ini:2: VirtualServerFor0: "FIXKODAK" is not a flag/),
      expect.stringMatching(/^dicom\.ini:3: VirtualServerFor1: cache is this archive itself/),
      expect.stringMatching(/^dicom\.ini:5: VirtualServerFor3: pacs2 is named twice/),
      expect.stringMatching(/^dicom\.ini:6: VirtualServerPerSeries4: "many" is not a whole number/),
      expect.stringMatching(/^dicom\.ini:7: VirtualServerFor5: AE title .* longer than 16/),
    ]);
  });

  it('answers from its own data alone what an upstream asks, or what carries the NONVIRTUAL mark, which it takes off', () => {
    const servers = read('[sscscp]\nVirtualServerFor0 = PACS1\n').servers;
    const plain: DataSet = new Map();
    const marked: DataSet = new Map([[NON_VIRTUAL_TAG, uint16Element(NON_VIRTUAL_TAG, 0x8000)]]);
    expect(notPassedOn(plain, 'VIEWER', servers)).toBeUndefined();
    expect(notPassedOn(plain, 'pacs1', servers)).toMatch(/upstream/);
    expect(notPassedOn(marked, 'VIEWER', servers)).toMatch(/NONVIRTUAL/);
    expect(notPassedOn(plain, 'VIEWER', [])).toBe('no upstream');
    expect(withoutMarks(marked).has(NON_VIRTUAL_TAG)).toBe(false);
    expect(marked.has(NON_VIRTUAL_TAG)).toBe(true);
  });
});
