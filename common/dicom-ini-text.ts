import { IniDocument } from './ini-document.ts';

/**
 * dicom.ini's [sscscp] keys read and changed in its text, everything else kept as it is (comments, order, alignment,
 * other sections): what the settings screen edits before the core checks and saves it.
 */

export const SSCSCP = 'sscscp';

const parse = (text: string) => new IniDocument('dicom.ini', text);

/** The 1-based line of a key in the text, or 0. */
export function lineOfKey(text: string, key: string): number {
  return parse(text).get(SSCSCP, key)?.line ?? 0;
}

/** A key's value as the core reads it (a trailing comment is not part of it); undefined when the key is not set. */
export function valueOfKey(text: string, key: string): string | undefined {
  return parse(text).get(SSCSCP, key)?.value;
}

/** Set a key: its line rewritten where it is, or a new line at the end of the section. */
export function setKey(text: string, key: string, value: string): string {
  const doc = parse(text);
  doc.set(SSCSCP, key, value);
  return doc.toString();
}

/** Remove a key's line (nothing when it is not there). */
export function removeKey(text: string, key: string): string {
  const doc = parse(text);
  doc.remove(SSCSCP, key);
  return doc.toString();
}
