import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { SourceLogger } from '../util/log.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { SaveCommand } from '../automation/save-command.ts';
import { confinedPath } from '../automation/converter-steps.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { transcoder } from '../codec/transcoder.ts';
import { archiveFolders } from './converter-effects.ts';

/**
 * A converter's `save` commands on a stored object: `save to file` copies the stored file, `save jpg|png ... to file`
 * renders one frame as the archive's server-side pictures are rendered (in the codecs' worker threads). Files go only
 * inside the data folder (folders made as needed); one that cannot be written or rendered is logged, the rest go on.
 */
export async function saveCopies(
  core: ArchiveCore,
  saves: readonly SaveCommand[],
  location: StoredLocation,
  log: SourceLogger,
  converter: string,
): Promise<void> {
  const file = core.store.absolutePath(location);
  for (const s of saves) {
    try {
      const target = await confinedPath(core.dataDir, s.file, archiveFolders(core));
      await mkdir(path.dirname(target), { recursive: true });
      if (s.kind === 'dicom') {
        await copyFile(file, target);
        continue;
      }
      const stored = await readDataSetBytes(file);
      const picture = await transcoder.render(stored.bytes, stored.transferSyntaxUid, {
        contentType: s.kind === 'png' ? 'image/png' : 'image/jpeg',
        frame: s.frame,
        windowCenter: s.level,
        windowWidth: s.window,
        rows: s.size,
        columns: s.size,
        quality: s.quality,
      });
      await writeFile(target, picture);
    } catch (err) {
      log.error(`${converter} could not save ${s.file}: ${(err as Error).message}`);
    }
  }
}
