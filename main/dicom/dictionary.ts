import dcmjs from 'dcmjs';

/**
 * Value Representations by tag (PS3.6), for implicit VR data sets, where the VR is not on the wire. The table is dcmjs's
 * data dictionary; its multi-VR entries are resolved to the VR whose byte layout is right for byte swapping.
 */
const table = dcmjs.data.DicomMetaDictionary.dictionary;
const cache = new Map<number, string>();

/** dcmjs names a few ambiguous VRs in its own way ('ox', 'xs', 'lt'); these are the wire VRs they stand for. */
const AMBIGUOUS: Record<string, string> = {
  ox: 'OW',
  xs: 'US',
  lt: 'OW',
  'OB or OW': 'OW',
  'US or SS': 'US',
  'US or OW': 'US',
  'US or SS or OW': 'US',
};

function key(group: number, element: string): string {
  return `(${group.toString(16).padStart(4, '0').toUpperCase()},${element})`;
}

export function vrOf(tag: number): string {
  const known = cache.get(tag);
  if (known) return known;
  const group = tag >>> 16;
  const element = tag & 0xffff;
  let vr: string;
  if (element === 0)
    vr = 'UL'; // group length (PS3.5 7.2)
  else if (group % 2 === 1)
    vr = element >= 0x10 && element <= 0xff ? 'LO' : 'UN'; // private creator / private data
  else {
    const el = element.toString(16).padStart(4, '0').toUpperCase();
    const entry =
      table[key(group, el)] ??
      ((group & 0xff00) === 0x6000 || (group & 0xff00) === 0x5000
        ? table[`(${(group >> 8).toString(16)}xx,${el})`]
        : undefined);
    vr = entry ? (AMBIGUOUS[entry.vr] ?? entry.vr) : 'UN';
  }
  cache.set(tag, vr);
  return vr;
}

/** A data element keyword (PatientName) to its tag and VR; undefined for a name the dictionary does not know. */
export function keywordTag(keyword: string): { tag: number; vr: string } | undefined {
  const entry = dcmjs.data.DicomMetaDictionary.nameMap[keyword];
  const m = entry && /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag);
  if (!m) return undefined;
  const tag = ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
  return { tag, vr: vrOf(tag) };
}

/** A tag's keyword (PatientName), or '' for a private or unknown tag. */
export function keywordOf(tag: number): string {
  const group = tag >>> 16;
  if (group % 2 === 1) return '';
  const el = (tag & 0xffff).toString(16).padStart(4, '0').toUpperCase();
  return table[key(group, el)]?.name ?? '';
}
