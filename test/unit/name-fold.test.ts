import { describe, expect, it } from 'vitest';
import { foldName } from '../../main/query/name-fold.ts';

describe('forgiving person-name keys', () => {
  it('drops diacritics and case, and reads ue/oe/ae as ü/ö/ä', () => {
    expect(foldName('Dvořák^Jiří')).toBe(foldName('DVORAK^JIRI'));
    expect(foldName('Müller^Hans')).toBe(foldName('Mueller^Hans'));
    expect(foldName('Müller^Hans')).toBe(foldName('muller^hans'));
    expect(foldName('Gößling')).toBe(foldName('Goessling'));
    expect(foldName('Łukasz^Żółć')).toBe('LUKASZ^ZOLC');
    expect(foldName('Doe^John^^')).toBe(foldName('DOE^JOHN'));
  });
  it('keeps wildcards', () => {
    expect(foldName('mü*')).toBe('MU*');
    expect(foldName('Dvo?ák*')).toBe('DVO?AK*');
  });
  it('tells different names apart', () => {
    expect(foldName('Novák^Jiří')).not.toBe(foldName('Novotný^Jiří'));
  });
});
