import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * A small disk for storage tests: a tmpfs mounted on a folder (Linux, as root), which a test can pull out (unmount,
 * lazily: files may be open) and replace by a new, empty one, as an admin unplugs and swaps a disk.
 */
export interface SmallDisk {
  dir: string;
  /** Unmount it: the folder stays, empty, on the parent file system (as a mount point does). */
  pull(): Promise<void>;
  /** Mount a new, empty disk on the folder. */
  replace(): Promise<void>;
  dispose(): Promise<void>;
}

async function mountTmpfs(dir: string, mb: number): Promise<void> {
  await exec('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
}

/** Whether this process may mount a tmpfs (root on Linux, with the capability). */
export async function canMount(): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const dir = await mkdtemp(path.join(tmpdir(), 'pacs-mount-probe-'));
  try {
    await mountTmpfs(dir, 1);
    await exec('umount', [dir]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function smallDisk(parent: string, name: string, mb = 64): Promise<SmallDisk> {
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  await mountTmpfs(dir, mb);
  let mounted = true;
  return {
    dir,
    pull: async () => {
      await exec('umount', ['-l', dir]);
      mounted = false;
    },
    replace: async () => {
      await mountTmpfs(dir, mb);
      mounted = true;
    },
    dispose: async () => {
      if (mounted) await exec('umount', ['-l', dir]).catch(() => undefined);
      mounted = false;
    },
  };
}
