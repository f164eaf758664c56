import { copyFile, link, mkdir, readdir, rmdir, statfs, symlink, unlink } from 'node:fs/promises';
import { renameHeld, unlinkHeld } from './held-files.ts';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { SourceLogger } from '../util/log.ts';
import { encodeFileMeta, type FileMeta } from './part10.ts';
import { IncomingObject } from './incoming-object.ts';
import type { Layout } from './layout.ts';
import { DirectorySync } from './directory-sync.ts';

/** A stored object's place: which device and the path under it ('/'-separated). */
export interface StoredLocation {
  device: number;
  relativePath: string;
}

/** An object being received by the store: on which storage folder, and its temporary name's flush (DurableWrites). */
export type StoreObject = IncomingObject & { device: number; named: Promise<void> };

/** Whether two locations name the same file. */
export function sameLocation(a: StoredLocation, b: StoredLocation): boolean {
  return a.device === b.device && a.relativePath === b.relativePath;
}

export interface FileStoreOptions {
  /** Storage folders (Conquest's MAGDevice0..n), absolute. */
  devices: string[];
  layout: Layout;
  /** A device with less free space than this (MB) is skipped for new objects (Conquest's MAGDeviceFullThreshold). */
  thresholdMB: number;
  /**
   * DurableWrites: an object is committed only once its bytes and its temporary file's name are on stable storage
   * (fdatasync of the file; fsync of the incoming folder, done while the object arrives), so a power cut after the
   * answer loses nothing: should its rename into place not reach the disk, the next start finds it complete in the
   * incoming folder and puts it in place (store-repair.ts, recoverIncoming).
   */
  durable?: boolean;
  /** ChecksumOnArrival: each received object's CRC-32 computed as it is written (IncomingObject.checksum). */
  checksums?: boolean;
}

const INCOMING = '.incoming';
/** A received object's temporary file (others there: an edit's, a re-encoding's). */
export const RECEIVED_SUFFIX = '.part';
const FREE_SPACE_TTL_MS = 5000;

/**
 * Objects on disk. Each one is written to a temporary file on the device it will live on, then renamed into place,
 * so a half-received object never appears under its final name.
 */
/** How `link` makes its links (the file system's; a test can stand in for a Windows account without the right). */
export interface LinkMakers {
  symlink(target: string, file: string): Promise<void>;
  link(target: string, file: string): Promise<void>;
  copyFile(target: string, file: string): Promise<void>;
}
const FS_LINKS: LinkMakers = {
  symlink: (t, f) => symlink(t, f),
  link: (t, f) => link(t, f),
  copyFile: (t, f) => copyFile(t, f),
};

export class FileStore {
  readonly devices: string[];
  private readonly layout: Layout;
  private readonly thresholdBytes: number;
  private readonly log: SourceLogger;
  private readonly knownDirs = new Set<string>();
  private readonly durable: boolean;
  private readonly checksums: boolean;
  private readonly dirSync = new DirectorySync();
  /** Received objects' temporary files found at open (see open). */
  readonly leftovers: { device: number; file: string }[] = [];
  private currentDevice = 0;
  private sequence = Date.now();
  private checkedAt = 0;
  private checking = false;

  constructor(options: FileStoreOptions, log: SourceLogger) {
    this.devices = options.devices;
    this.layout = options.layout;
    this.thresholdBytes = options.thresholdMB * 1024 * 1024;
    this.durable = options.durable ?? false;
    this.checksums = options.checksums ?? true;
    this.log = log;
  }

  /**
   * Create the folders and remove temporary files a crash left behind, except received objects' (RECEIVED_SUFFIX): a
   * complete one may be an object answered as stored whose rename did not reach the disk; `leftovers` lists them for
   * recoverIncoming, which puts such objects in place and removes the rest.
   */
  async open(): Promise<void> {
    for (const [device, root] of this.devices.entries()) {
      const incoming = path.join(root, INCOMING);
      await mkdir(incoming, { recursive: true });
      let removed = 0;
      for (const name of await readdir(incoming)) {
        if (name.endsWith(RECEIVED_SUFFIX)) this.leftovers.push({ device, file: path.join(incoming, name) });
        else if (
          await unlink(path.join(incoming, name)).then(
            () => true,
            () => false,
          )
        )
          removed++;
      }
      if (removed) this.log.warn(`removed ${removed} temporary file(s) left in ${incoming} by an earlier run`);
    }
    if (this.devices.length > 1 && this.thresholdBytes > 0) this.currentDevice = await this.chooseDevice();
  }

  /**
   * Start receiving one object: its meta header is written now, its data set bytes as they come (or, `hold` > 0, kept in
   * memory up to that many bytes until it is placed: incoming-object.ts).
   */
  begin(meta: FileMeta, hold = 0): StoreObject {
    const device = this.currentDevice;
    this.refreshDeviceChoice();
    const incoming = path.join(this.devices[device]!, INCOMING);
    const temp = path.join(incoming, `${process.pid}-${(this.sequence++).toString(36)}${RECEIVED_SUFFIX}`);
    const object = new IncomingObject(temp, encodeFileMeta(meta), hold, this.checksums);
    // DurableWrites: the temporary file's name made durable while the object arrives, not after it.
    const named = this.durable ? object.opened.then(() => this.dirSync.sync(incoming)) : Promise.resolve();
    named.catch(() => undefined);
    return Object.assign(object, { device, named });
  }

  /**
   * The same object received onto another device (a converter's `storage MAGn`): its bytes (held in memory, or its
   * temporary file's) written to a temporary file there, the first one discarded. An unknown device is refused.
   */
  async rehome(object: StoreObject, device: number): Promise<StoreObject> {
    const root = this.devices[device];
    if (root === undefined) throw new Error(`there is no MAG${device} (MAGDevices is ${this.devices.length})`);
    const incoming = path.join(root, INCOMING);
    const temp = path.join(incoming, `${process.pid}-${(this.sequence++).toString(36)}${RECEIVED_SUFFIX}`);
    const held = object.heldChunks();
    const copy = new IncomingObject(temp, Buffer.alloc(0), 0, this.checksums);
    if (held) for (const chunk of held) copy.write(chunk);
    else {
      await object.finish();
      for await (const chunk of createReadStream(object.tempPath, { highWaterMark: 1 << 20 })) {
        if (!copy.write(chunk as Buffer)) await copy.drained();
      }
    }
    await copy.finish();
    await object.discard();
    const named = this.durable ? this.dirSync.sync(incoming) : Promise.resolve();
    named.catch(() => undefined);
    return Object.assign(copy, { device, named });
  }

  /** The Lua expression that names the files (FileNameSyntax = lua:..., as read at start), if any. */
  get layoutScript(): string | undefined {
    return this.layout.script;
  }

  /** Whether a script names the files: a rewritten object then keeps its place. */
  get scriptedLayout(): boolean {
    return this.layout.script !== undefined;
  }

  /** Where `commit` will put the object. */
  locate(object: StoreObject, header: InstanceHeader): StoredLocation {
    return { device: object.device, relativePath: object.relativePath ?? this.layout.relativePath(header) };
  }

  /**
   * Move a complete object into place under its final name, replacing any file there; any error leaves the final name
   * as it was. With DurableWrites the object's bytes and its temporary name are on stable storage first; the rename
   * itself is not waited for (see FileStoreOptions.durable).
   */
  async commit(object: StoreObject, header: InstanceHeader): Promise<StoredLocation> {
    const { relativePath } = this.locate(object, header);
    const absolute = this.absolutePath({ device: object.device, relativePath });
    const dir = path.dirname(absolute);
    if (!this.knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    if (this.durable) {
      await object.sync();
      await object.named;
    }
    try {
      await object.moveTo(absolute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder was removed behind our back: make it again once.
      await mkdir(dir, { recursive: true });
      await renameHeld(object.tempPath, absolute);
    }
    return { device: object.device, relativePath };
  }

  /**
   * Put a received object found complete in the incoming folder at its place (recoverIncoming), durably: its new name
   * and the folders made for it flushed before the row that names it is trusted again.
   */
  async putInPlace(file: string, location: StoredLocation): Promise<void> {
    const absolute = this.absolutePath(location);
    const dir = path.dirname(absolute);
    const made = await mkdir(dir, { recursive: true });
    await renameHeld(file, absolute);
    // Its folder, and the parent of each folder just made for it (from `made`, the topmost, down to `dir`).
    const folders = [dir];
    if (made)
      for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
        folders.push(path.dirname(d));
        if (d === made) break;
      }
    for (const d of folders) await this.dirSync.sync(d);
  }

  /**
   * Place a file that stays where it is (a CD, a USB disk, a Conquest folder being imported by link): a symbolic link
   * under the object's layout name points to it, replacing any file there. Windows allows symbolic links only to
   * administrators and in Developer Mode: without that right (EPERM) the object is hard-linked when the file is on the
   * same volume, else copied; `how` says which.
   */
  async link(
    target: string,
    header: InstanceHeader,
    make: LinkMakers = FS_LINKS,
  ): Promise<{ location: StoredLocation; how: 'symlink' | 'hardlink' | 'copy' }> {
    const device = this.currentDevice;
    const relativePath = this.layout.relativePath(header);
    const absolute = this.absolutePath({ device, relativePath });
    await mkdir(path.dirname(absolute), { recursive: true });
    await unlink(absolute).catch(() => undefined);
    const location = { device, relativePath };
    try {
      await make.symlink(path.resolve(target), absolute);
      return { location, how: 'symlink' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
    try {
      await make.link(path.resolve(target), absolute);
      return { location, how: 'hardlink' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    }
    await make.copyFile(path.resolve(target), absolute);
    return { location, how: 'copy' };
  }

  /**
   * Delete stored objects (their index rows are already gone), then the folders the layout made for them once empty;
   * a linked object loses its link, never the file it points to. Returns the objects whose files could not be deleted.
   */
  async removeObjects(locations: StoredLocation[]): Promise<StoredLocation[]> {
    const failed: StoredLocation[] = [];
    const dirs = new Set<string>();
    for (const location of locations) {
      const file = this.absolutePath(location);
      try {
        await unlinkHeld(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          failed.push(location);
          this.log.warn(`cannot delete ${file}: ${(err as Error).message}`);
        }
      }
      const root = this.devices[location.device]!;
      for (let dir = path.dirname(file); dir.startsWith(root + path.sep); dir = path.dirname(dir)) dirs.add(dir);
    }
    // Deepest first; a folder still holding something stays.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
      this.knownDirs.delete(dir);
      await rmdir(dir).catch(() => undefined);
    }
    return failed;
  }

  /**
   * A temporary file on the same device as a stored object, for a new version of it that is renamed over it (an edit):
   * in the device's temporary folder, so a crash leaves nothing beside the objects and the next start removes it.
   */
  tempPathFor(location: StoredLocation): string {
    return path.join(this.devices[location.device]!, INCOMING, `${process.pid}-${(this.sequence++).toString(36)}.edit`);
  }

  absolutePath(location: StoredLocation): string {
    return path.join(this.devices[location.device]!, ...location.relativePath.split('/'));
  }

  async remove(location: StoredLocation): Promise<void> {
    await unlinkHeld(this.absolutePath(location)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Re-check free space now and then (never on every object) and move on to the next device below the threshold. */
  private refreshDeviceChoice(): void {
    if (this.devices.length === 1 || this.thresholdBytes <= 0 || this.checking) return;
    const now = Date.now();
    if (now - this.checkedAt < FREE_SPACE_TTL_MS) return;
    this.checking = true;
    this.checkedAt = now;
    void this.chooseDevice()
      .then((device) => {
        if (device !== this.currentDevice)
          this.log.info(
            `storage folder ${this.devices[this.currentDevice]} is below the free space threshold; now storing to ${this.devices[device]}`,
          );
        this.currentDevice = device;
      })
      .catch((err) => this.log.error(`cannot read free space of the storage folders: ${(err as Error).message}`))
      .finally(() => {
        this.checking = false;
      });
  }

  /** Free space a storage folder has for us (bytes). */
  async freeBytes(device: number): Promise<number> {
    const s = await statfs(this.devices[device]!);
    return s.bavail * s.bsize;
  }

  private async chooseDevice(): Promise<number> {
    for (let i = 0; i < this.devices.length; i++) {
      if ((await this.freeBytes(i)) > this.thresholdBytes) return i;
    }
    return this.devices.length - 1;
  }
}
