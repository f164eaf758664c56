/**
 * Encapsulated pixel data (PS3.5 A.4): a Basic Offset Table item, then fragment items. The frames are cut at the
 * table's offsets when it has them, one fragment a frame when the counts agree, or at each codestream's start marker.
 */

export class FragmentError extends Error {}

interface Item {
  offset: number;
  data: Buffer;
}

/** The items of encapsulated pixel data (without the sequence delimiter). */
export function itemsOf(fragments: Buffer): Item[] {
  const items: Item[] = [];
  let at = 0;
  while (at + 8 <= fragments.length) {
    const group = fragments.readUInt16LE(at);
    const element = fragments.readUInt16LE(at + 2);
    const length = fragments.readUInt32LE(at + 4);
    if (group === 0xfffe && element === 0xe0dd) break;
    if (group !== 0xfffe || element !== 0xe000)
      throw new FragmentError(
        `encapsulated pixel data has (${group.toString(16)},${element.toString(16)}) where an item belongs, at byte ${at}`,
      );
    if (length === 0xffffffff || at + 8 + length > fragments.length)
      throw new FragmentError(`a pixel data fragment of ${length} bytes overruns the data at byte ${at}`);
    items.push({ offset: at, data: fragments.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  if (!items.length) throw new FragmentError('encapsulated pixel data has no Basic Offset Table item');
  return items;
}

/** Start markers of the codestreams this archive decodes: JPEG (SOI) and JPEG 2000 (SOC). */
function startsFrame(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0xff && (data[1] === 0xd8 || data[1] === 0x4f);
}

/** The compressed bytes of each frame. */
export function framesOf(fragments: Buffer, frameCount: number): Buffer[] {
  const [table, ...items] = itemsOf(fragments);
  if (!items.length) throw new FragmentError('encapsulated pixel data has no fragment');
  if (table!.data.length >= 4 * frameCount && frameCount > 1) {
    // Offsets count from the first byte of the first fragment item's tag.
    const base = items[0]!.offset;
    const starts = Array.from({ length: frameCount }, (_, i) => table!.data.readUInt32LE(4 * i) + base);
    return starts.map((start, i) => {
      const end = i + 1 < starts.length ? starts[i + 1]! : Infinity;
      return Buffer.concat(items.filter((it) => it.offset >= start && it.offset < end).map((it) => it.data));
    });
  }
  if (frameCount === 1) return [items.length === 1 ? items[0]!.data : Buffer.concat(items.map((it) => it.data))];
  if (items.length === frameCount) return items.map((it) => it.data);
  const frames: Buffer[][] = [];
  for (const it of items) {
    if (startsFrame(it.data) || !frames.length) frames.push([it.data]);
    else frames[frames.length - 1]!.push(it.data);
  }
  if (frames.length !== frameCount)
    throw new FragmentError(`${items.length} fragments make ${frames.length} frame(s), the object says ${frameCount}`);
  return frames.map((parts) => Buffer.concat(parts));
}

function item(data: Uint8Array): Buffer {
  const padded =
    data.length % 2
      ? Buffer.concat([data, Buffer.alloc(1)])
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(padded.length, 4);
  return Buffer.concat([head, padded]);
}

/** Frames as encapsulated pixel data: a Basic Offset Table with each frame's offset, then one fragment a frame. */
export function encapsulate(frames: Uint8Array[]): Buffer {
  const items = frames.map(item);
  const table = Buffer.alloc(4 * frames.length);
  let offset = 0;
  items.forEach((it, i) => {
    table.writeUInt32LE(offset, 4 * i);
    offset += it.length;
  });
  return Buffer.concat([item(table), ...items]);
}
