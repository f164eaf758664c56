import {
  copyFile,
  link,
  mkdir,
  open as openFile,
  readdir,
  rename,
  rmdir,
  statfs,
  symlink,
  unlink,
} from 'node:fs/promises';
import { renameHeld, unlinkHeld } from './held-files.ts';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { SourceLogger } from '../util/log.ts';
import { encodeFileMeta, type FileMeta } from './part10.ts';
import { IncomingObject } from './incoming-object.ts';
import type { Layout } from './layout.ts';
import { DirectorySync } from './directory-sync.ts';
import { fileExists } from '../util/file-exists.ts';
import { StorageRoots, type Side } from './storage-roots.ts';
import { PendingCopies, type PendingCopy } from './pending-copies.ts';

/** A stored object's place: which device and the path under it ('/'-separated). */
export interface StoredLocation {
  device: number;
  relativePath: string;
}

/**
 * An object being received by the store: on which storage folder, on which side of it (the folder, or its mirror when
 * the folder is not there), and its temporary name's flush (DurableWrites).
 */
export type StoreObject = IncomingObject & { device: number; side: Side; named: Promise<void> };

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
  /** MIRRORDevice<i>: the mirror of devices[i], where one is set (absolute). */
  mirrors?: (string | undefined)[];
  /** Where the copies a mirrored device still owes are listed (a file of the data folder). */
  pendingFile?: string;
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
  /** The folders and their mirrors, and which are there. */
  readonly roots: StorageRoots;
  /** Copies a mirrored device's sides still owe each other. */
  readonly pending: PendingCopies;
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
    this.roots = new StorageRoots(options.devices, options.mirrors ?? [], log);
    this.pending = new PendingCopies(options.pendingFile);
  }

  /**
   * Create the folders and remove temporary files a crash left behind, except received objects' (RECEIVED_SUFFIX): a
   * complete one may be an object answered as stored whose rename did not reach the disk; `leftovers` lists them for
   * recoverIncoming, which puts such objects in place and removes the rest.
   */
  async open(): Promise<void> {
    await this.roots.open();
    await this.pending.load();
    for (const mirror of this.roots.mirrors) {
      if (!mirror) continue;
      // A mirror's temporary files are copies: the object is in its folder (or listed as owed to it).
      const incoming = path.join(mirror, INCOMING);
      await mkdir(incoming, { recursive: true });
      for (const name of await readdir(incoming)) await unlink(path.join(incoming, name)).catch(() => undefined);
    }
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
    const side = this.writeSide(device);
    const incoming = path.join(this.roots.root(device, side)!, INCOMING);
    const temp = path.join(incoming, `${process.pid}-${(this.sequence++).toString(36)}${RECEIVED_SUFFIX}`);
    const object = new IncomingObject(temp, encodeFileMeta(meta), hold, this.checksums);
    // DurableWrites: the temporary file's name made durable while the object arrives, not after it.
    const named = this.durable ? object.opened.then(() => this.dirSync.sync(incoming)) : Promise.resolve();
    named.catch(() => undefined);
    return Object.assign(object, { device, side, named });
  }

  /** The side a new object of a device is written to: its folder, or its mirror while the folder is not there. */
  private writeSide(device: number): Side {
    return !this.roots.present(device, 0) && this.roots.present(device, 1) ? 1 : 0;
  }

  /**
   * The same object received onto another device (a converter's `storage MAGn`): its bytes (held in memory, or its
   * temporary file's) written to a temporary file there, the first one discarded. An unknown device is refused.
   */
  async rehome(object: StoreObject, device: number): Promise<StoreObject> {
    if (this.devices[device] === undefined)
      throw new Error(`there is no MAG${device} (MAGDevices is ${this.devices.length})`);
    const side = this.writeSide(device);
    const incoming = path.join(this.roots.root(device, side)!, INCOMING);
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
    return Object.assign(copy, { device, side, named });
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
    const location = { device: object.device, relativePath };
    const absolute = this.sidePath(location, object.side);
    const dir = path.dirname(absolute);
    if (!this.knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    // A mirrored device: the other side gets its copy beside the flush of this one, before the object is answered.
    const other: Side = object.side === 0 ? 1 : 0;
    const mirrored = this.roots.hasMirror(object.device)
      ? object.release().then(() => this.copyOver(object.tempPath, location, other))
      : undefined;
    if (this.durable) {
      await object.sync();
      await object.named;
    }
    if (mirrored) await mirrored;
    try {
      await object.moveTo(absolute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder was removed behind our back: make it again once.
      await mkdir(dir, { recursive: true });
      await renameHeld(object.tempPath, absolute);
    }
    // Written to the mirror alone (its folder was not there): its new name is made durable as well, since no
    // recovery of temporary files looks in a mirror.
    if (object.side === 1 && this.durable) await this.dirSync.sync(dir);
    await this.newCopyAt(location, object.side);
    return location;
  }

  /**
   * Copy a complete file to a side of a location (the mirror of a new object, or a copy owed), through a temporary
   * file there, flushed with DurableWrites. A side that is not there, or a copy that fails, is listed as owed
   * (`pending`) and copied when it can be; false then.
   */
  private async copyOver(from: string, location: StoredLocation, side: Side): Promise<boolean> {
    if (!this.roots.present(location.device, side)) {
      this.pending.add({ ...location, to: side });
      return false;
    }
    try {
      await this.copyTo(from, location, side);
      return true;
    } catch (err) {
      this.log.warn(
        `cannot copy ${location.relativePath} to ${this.roots.root(location.device, side)}: ${(err as Error).message}; copied later`,
      );
      this.pending.add({ ...location, to: side });
      this.checkedAt = 0;
      return false;
    }
  }

  private async copyTo(from: string, location: StoredLocation, side: Side): Promise<void> {
    const root = this.roots.root(location.device, side)!;
    const temp = path.join(root, INCOMING, `${process.pid}-${(this.sequence++).toString(36)}.copy`);
    const target = this.sidePath(location, side);
    try {
      // No folder is made here: a side whose temporary folder is gone is not there (an unmounted disk's mount point).
      await copyFile(from, temp);
      if (this.durable) {
        const handle = await openFile(temp, 'r+');
        try {
          await handle.datasync();
        } finally {
          await handle.close();
        }
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await this.newCopyAt(location, side);
  }

  /** A side's name holds a new copy now: a deletion owed to it for that name is over. */
  private async newCopyAt(location: StoredLocation, side: Side): Promise<void> {
    const stale = { ...location, to: side, remove: true };
    if (this.pending.has(stale)) await this.pending.settle([stale]);
  }

  /**
   * Copy what the sides of mirrored devices owe each other, where both are there now; returns how many were copied and
   * how many are still owed. An object deleted meanwhile (no file on either side) is forgotten.
   */
  async copyPending(): Promise<{ copied: number; left: number }> {
    const settled: PendingCopy[] = [];
    for (const c of this.pending.list()) {
      const from: Side = c.to === 0 ? 1 : 0;
      if (c.remove) {
        if (!this.roots.present(c.device, c.to)) continue;
        await unlinkHeld(this.sidePath(c, c.to)).then(
          () => settled.push(c),
          (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && settled.push(c),
        );
        continue;
      }
      if (!this.roots.present(c.device, c.to) || !this.roots.present(c.device, from)) continue;
      try {
        await this.copyTo(this.sidePath(c, from), c, c.to);
        settled.push(c);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await this.anySide(c))) settled.push(c);
      }
    }
    await this.pending.settle(settled);
    return { copied: settled.length, left: this.pending.size };
  }

  /**
   * A stored object's file copied to another storage folder (a study moved off a disk being retired), under the same
   * name there, flushed with DurableWrites, and to that folder's mirror where it has one; the old file stays until the
   * caller has moved the row (then `remove`). Returns the new location.
   */
  async relocate(location: StoredLocation, device: number): Promise<StoredLocation> {
    if (this.devices[device] === undefined)
      throw new Error(`there is no MAG${device} (MAGDevices is ${this.devices.length})`);
    const target = { device, relativePath: location.relativePath };
    const side = this.writeSide(device);
    await this.copyTo(this.absolutePath(location), target, side);
    if (this.roots.hasMirror(device)) await this.copyOver(this.sidePath(target, side), target, side === 0 ? 1 : 0);
    return target;
  }

  /** Look at the folders and mirrors again (storage-roots.ts); a new disk taken into use gets its temporary folder. */
  async refreshRoots(): ReturnType<StorageRoots['refresh']> {
    const changed = await this.roots.refresh();
    for (const c of changed) if (c.adopted) await mkdir(path.join(c.root, INCOMING), { recursive: true });
    return changed;
  }

  /** A stored file was rewritten in place (an edit): the other side of a mirrored device gets the new version. */
  async rewritten(location: StoredLocation): Promise<void> {
    if (!this.roots.hasMirror(location.device)) return;
    const side = this.readSide(location.device);
    await this.copyOver(this.sidePath(location, side), location, side === 0 ? 1 : 0);
  }

  /** The file of a location on one side of its device. */
  sidePath(location: StoredLocation, side: Side): string {
    return path.join(this.roots.root(location.device, side)!, ...location.relativePath.split('/'));
  }

  /** The other copy of a stored object, where its device has a mirror: the mirror's, or the folder's while read from the mirror. */
  otherCopy(location: StoredLocation): string | undefined {
    if (!this.roots.hasMirror(location.device)) return undefined;
    return this.sidePath(location, this.readSide(location.device) === 0 ? 1 : 0);
  }

  /**
   * Copy the mirror's file of a location over the folder's (a damaged one put right from its mirror, a lost folder
   * rebuilt by regen: its temporary folder made again if it went with it).
   */
  async restoreFromMirror(location: StoredLocation): Promise<void> {
    await mkdir(path.join(this.roots.root(location.device, 0)!, INCOMING), { recursive: true });
    await this.copyTo(this.sidePath(location, 1), location, 0);
  }

  /** The side a device's objects are read from: its folder, or its mirror while the folder is not there. */
  private readSide(device: number): Side {
    return this.roots.hasMirror(device) && !this.roots.present(device, 0) && this.roots.present(device, 1) ? 1 : 0;
  }

  private async anySide(location: StoredLocation): Promise<boolean> {
    for (const side of [0, 1] as const) {
      if (this.roots.root(location.device, side) && (await fileExists(this.sidePath(location, side)))) return true;
    }
    return false;
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
      const file = this.sidePath(location, 0);
      // A mirrored folder not there now keeps the file until it is back (else regen would bring the object back).
      if (this.roots.hasMirror(location.device) && !this.roots.present(location.device, 0))
        this.pending.add({ ...location, to: 0, remove: true });
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
      const mirror = this.roots.root(location.device, 1);
      if (mirror) {
        const copy = this.sidePath(location, 1);
        // A mirror not there now keeps the file until it is back (else regen would bring the object back from it).
        if (!this.roots.present(location.device, 1)) this.pending.add({ ...location, to: 1, remove: true });
        else await unlinkHeld(copy).catch(() => undefined);
        for (let dir = path.dirname(copy); dir.startsWith(mirror + path.sep); dir = path.dirname(dir)) dirs.add(dir);
      }
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
    const root = this.roots.root(location.device, this.readSide(location.device))!;
    return path.join(root, INCOMING, `${process.pid}-${(this.sequence++).toString(36)}.edit`);
  }

  /** A stored object's file: in its storage folder, or in the folder's mirror while the folder is not there. */
  absolutePath(location: StoredLocation): string {
    return this.sidePath(location, this.readSide(location.device));
  }

  async remove(location: StoredLocation): Promise<void> {
    for (const side of [0, 1] as const) {
      if (!this.roots.root(location.device, side)) continue;
      await unlinkHeld(this.sidePath(location, side)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT' && side === 0) throw err;
      });
    }
  }

  /** Re-check free space now and then (never on every object) and move on to the next device below the threshold. */
  private refreshDeviceChoice(): void {
    const mirrored = this.roots.mirrors.some((m) => m !== undefined);
    if ((this.devices.length === 1 || this.thresholdBytes <= 0) && !mirrored) return;
    if (this.checking) return;
    const now = Date.now();
    if (now - this.checkedAt < FREE_SPACE_TTL_MS) return;
    this.checking = true;
    this.checkedAt = now;
    void this.refreshRoots()
      .then(() => (this.devices.length === 1 || this.thresholdBytes <= 0 ? this.currentDevice : this.chooseDevice()))
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
