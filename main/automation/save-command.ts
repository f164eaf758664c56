/**
 * Conquest's `save` in converters (its Windows manual's command table): `save to file.dcm` writes the object (as the
 * converters left it, once stored) to a file; `save jpg|png [level N] [window N] [frame N] [size N] [quality NN]
 * [to|as] file` renders one frame as a picture, as the viewer's server-side pictures are made (level and window as
 * centre and width; size the longest side in pixels; frame from 0). Files are inside the data folder only. What this
 * version does not make (`bmp`, `gif`, `gamma`, `save frame N` as a DICOM file) is refused with the reason.
 */

export type SaveCommand =
  | { kind: 'dicom'; file: string }
  | {
      kind: 'jpg' | 'png';
      file: string;
      level?: number;
      window?: number;
      frame: number;
      size?: number;
      quality?: number;
    };

export function parseSaveCommand(rest: string): SaveCommand | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (first === 'to' || first === 'as') {
    const file = words.slice(1).join(' ');
    return file ? { kind: 'dicom', file } : { error: 'save to names a file' };
  }
  if (first === 'bmp' || first === 'gif')
    return { error: `save ${first} is not made by this version (save jpg or png)` };
  if (first !== 'jpg' && first !== 'jpeg' && first !== 'png')
    return { error: `save is "save to file.dcm" or "save jpg|png [level N] [window N] [frame N] [size N] to file"` };
  const command: SaveCommand = { kind: first === 'png' ? 'png' : 'jpg', file: '', frame: 0 };
  for (let i = 1; i < words.length; i++) {
    const clause = words[i]!.toLowerCase();
    if (clause === 'to' || clause === 'as') {
      command.file = words.slice(i + 1).join(' ');
      break;
    }
    const value = words[++i];
    if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value))
      return { error: `${clause} takes a number${value === undefined ? '' : `, not "${value}"`}` };
    const n = Number(value);
    if (clause === 'level') command.level = n;
    else if (clause === 'window') command.window = n;
    else if (clause === 'frame') command.frame = Math.max(0, Math.trunc(n));
    else if (clause === 'size') command.size = Math.max(1, Math.trunc(n));
    else if (clause === 'quality') command.quality = Math.min(100, Math.max(1, Math.trunc(n)));
    else if (clause === 'gamma') return { error: 'gamma is not applied by this version' };
    else return { error: `"${clause}" is not part of save (level, window, frame, size, quality, to)` };
  }
  if (!command.file) return { error: 'save names its file: ... to file' };
  return command;
}
