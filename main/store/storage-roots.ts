import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLogger } from '../util/log.ts';
import { fileExists } from '../util/file-exists.ts';

/** Written at the top of every storage folder and mirror at start; a folder without it is not there (unmounted). */
export const ROOT_MARKER = '.pacs-storage';

/** A storage folder (0) or its mirror (1). */
export type Side = 0 | 1;

/**
 * The storage folders and their mirrors (MAGDevice<i>, MIRRORDevice<i>), and which of them are there. A folder is
 * there while the marker written into it at start is: a disk unmounted or unplugged mid-run leaves an empty mount point
 * (or none), which must not be written to as if it were the disk. Looked at again now and then (`refresh`) and after a
 * failed write; a change is logged. A folder without its marker that is empty and is a file system of its own (a new
 * disk mounted where the old one was) is taken into use: marked, and reported as `adopted` so it is filled again.
 */
export class StorageRoots {
  readonly devices: string[];
  readonly mirrors: (string | undefined)[];
  private readonly absent = new Set<string>();
  private readonly log: SourceLogger;

  constructor(devices: string[], mirrors: (string | undefined)[], log: SourceLogger) {
    this.devices = devices;
    this.mirrors = mirrors;
    this.log = log;
  }

  /** Every folder made and marked; the marker stays where it is (a disk unmounted at start is found missing later). */
  async open(): Promise<void> {
    for (const root of this.all()) {
      await mkdir(root, { recursive: true });
      const marker = path.join(root, ROOT_MARKER);
      if (!(await fileExists(marker))) await writeFile(marker, 'storage of the PACS workstation: do not remove\n');
    }
  }

  /** The folder of a device's side, if it has one. */
  root(device: number, side: Side): string | undefined {
    return side === 0 ? this.devices[device] : this.mirrors[device];
  }

  hasMirror(device: number): boolean {
    return this.mirrors[device] !== undefined;
  }

  /** Whether the side was there when last looked at. */
  present(device: number, side: Side): boolean {
    const root = this.root(device, side);
    return root !== undefined && !this.absent.has(root);
  }

  /** Look at every marker again; returns the folders whose state changed (and the new disks taken into use). */
  async refresh(): Promise<{ root: string; device: number; side: Side; present: boolean; adopted?: boolean }[]> {
    const changed: { root: string; device: number; side: Side; present: boolean; adopted?: boolean }[] = [];
    for (const { root, device, side } of this.list()) {
      let present = await fileExists(path.join(root, ROOT_MARKER));
      let adopted = false;
      if (!present && (await newDisk(root))) {
        await writeFile(path.join(root, ROOT_MARKER), 'storage of the PACS workstation: do not remove\n');
        present = adopted = true;
        this.log.warn(`storage folder ${root} is a new, empty disk: taken into use and filled again`);
      }
      if (present === !this.absent.has(root) && !adopted) continue;
      if (present) this.absent.delete(root);
      else this.absent.add(root);
      changed.push({ root, device, side, present, adopted });
      if (present && !adopted) this.log.info(`storage folder ${root} is back`);
      else if (!present)
        this.log.error(`storage folder ${root} is not there (its ${ROOT_MARKER} is missing): not written to`);
    }
    return changed;
  }

  /** Every folder and mirror with whether it is there (the Monitor, /metrics). */
  list(): { device: number; side: Side; root: string; present: boolean }[] {
    const out: { device: number; side: Side; root: string; present: boolean }[] = [];
    for (const [device, root] of this.devices.entries()) {
      out.push({ device, side: 0, root, present: !this.absent.has(root) });
      const mirror = this.mirrors[device];
      if (mirror) out.push({ device, side: 1, root: mirror, present: !this.absent.has(mirror) });
    }
    return out;
  }

  private all(): string[] {
    return [...this.devices, ...this.mirrors.filter((m): m is string => m !== undefined)];
  }
}

/** An empty folder that is a file system of its own (not the mount point of a disk gone, which is its parent's). */
async function newDisk(root: string): Promise<boolean> {
  const [here, parent, entries] = await Promise.all([
    stat(root).catch(() => undefined),
    stat(path.dirname(root)).catch(() => undefined),
    readdir(root).catch(() => undefined),
  ]);
  const own = entries?.filter((n) => n !== 'lost+found');
  return here !== undefined && parent !== undefined && own?.length === 0 && here.dev !== parent.dev;
}
