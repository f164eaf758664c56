import { describe, expect, it } from 'vitest';
import { MatchError, parseMatch } from '../../main/query/matching.ts';
import { SQLITE_DIALECT, personNameKey, whereSql } from '../../main/query/sql.ts';
import { QR_BY_TAG } from '../../main/query/attributes.ts';

describe('matching kinds (PS3.4 C.2.2.2)', () => {
  it('tells universal, single, wildcard, list and range apart by value and VR', () => {
    expect(parseMatch('', 'PN')).toEqual({ kind: 'universal' });
    expect(parseMatch('*', 'LO')).toEqual({ kind: 'universal' });
    expect(parseMatch('DOE^JOHN', 'PN')).toEqual({ kind: 'single', value: 'DOE^JOHN' });
    expect(parseMatch('DO?*', 'PN')).toEqual({ kind: 'wildcard', pattern: 'DO?*' });
    expect(parseMatch('1.2.3\\1.2.4', 'UI')).toEqual({ kind: 'list', values: ['1.2.3', '1.2.4'] });
    expect(parseMatch('20240101-20240131', 'DA')).toEqual({ kind: 'range', from: '20240101', to: '20240131' });
    expect(parseMatch('20240101-', 'DA')).toEqual({ kind: 'range', from: '20240101', to: '' });
    expect(parseMatch('-20240101', 'DA')).toEqual({ kind: 'range', from: '', to: '20240101' });
    expect(parseMatch('20240101', 'DA')).toEqual({ kind: 'single', value: '20240101' });
  });

  it('takes "*" and "?" literally where wildcards are not allowed, and a partial time up to its end', () => {
    expect(parseMatch('1.2.3*', 'UI')).toEqual({ kind: 'single', value: '1.2.3*' });
    expect(parseMatch('10-12', 'TM')).toEqual({ kind: 'range', from: '10', to: '125959.999999' });
  });

  it('refuses a malformed date and wildcards inside a list', () => {
    expect(() => parseMatch('2024-01-01', 'DA')).toThrow(MatchError);
    expect(() => parseMatch('yesterday', 'DA')).toThrow(MatchError);
    expect(() => parseMatch('CT\\M*', 'CS')).toThrow(MatchError);
  });
});

describe('SQL for matching keys', () => {
  const name = QR_BY_TAG.get(0x00100010)!;
  const date = QR_BY_TAG.get(0x00080020)!;
  const modalities = QR_BY_TAG.get(0x00080061)!;

  it('matches person names upper-case, without trailing empty components, and wildcards with GLOB', () => {
    expect(personNameKey('Doe^John^^')).toBe('DOE^JOHN');
    expect(whereSql([{ attr: name, match: { kind: 'single', value: 'doe^john^' } }], SQLITE_DIALECT)).toEqual({
      sql: 'p.name_key = ?',
      params: ['DOE^JOHN'],
    });
    expect(whereSql([{ attr: name, match: { kind: 'wildcard', pattern: 'n[o]v*' } }], SQLITE_DIALECT)).toEqual({
      sql: 'p.name_key GLOB ?',
      params: ['N[[]O]V*'],
    });
  });

  it('keeps empty values out of an open-ended range and matches Modalities in Study through its series', () => {
    expect(whereSql([{ attr: date, match: { kind: 'range', from: '', to: '20240101' } }], SQLITE_DIALECT)).toEqual({
      sql: "(st.study_date <= ? AND st.study_date <> '')",
      params: ['20240101'],
    });
    const m = whereSql([{ attr: modalities, match: { kind: 'list', values: ['CT', 'MR'] } }], SQLITE_DIALECT);
    expect(m.sql).toBe('EXISTS (SELECT 1 FROM series x WHERE x.study_fk = st.id AND x.modality IN (?, ?))');
    expect(whereSql([], SQLITE_DIALECT).sql).toBe('1 = 1');
  });
});
