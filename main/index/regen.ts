import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveIndex } from './archive-index.ts';
import { readObjectHeader } from '../store/object-header.ts';
import { ROOT_MARKER } from '../store/storage-roots.ts';
import { fileExists } from '../util/file-exists.ts';

/**
 * Rebuild the index from the files (Conquest's "regen"): every file under the storage folders is read as the store SCP
 * would read it and indexed where it lies. A file that is not a readable DICOM object is reported and skipped, and so is
 * one whose study was deleted while the file could not be (its deletion is still pending in the journal). A mirrored
 * storage folder (MIRRORDevice<i>) first gets back from its mirror every file it lacks (a disk replaced: the mirror
 * rebuilds it), then is indexed.
 */
export interface RegenProgress {
  files: number;
  /** Files copied back from the mirrors. */
  fromMirror: number;
  indexed: number;
  skipped: { file: string; reason: string }[];
  seconds: number;
}

const IN_FLIGHT = 8;
const INCOMING = '.incoming';

async function* walk(root: string, dir = ''): AsyncGenerator<string> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (!dir && e.name === INCOMING) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walk(root, rel);
    else if (e.isFile() || e.isSymbolicLink()) yield rel;
  }
}

export async function regenerate(
  devices: string[],
  index: ArchiveIndex,
  options: {
    clear?: boolean;
    onProgress?: (p: RegenProgress) => void;
    /** The mirror of each device, and how a mirror's file is copied back to its folder. */
    mirrors?: { roots: (string | undefined)[]; copyBack(device: number, relativePath: string): Promise<void> };
  } = {},
): Promise<RegenProgress> {
  const started = performance.now();
  const progress: RegenProgress = { files: 0, fromMirror: 0, indexed: 0, skipped: [], seconds: 0 };
  if (options.clear) await index.clearArchive();
  let lastReport = 0;
  const report = (force = false) => {
    progress.seconds = (performance.now() - started) / 1000;
    if (force || performance.now() - lastReport > 250) {
      lastReport = performance.now();
      options.onProgress?.({ ...progress, skipped: [...progress.skipped] });
    }
  };
  // Files of deleted studies still waiting to be deleted (another program held them) do not come back.
  const deleted = new Set(
    (await index.pendingDeletions()).flatMap((d) => d.locations.map((l) => `${l.device}/${l.relativePath}`)),
  );
  const running = new Set<Promise<void>>();
  for (const [device, root] of devices.entries()) {
    const mirror = options.mirrors?.roots[device];
    if (mirror)
      for await (const relativePath of walk(mirror)) {
        if (relativePath === ROOT_MARKER) continue;
        if ((await fileExists(path.join(root, ...relativePath.split('/')))) || deleted.has(`${device}/${relativePath}`))
          continue;
        try {
          await options.mirrors!.copyBack(device, relativePath);
          progress.fromMirror++;
        } catch (err) {
          progress.skipped.push({
            file: path.join(mirror, relativePath),
            reason: `not copied back: ${(err as Error).message}`,
          });
        }
      }
    for await (const relativePath of walk(root)) {
      if (relativePath === ROOT_MARKER) continue;
      progress.files++;
      const file = path.join(root, relativePath);
      if (deleted.has(`${device}/${relativePath}`)) {
        progress.skipped.push({
          file,
          reason: 'its study was deleted; the file waits to be deleted (another program held it)',
        });
        continue;
      }
      const one = (async () => {
        try {
          const { header, meta, size } = await readObjectHeader(file);
          await index.storeInstance({
            header,
            transferSyntaxUid: meta.transferSyntaxUid,
            location: { device, relativePath },
            size,
            callingAe: '',
          });
          progress.indexed++;
        } catch (err) {
          progress.skipped.push({ file, reason: (err as Error).message });
        }
        report();
      })();
      running.add(one);
      void one.finally(() => running.delete(one));
      if (running.size >= IN_FLIGHT) await Promise.race(running);
    }
  }
  await Promise.all(running);
  report(true);
  return progress;
}
