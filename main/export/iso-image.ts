import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ExportError } from './media-set.ts';
import { msg } from '../../common/message.ts';

const run = promisify(execFile);

/**
 * A media set folder as an ISO 9660 image to burn, made by a tool of the field: xorriso (its mkisofs mode) or
 * genisoimage, whichever is installed; ISO level 1 (8-character names, as the DICOM file IDs are) with Joliet. Burning
 * it from the desktop is a later step.
 */
export async function writeIsoImage(folder: string, file: string, label: string): Promise<string> {
  const volume =
    label
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, '_')
      .slice(0, 32) || 'DICOM';
  const args = ['-iso-level', '1', '-J', '-V', volume, '-o', file, folder];
  for (const [tool, prefix] of [
    ['xorriso', ['-as', 'mkisofs']],
    ['genisoimage', []],
  ] as const) {
    try {
      await run(tool, [...prefix, ...args], { timeout: 600_000, maxBuffer: 16 << 20 });
      return tool;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ExportError(
        msg('{tool} could not make the ISO image: {value}', {
          tool,
          value: ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' '),
        }),
      );
    }
  }
  throw new ExportError(
    msg(
      'no ISO 9660 tool is installed: install xorriso (or genisoimage) to make images to burn, or export to a folder or a ZIP',
    ),
  );
}
