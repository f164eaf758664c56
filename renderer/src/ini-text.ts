/** Edits to dicom.ini's text that keep everything else as it is (comments, order, other sections). */

const SECTION = 'sscscp';

function sectionBounds(lines: string[]): [number, number] {
  const start = lines.findIndex((l) => l.trim().toLowerCase() === `[${SECTION}]`);
  if (start < 0) return [-1, -1];
  let end = lines.findIndex((l, i) => i > start && /^\s*\[.*\]\s*$/.test(l));
  if (end < 0) end = lines.length;
  return [start, end];
}

function keyLine(lines: string[], key: string): number {
  const [start, end] = sectionBounds(lines);
  const re = new RegExp(`^\\s*${key}\\s*=`, 'i');
  for (let i = Math.max(start, 0); i < (end < 0 ? lines.length : end); i++) if (re.test(lines[i]!)) return i;
  return -1;
}

/** The 1-based line of a key in the text, or 0. */
export function lineOfKey(text: string, key: string): number {
  return keyLine(text.split('\n'), key) + 1;
}

export function valueOfKey(text: string, key: string): string | undefined {
  const lines = text.split('\n');
  const i = keyLine(lines, key);
  return i < 0 ? undefined : lines[i]!.slice(lines[i]!.indexOf('=') + 1).trim();
}

/** Set a key in the [sscscp] section: its line rewritten where it is, or a new line at the end of the section. */
export function setKey(text: string, key: string, value: string): string {
  const lines = text.split('\n');
  const i = keyLine(lines, key);
  if (i >= 0) {
    const name = lines[i]!.slice(0, lines[i]!.indexOf('=')).trim();
    lines[i] = `${name} = ${value}`;
    return lines.join('\n');
  }
  let [start, end] = sectionBounds(lines);
  if (start < 0) {
    lines.push(`[${SECTION}]`);
    start = lines.length - 1;
    end = lines.length;
  }
  let at = end;
  while (at > start + 1 && !lines[at - 1]!.trim()) at--;
  lines.splice(at, 0, `${key} = ${value}`);
  return lines.join('\n');
}

/** Remove a key's line from the [sscscp] section (nothing when it is not there). */
export function removeKey(text: string, key: string): string {
  const lines = text.split('\n');
  const i = keyLine(lines, key);
  if (i >= 0) lines.splice(i, 1);
  return lines.join('\n');
}
