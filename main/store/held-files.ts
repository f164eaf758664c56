import { rename, unlink } from 'node:fs/promises';

/**
 * Renames and deletions that another program may hold up for a while. On Windows a viewer, a virus scanner, the search
 * indexer or a backup agent opens new files all the time, and while it holds one (without FILE_SHARE_DELETE) a rename
 * over it or its deletion fails with EPERM, EBUSY or EACCES; it succeeds once they let go. These retry with back-off for
 * a bounded time (HELD_FOR_MS) there. Elsewhere such errors are not passing (permissions, a mount point) and are thrown at
 * once. What still fails is thrown as `FileHeld`, so that callers can tell it from a full disk.
 */

export const HELD_FOR_MS = { value: 8000 };
const TRANSIENT = new Set(['EPERM', 'EBUSY', 'EACCES']);

export class FileHeld extends Error {
  readonly code: string;
  constructor(what: string, file: string, cause: NodeJS.ErrnoException) {
    super(`${what} ${file}: another program holds it (${cause.code}); tried for ${HELD_FOR_MS.value / 1000} s`);
    this.code = cause.code ?? 'EBUSY';
  }
}

export function isHeld(err: unknown, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32' && TRANSIENT.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/** Run `op` until it succeeds, retrying while the file is held (Windows), 25 ms doubling to 1 s between tries. */
export async function whileHeld<T>(
  what: string,
  file: string,
  op: () => Promise<T>,
  platform: NodeJS.Platform = process.platform,
): Promise<T> {
  const deadline = Date.now() + HELD_FOR_MS.value;
  for (let wait = 25; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await op();
    } catch (err) {
      if (!isHeld(err, platform)) throw err;
      if (Date.now() + wait > deadline) throw new FileHeld(what, file, err as NodeJS.ErrnoException);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export function renameHeld(from: string, to: string): Promise<void> {
  return whileHeld('cannot replace', to, () => rename(from, to));
}

export function unlinkHeld(file: string): Promise<void> {
  return whileHeld('cannot delete', file, () => unlink(file));
}
