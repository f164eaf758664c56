import { copyFile, link, mkdir, readdir, rmdir, statfs, symlink, unlink } from 'node:fs/promises';
import { renameHeld, unlinkHeld } from './held-files.ts';
import path from 'node:path';
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

/**
 * The object is in place under its final name, but its folder entry could not be made durable (the folder's fsync
 * failed): it is there now, and may not be after a power cut.
 */
export class NotDurableError extends Error {
  constructor(cause: Error) {
    super(`stored, but not made durable: ${cause.message}`, { cause });
    this.name = 'NotDurableError';
  }
}

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
   * DurableWrites: an object is committed only once its bytes and its folder entry are on stable storage (fdatasync of
   * the file, fsync of the folders it and new folders were named in), so a power cut after the answer loses nothing.
   */
  durable?: boolean;
}

const INCOMING = '.incoming';
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
const FS_LINKS: LinkMakers = { symlink: (t, f) => symlink(t, f), link: (t, f) => link(t, f), copyFile: (t, f) => copyFile(t, f) };

export class FileStore {
  readonly devices: string[];
  private readonly layout: Layout;
  private readonly thresholdBytes: number;
  private readonly log: SourceLogger;
  private readonly knownDirs = new Set<string>();
  private readonly durable: boolean;
  private readonly dirSync = new DirectorySync();
  private currentDevice = 0;
  private sequence = Date.now();
  private checkedAt = 0;
  private checking = false;

  constructor(options: FileStoreOptions, log: SourceLogger) {
    this.devices = options.devices;
    this.layout = options.layout;
    this.thresholdBytes = options.thresholdMB * 1024 * 1024;
    this.durable = options.durable ?? false;
    this.log = log;
  }

  /** Create the folders and remove temporary files a crash left behind. */
  async open(): Promise<void> {
    for (const device of this.devices) {
      const incoming = path.join(device, INCOMING);
      await mkdir(incoming, { recursive: true });
      const leftovers = await readdir(incoming);
      for (const name of leftovers) await unlink(path.join(incoming, name)).catch(() => undefined);
      if (leftovers.length) this.log.warn(`removed ${leftovers.length} partial object(s) left in ${incoming} by an earlier run`);
    }
    if (this.devices.length > 1 && this.thresholdBytes > 0) this.currentDevice = await this.chooseDevice();
  }

  /** Start receiving one object: its meta header is written now, its data set bytes as they come. */
  begin(meta: FileMeta): IncomingObject & { device: number } {
    const device = this.currentDevice;
    this.refreshDeviceChoice();
    const temp = path.join(this.devices[device]!, INCOMING, `${process.pid}-${(this.sequence++).toString(36)}.part`);
    return Object.assign(new IncomingObject(temp, encodeFileMeta(meta)), { device });
  }

  /** Where `commit` will put the object. */
  locate(object: IncomingObject & { device: number }, header: InstanceHeader): StoredLocation {
    return { device: object.device, relativePath: this.layout.relativePath(header) };
  }

  /**
   * Move a complete object into place under its final name, replacing any file there. Throws NotDurableError when it
   * is in place but its folder's flush failed; any other error leaves the final name as it was.
   */
  async commit(object: IncomingObject & { device: number }, header: InstanceHeader): Promise<StoredLocation> {
    const { relativePath } = this.locate(object, header);
    const absolute = this.absolutePath({ device: object.device, relativePath });
    const dir = path.dirname(absolute);
    if (!this.knownDirs.has(dir)) {
      const made = await mkdir(dir, { recursive: true });
      if (made && this.durable) await this.syncNewFolders(made, dir);
      this.knownDirs.add(dir);
    }
    if (this.durable) await object.sync();
    try {
      await object.moveTo(absolute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder was removed behind our back: make it again once.
      await mkdir(dir, { recursive: true });
      await renameHeld(object.tempPath, absolute);
    }
    if (this.durable) await this.dirSync.sync(dir).catch((err: Error) => { throw new NotDurableError(err); });
    return { device: object.device, relativePath };
  }

  /** Folders just made (from `first` down to `last`): each one's entry in its parent made durable. */
  private async syncNewFolders(first: string, last: string): Promise<void> {
    for (let d = last; ; d = path.dirname(d)) {
      await this.dirSync.sync(path.dirname(d));
      if (d === first || path.dirname(d) === d) break;
    }
  }

  /**
   * Place a file that stays where it is (a CD, a USB disk, a Conquest folder being imported by link): a symbolic link
   * under the object's layout name points to it, replacing any file there. Windows allows symbolic links only to
   * administrators and in Developer Mode: without that right (EPERM) the object is hard-linked when the file is on the
   * same volume, else copied; `how` says which.
   */
  async link(target: string, header: InstanceHeader, make: LinkMakers = FS_LINKS): Promise<{ location: StoredLocation; how: 'symlink' | 'hardlink' | 'copy' }> {
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
    void this.chooseDevice().then((device) => {
      if (device !== this.currentDevice) this.log.info(`storage folder ${this.devices[this.currentDevice]} is below the free space threshold; now storing to ${this.devices[device]}`);
      this.currentDevice = device;
    }).catch((err) => this.log.error(`cannot read free space of the storage folders: ${(err as Error).message}`))
      .finally(() => { this.checking = false; });
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
