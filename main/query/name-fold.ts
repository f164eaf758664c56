/**
 * Person names as a search key that forgives spelling: case, diacritics (Dvořák = Dvorak) and the German transcriptions
 * (Müller = Mueller = Muller), which modality keyboards produce as often as the accented letter. Both the stored key and
 * the searched value are folded alike, so a search for "mueller" and one for "müller" find the same names.
 */

/** Letters that Unicode decomposition leaves whole. */
const SPECIAL: Record<string, string> = {
  ß: 'SS',
  ẞ: 'SS',
  Ł: 'L',
  ł: 'L',
  Đ: 'D',
  đ: 'D',
  Ø: 'O',
  ø: 'O',
  Æ: 'AE',
  æ: 'AE',
  Œ: 'OE',
  œ: 'OE',
  Þ: 'TH',
  þ: 'TH',
  ı: 'I',
};

export function foldName(name: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[ßẞŁłĐđØøÆæŒœÞþı]/g, (c) => SPECIAL[c]!)
      .toUpperCase()
      // ä/ö/ü are written ae/oe/ue without the umlaut: both become the plain vowel.
      .replace(/([AOU])E/g, '$1')
      .replace(/[\^ =]+$/, '')
  );
}
