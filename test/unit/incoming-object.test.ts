import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { IncomingObject } from '../../main/store/incoming-object.ts';

/**
 * An object held for import converters: only its head once that is in (the rest waiting beside it, the sender paused
 * past the hold limit), written behind its changed head when decided, or dropped.
 */
describe('an incoming object held for converters', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-incoming-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const bytes = (text: string) => Buffer.from(text, 'latin1');
  const start = (hold: number) => new IncomingObject(path.join(dir, `${n++}.part`), bytes('META'), hold);

  it("gives the CRC-32 of the file's bytes as written: streamed, after a changed held head, and none for a replaced file", async () => {
    // Streamed, in chunks of many sizes.
    const streamed = new IncomingObject(path.join(dir, `${n++}.part`), bytes('META'));
    for (const size of [1, 7, 65536, 3 << 20, 13, 2 << 20, 1 << 20]) streamed.write(randomBytes(size));
    await streamed.finish();
    await streamed.moveTo(path.join(dir, 'streamed'));
    expect(streamed.checksum).toBe(crc32(await readFile(path.join(dir, 'streamed'))));

    // Held, its head changed by a converter: the checksum is of what reaches the file, not of what arrived.
    const held = start(1024);
    held.write(bytes('head'));
    held.write(bytes('ERpixels'));
    held.holdHead(6);
    held.replaceHeld([bytes('META'), bytes('new-head')]);
    held.spill();
    await held.finish();
    await held.moveTo(path.join(dir, 'held'));
    expect(await readFile(path.join(dir, 'held'), 'latin1')).toBe('METAnew-headpixels');
    expect(held.checksum).toBe(crc32(bytes('METAnew-headpixels')));

    // Empty data set: the meta header's own CRC; without checksums: none.
    const empty = new IncomingObject(path.join(dir, `${n++}.part`), bytes('META'));
    await empty.finish();
    expect(empty.checksum).toBe(crc32(bytes('META')));
    const plain = new IncomingObject(path.join(dir, `${n++}.part`), bytes('META'), 0, false);
    await plain.finish();
    expect(plain.checksum).toBeUndefined();
    await Promise.all([empty.discard(), plain.discard()]);
  });

  it('keeps its head (split inside a chunk) for the converters and writes the changed head before the rest', async () => {
    const object = start(1024);
    object.write(bytes('head'));
    object.write(bytes('ERpixels-'));
    // The data set's first 6 bytes are its attributes: 'head' and 'ER'.
    expect(object.holdHead(6)).toBe(true);
    expect(Buffer.concat(object.heldChunks()!).toString('latin1')).toBe('METAheadER');
    object.write(bytes('more'));
    object.replaceHeld([bytes('META'), bytes('changed-head')]);
    object.spill();
    object.write(bytes('-end'));
    await object.finish();
    expect(object.size).toBe('METAchanged-headpixels-more-end'.length);
    await object.moveTo(path.join(dir, 'placed'));
    expect(await readFile(path.join(dir, 'placed'), 'latin1')).toBe('METAchanged-headpixels-more-end');
  });

  it('pauses the sender while the rest waiting behind its head passes the hold limit, until it is decided', async () => {
    const object = start(8);
    object.write(bytes('head'));
    expect(object.holdHead(4)).toBe(true);
    expect(object.write(bytes('1234'))).toBe(true);
    expect(object.write(bytes('5678'))).toBe(false);
    let drained = false;
    const waiting = object.drained().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    object.spill();
    await waiting;
    await object.finish();
    expect(object.size).toBe('METAhead12345678'.length);
  });

  it('keeps nothing of a dropped object, nor what arrives after', async () => {
    const object = start(8);
    object.write(bytes('head'));
    object.holdHead(4);
    object.write(bytes('12345678'));
    const waiting = object.drained();
    object.drop();
    await waiting;
    object.write(bytes('late'));
    expect(object.heldChunks()).toBeUndefined();
    await object.discard();
    expect(existsSync(object.tempPath)).toBe(false);
  });

  it('does not hold a head once the object went to its file (it grew past the hold limit first)', async () => {
    const object = start(4);
    object.write(bytes('0123456789'));
    expect(object.holdHead(2)).toBe(false);
    await object.discard();
  });
});
