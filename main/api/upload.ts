import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { importPath, type ImportResult } from '../archive/importer.ts';
import type { ArchiveService } from './services.ts';
import { extractZip } from '../archive/zip-extract.ts';

/**
 * An object uploaded from the UI (a browser has no path to give, and the API reads no path it is given): the request
 * body (counted as it is read: upload-space.ts), one Part-10 file, goes to a temporary file in the data folder and is imported as a file from a CD would be
 * (checked, stored through the ingest, the duplicate policy applied), then the temporary file is removed.
 */
export async function importUpload(
  archive: ArchiveService,
  body: AsyncIterable<Buffer>,
  name: string,
  zip = false,
): Promise<ImportResult> {
  const dir = archive.uploadDir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}.${zip ? 'zip' : 'dcm'}`);
  const unpacked = `${file}.d`;
  try {
    await pipeline(body, createWriteStream(file));
    if (zip) {
      // A ZIP (a CD's copy, a mailed study): unpacked into a folder and imported as a folder (its DICOMDIR too).
      const { skipped } = await extractZip(file, unpacked);
      const result = await importPath(unpacked, archive.importTarget(), 'copy');
      const inZip = (f: string) => `${name}: ${path.relative(unpacked, f) || f}`;
      return {
        ...result,
        skipped: [
          ...skipped.map((x) => ({ ...x, file: `${name}: ${x.file}` })),
          ...result.skipped.map((x) => ({ ...x, file: inZip(x.file) })),
        ],
        other: result.other.map(inZip),
      };
    }
    const result = await importPath(file, archive.importTarget(), 'copy');
    // Reported by the name the user picked, not our temporary one.
    return {
      ...result,
      skipped: result.skipped.map((x) => ({ ...x, file: name })),
      other: result.other.map(() => name),
    };
  } finally {
    await rm(file, { force: true });
    await rm(unpacked, { recursive: true, force: true });
  }
}
