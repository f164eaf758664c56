import { describe, expect, it } from 'vitest';
import { CharacterSet } from '../../main/dicom/charset.ts';

describe('Specific Character Set decoding (PS3.5 6.1)', () => {
  it('decodes single-byte sets: Latin-1, Latin-2 (Czech), Cyrillic', () => {
    expect(new CharacterSet('ISO_IR 100').decode(Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]))).toBe('Müller');
    expect(new CharacterSet('ISO_IR 101').decode(Buffer.from([0x44, 0x76, 0x6f, 0xf8, 0xe1, 0x6b]))).toBe('Dvořák');
    expect(new CharacterSet('ISO_IR 144').decode(Buffer.from([0xbb, 0xee, 0xda, 0xe1, 0xd5]))).toBe('Люксе');
  });

  it('decodes UTF-8 (ISO_IR 192) and falls back to Latin-1 without a character set', () => {
    expect(new CharacterSet('ISO_IR 192').decode(Buffer.from('Šťastný^Jiří'))).toBe('Šťastný^Jiří');
    expect(new CharacterSet(undefined).decode(Buffer.from([0x41, 0xe9]))).toBe('Aé');
  });

  it('switches sets on ISO 2022 escape sequences and resets at component groups', () => {
    // PS3.5 H.3.1 style: ASCII, then Japanese JIS X 0208 after ESC $ B, back to ASCII after ESC ( B
    const cs = new CharacterSet('\\ISO 2022 IR 87');
    const bytes = Buffer.concat([
      Buffer.from('Yamada^Tarou='),
      Buffer.from([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42]),
    ]);
    expect(cs.decode(bytes)).toBe('Yamada^Tarou=山田');
    const latin2 = new CharacterSet('ISO 2022 IR 6\\ISO 2022 IR 101');
    expect(latin2.decode(Buffer.from([0x1b, 0x2d, 0x42, 0x44, 0x76, 0x6f, 0xf8, 0xe1, 0x6b]))).toBe('Dvořák');
  });

  it('names the terms it does not know', () => {
    expect(new CharacterSet('ISO_IR 999').unknownTerms()).toEqual(['ISO_IR 999']);
  });
});
