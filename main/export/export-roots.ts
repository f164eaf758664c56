import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the UI may write an export folder (ExportRoots): the roots the admin lists, or by default where removable
 * media appear (Linux /media, /run/media and /mnt; macOS /Volumes; Windows every drive but the system's) and the data
 * folder's `exports`. A service running as root or LocalSystem then cannot be made to write into system folders.
 */
export function exportRoots(
  listed: readonly string[],
  dataDir: string,
  platform = process.platform,
  systemDrive = process.env.SystemDrive ?? 'C:',
): string[] {
  if (listed.length) return listed.map((r) => path.resolve(r));
  const own = path.join(dataDir, 'exports');
  if (platform === 'win32') {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').filter((l) => `${l}:` !== systemDrive.toUpperCase());
    return [...letters.map((l) => `${l}:\\`), own];
  }
  if (platform === 'darwin') return ['/Volumes', own];
  return ['/media', '/run/media', '/mnt', own];
}

/** The folder with symbolic links resolved as far as it exists (the part still to be made is taken as written). */
async function resolved(folder: string): Promise<string> {
  const absolute = path.resolve(folder);
  const rest: string[] = [];
  let at = absolute;
  for (;;) {
    try {
      return path.join(await realpath(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return absolute;
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

/** Whether `folder` (once its links are followed) is one of the roots or inside one. */
export async function insideRoots(
  folder: string,
  roots: readonly string[],
  platform = process.platform,
): Promise<boolean> {
  const fold = (p: string) => (platform === 'win32' ? p.toLowerCase() : p);
  const target = fold(await resolved(folder));
  for (const root of roots) {
    const base = fold(await resolved(root));
    const rel = path.relative(base, target);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
  }
  return false;
}
